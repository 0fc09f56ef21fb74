/// The dashboard's only stylesheet, inlined into every page (no external assets).
enum DashboardStyle {
    static let css = """
    :root { --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --paper: #f9fafb; --accent: #2563eb;
      --veto: #b91c1c; --veto-bg: #fef2f2; --clamp: #b45309; --clamp-bg: #fffbeb; --ok: #15803d; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--paper); }
    a { color: var(--accent); }
    .wrap { max-width: 1120px; margin: 0 auto; padding: 0 20px; }
    header.top { background: #fff; border-bottom: 1px solid var(--line); }
    header.top .wrap { display: flex; align-items: center; gap: 20px; min-height: 56px; flex-wrap: wrap; }
    .brand { font-weight: 700; color: var(--ink); text-decoration: none; }
    nav ol { display: flex; gap: 8px; list-style: none; margin: 0; padding: 0; color: var(--muted); }
    nav li + li::before { content: "/"; margin-right: 8px; color: var(--line); }
    nav.tenants ul { display: flex; gap: 12px; list-style: none; margin: 0 0 12px; padding: 0; }
    nav.tenants a[aria-current] { font-weight: 600; color: inherit; text-decoration: none; }
    .sign-out { margin-left: auto; }
    button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #d1d5db; background: #fff; cursor: pointer; }
    button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
    main.wrap { padding-top: 28px; padding-bottom: 40px; }
    h1 { font-size: 26px; margin: 0 0 4px; }
    h1 .muted { font-size: 16px; font-weight: 400; }
    h2 { font-size: 18px; margin: 0 0 12px; }
    .muted, .period { color: var(--muted); }
    .card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin: 16px 0; overflow-x: auto; }
    .figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; margin: 16px 0; }
    .figure { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px; }
    .figure dt { color: var(--muted); font-size: 13px; }
    .figure dd { margin: 2px 0 0; font-size: clamp(16px, 1.6vw, 19px); font-weight: 650; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .figure dd .unit { font-size: 12px; font-weight: 500; color: var(--muted); }
    .figure.over-cap dd, .figure.negative dd { color: var(--veto); }
    .figure.over-budget dd { color: var(--clamp); }
    .figure.absent dd { color: var(--muted); font-weight: 400; }
    .figure .hint { margin: 2px 0 0; font-size: 12px; color: var(--muted); }
    .note { background: var(--clamp-bg); border: 1px solid #fde68a; border-radius: 8px; padding: 8px 12px; }
    figure { margin: 0; }
    svg.chart { display: block; width: 100%; min-width: 640px; max-width: 960px; height: auto; margin: 0 auto; }
    table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
    th, td { text-align: left; padding: 7px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
    thead th { font-size: 13px; color: var(--muted); font-weight: 600; }
    .num, td.time { text-align: right; white-space: nowrap; }
    td.time { text-align: left; }
    td.share { position: relative; min-width: 110px; }
    td.share .bar { position: absolute; left: 0; top: 8px; bottom: 8px; background: #dbeafe; border-radius: 3px; z-index: 0; }
    td.share span.text { position: relative; z-index: 1; }
    .empty { color: var(--muted); }
    tr.veto { background: var(--veto-bg); box-shadow: inset 4px 0 0 var(--veto); }
    tr.clamp { background: var(--clamp-bg); box-shadow: inset 4px 0 0 var(--clamp); }
    .badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; background: #ecfdf5; color: var(--ok); }
    .badge.deny, .badge.critical { background: #fee2e2; color: var(--veto); }
    .badge.clamp, .badge.warning { background: #fef3c7; color: var(--clamp); }
    .badge.info { background: #e0e7ff; color: #3730a3; }
    ul.reasons { margin: 0; padding-left: 18px; }
    ul.plain { list-style: none; margin: 0; padding: 0; }
    ul.plain li { padding: 8px 0; border-bottom: 1px solid var(--line); }
    ul.plain li:last-child { border-bottom: 0; }
    .columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 0 16px; }
    .kind { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; color: var(--muted); }
    meter { width: 90px; }
    tr.over-cap td.forecast { color: var(--veto); font-weight: 600; }
    tr.over-budget td.forecast { color: var(--clamp); font-weight: 600; }
    td.negative { color: var(--veto); }
    form.sign-in { max-width: 380px; margin: 64px auto; }
    form.sign-in label { display: block; font-weight: 600; margin-bottom: 6px; }
    form.sign-in input { width: 100%; font: inherit; padding: 8px 10px; border: 1px solid #d1d5db; border-radius: 6px; margin-bottom: 12px; }
    .error { color: var(--veto); background: var(--veto-bg); border: 1px solid #fecaca; border-radius: 8px; padding: 8px 12px; }
    footer { color: var(--muted); font-size: 13px; padding: 0 0 32px; }
    """
}
