import Mustache

/// The dashboard's Mustache templates, embedded so the binary needs no resource files.
///
/// `{{ }}` escapes; `{{{ }}}` is used only for the stylesheet and the SVG charts, which Swift code
/// builds with every embedded text escaped.
enum DashboardTemplates {
    static let header = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="same-origin">
    {{#chrome}}<title>{{title}} – Chartly Budget</title>{{/chrome}}
    <style>\(DashboardStyle.css)</style>
    </head>
    <body>
    <header class="top"><div class="wrap">
    <a class="brand" href="/">Chartly Budget</a>
    {{#chrome}}{{#signedIn}}<nav aria-label="Breadcrumb"><ol>{{#crumbs}}<li>{{#isLink}}<a href="{{href}}">{{label}}</a>{{/isLink}}{{^isLink}}<span aria-current="page">{{label}}</span>{{/isLink}}</li>{{/crumbs}}</ol></nav>
    <form method="post" action="/logout" class="sign-out"><button type="submit">Sign out</button></form>{{/signedIn}}{{/chrome}}
    </div></header>
    <main class="wrap">

    """

    static let footer = """
    </main>
    <footer class="wrap">Times are UTC. Amounts are estimates from the rate card, not an invoice.</footer>
    </body>
    </html>

    """

    static let signIn = """
    {{>header}}
    <form class="sign-in card" method="post" action="/login">
    <h1>Sign in</h1>
    <p class="muted">Use an API token with read access to a tenant.</p>
    {{#hasError}}<p class="error" id="sign-in-error" role="alert">{{error}}</p>{{/hasError}}
    <label for="token">API token</label>
    <input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
    <button type="submit" class="primary">Sign in</button>
    </form>
    {{>footer}}
    """

    static let environmentList = """
    {{>header}}
    <h1>Environments <span class="muted">{{tenant}}</span></h1>
    {{#hasTenants}}<nav class="tenants" aria-label="Tenants"><ul>{{#tenants}}<li><a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{name}}</a></li>{{/tenants}}</ul></nav>{{/hasTenants}}
    <section class="card">
    <table id="environments">
    <thead><tr><th scope="col">Environment</th><th scope="col" class="num">Spend so far</th><th scope="col">Of cap or budget</th><th scope="col" class="num">Forecast</th><th scope="col" class="num">Budget</th><th scope="col" class="num">Cap</th><th scope="col" class="num">Run rate</th><th scope="col" class="num">Headroom</th><th scope="col" class="num">Alerts</th></tr></thead>
    <tbody>
    {{#rows}}<tr data-environment="{{environment}}" class="{{rowClass}}">
    <th scope="row"><a href="{{href}}">{{environment}}</a></th>
    <td class="num" data-value="{{spendValue}}">{{spendText}}</td>
    <td>{{#hasMeter}}<meter min="0" max="{{meterMax}}" high="{{meterHigh}}" optimum="0" value="{{spendValue}}" title="{{meterTitle}}">{{meterTitle}}</meter>{{/hasMeter}}</td>
    <td class="num forecast" data-value="{{forecastValue}}">{{forecastText}}</td>
    <td class="num">{{budgetText}}</td>
    <td class="num">{{capText}}</td>
    <td class="num">{{runRateText}}</td>
    <td class="num {{headroomClass}}">{{headroomText}}</td>
    <td class="num">{{#alerting}}<span class="badge critical">{{firingAlerts}}</span>{{/alerting}}{{^alerting}}0{{/alerting}}</td>
    </tr>
    {{/rows}}
    {{^rows}}<tr><td colspan="9" class="empty">No environments have usage, budgets or caps yet.</td></tr>{{/rows}}
    </tbody>
    </table>
    </section>
    {{>footer}}
    """

    static let environment = """
    {{>header}}
    <h1>{{environment}} <span class="muted">{{tenant}}</span></h1>
    <p class="period">Period <time datetime="{{periodStartISO}}">{{periodStartText}}</time> to <time datetime="{{periodEndISO}}">{{periodEndText}}</time> · as of <time datetime="{{nowISO}}" id="as-of">{{nowText}}</time></p>
    <dl class="figures" id="figures">
    {{#figures}}<div class="figure {{figureClass}}"><dt>{{label}}</dt><dd id="{{id}}" data-value="{{value}}" data-currency="{{currency}}">{{number}}{{#hasUnit}} <span class="unit">{{unit}}</span>{{/hasUnit}}</dd>{{#hasHint}}<p class="hint">{{hint}}</p>{{/hasHint}}</div>
    {{/figures}}
    </dl>
    {{#hasUnpricedNote}}<p class="note" id="unpriced">{{unpricedNote}}</p>{{/hasUnpricedNote}}
    <section class="card" aria-labelledby="spend-heading"><h2 id="spend-heading">Spend vs budget and cap</h2>
    <figure>{{{spendChart}}}</figure>
    </section>
    <section class="card" aria-labelledby="services-heading"><h2 id="services-heading">Cost by service</h2>
    <figure>{{{serviceChart}}}</figure>
    <table id="services">
    <thead><tr><th scope="col">Service</th><th scope="col" class="num">Spend so far</th><th scope="col" class="num">Share</th><th scope="col" class="num">Run rate</th></tr></thead>
    <tbody>
    {{#services}}<tr data-service="{{service}}" data-spend="{{spendValue}}"><th scope="row">{{service}}</th><td class="num">{{spendText}}</td><td class="num share"><span class="bar" style="width: {{sharePercent}}%"></span><span class="text">{{shareText}}</span></td><td class="num">{{runRateText}}</td></tr>
    {{/services}}
    {{^services}}<tr><td colspan="4" class="empty">No service has cost in this period yet.</td></tr>{{/services}}
    </tbody>
    </table>
    </section>
    <div class="columns">
    <section class="card" aria-labelledby="alerts-heading"><h2 id="alerts-heading">Firing alerts</h2>
    <ul id="alerts" class="plain">
    {{#alerts}}<li class="alert {{severity}}" data-kind="{{kind}}"><span class="badge {{severity}}">{{severity}}</span> {{summary}}<br><span class="kind">{{kind}}</span> <span class="muted">since <time datetime="{{sinceISO}}">{{sinceText}}</time></span></li>
    {{/alerts}}
    {{^alerts}}<li class="empty">No alerts are firing.</li>{{/alerts}}
    </ul>
    </section>
    <section class="card" aria-labelledby="anomalies-heading"><h2 id="anomalies-heading">Anomalies</h2>
    <ul id="anomalies" class="plain">
    {{#anomalies}}<li class="anomaly-item"><time datetime="{{atISO}}">{{atText}}</time> · <strong>{{subject}}</strong>: {{message}}</li>
    {{/anomalies}}
    {{^anomalies}}<li class="empty">No abnormal cost growth detected.</li>{{/anomalies}}
    </ul>
    </section>
    </div>
    <section class="card" aria-labelledby="decisions-heading"><h2 id="decisions-heading">Recent decisions</h2>
    <table id="decisions">
    <thead><tr><th scope="col">Time</th><th scope="col">Service</th><th scope="col">Outcome</th><th scope="col" class="num">Replicas</th><th scope="col">Reasons</th></tr></thead>
    <tbody>
    {{#decisions}}<tr class="{{rowClass}}" data-outcome="{{outcome}}"{{#hasDecisionID}} data-decision-id="{{decisionID}}"{{/hasDecisionID}}>
    <td class="time"><time datetime="{{atISO}}">{{atText}}</time></td><td>{{service}}</td><td><span class="badge {{outcome}}">{{outcome}}</span></td>
    <td class="num" title="current → allowed (asked)">{{replicasText}}</td>
    <td>{{#hasReasons}}<ul class="reasons">{{#reasons}}<li>{{.}}</li>{{/reasons}}</ul>{{/hasReasons}}{{^hasReasons}}<span class="muted">within every limit</span>{{/hasReasons}}</td>
    </tr>
    {{/decisions}}
    {{^decisions}}<tr><td colspan="5" class="empty">No scaling decisions in this period yet.</td></tr>{{/decisions}}
    </tbody>
    </table>
    </section>
    {{>footer}}
    """
}
