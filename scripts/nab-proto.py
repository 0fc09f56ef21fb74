#!/usr/bin/env python3
"""A Python mirror of the Swift anomaly detector (Sources/BudgetCore/Anomaly), for trying variants on NAB fast.

usage: scripts/nab-proto.py [--corpus DIR] [--out DIR] [--set key=value ...] [--files SUBSTR]
Replays every NAB file with the detector, writes OUT/CATEGORY/FILE.csv (timestamp,detection) and scores them
in-process with NAB's sweeper, as ../shared/scripts/nab-score does. The defaults mirror the Swift detector (issue
#20's fourth pass: NAB standard 60.1; --set seasonal=0 --set long_memory=2000.0 --set quiet_s=0 --set runtest=0
--set both_run=0 gives the third pass, 54.4); --set changes a prototype parameter (see P below; the pass before that is
--set sustained=3 --set quiet=100 --set range_min=500 --set range_margin=0 --set range3=0, 48.2). --verbose
prints each window's score (or MISS) and each file's alerts outside windows. Not part of the product: the
Swift code is the reference.
"""
import argparse, bisect, csv, datetime as dt, importlib.util, json, math, os, sys
from collections import deque

P = dict(
    values=30,            # median window
    residuals=1000,       # residual window for the robust z
    floor=1.5,            # evidence floor
    spread_floor=0.1,
    short=10, long_memory=8640.0, tail=1e-5,   # issue #20 pass 4: long memory 8640 (Numenta's historic window)
    sustained=2, min_history=100, quiet=50,
    range_run=None,       # None: = sustained
    range_cap=1000, range_min=100,
    day_vote=1,           # 1: midpoint of median and the value a day earlier
    seasonal=1,           # 1: choose between the 30-point median and the median of the same time on the previous 3 days
    seasonal_days=3, seasonal_raw=0,
    spread_window=100, spread_min=10,    # residual spread window used to choose between baselines
    direction="both",
    quiet_s=21600,        # pass 4: quiet period at least 6 hours (max with `quiet` intervals): quiet_seconds
    runtest=1, run_factor=2.0, run_hist=2000, run_min=3,  # pass 4 run test: the current beyond run is longer than
                          # run_factor x every run completed in the last run_hist points (and at least run_min)
    both_run=1,           # pass 4: with direction both, a run of beyond points may change direction
    like_sustained=None, range3=1, range_margin=1.5, zrun=0, zmin=100,  # None: = sustained (run needed with the likelihood's evidence)
)


def parse(ts):
    ts = ts.strip().replace("T", " ").rstrip("Z")
    for f in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return dt.datetime.strptime(ts, f)
        except ValueError:
            pass
    raise ValueError(ts)


EPOCH = dt.datetime(1970, 1, 1)


def micros(d):
    delta = d - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def median_sorted(s):
    n = len(s)
    m = n // 2
    return (s[m - 1] + s[m]) / 2 if n % 2 == 0 else s[m]


def median(v):
    return median_sorted(sorted(v)) if v else None


def mad_sorted(s):
    """Median and MAD of a sorted list, exactly as ResidualWindow.medianAndDeviation."""
    n = len(s)
    mid = n // 2
    center = (s[mid - 1] + s[mid]) / 2 if n % 2 == 0 else s[mid]
    left = bisect.bisect_left(s, center) - 1
    right = left + 1
    prev = 0.0
    out = []
    k = mid + 1
    for _ in range(k):
        if left < 0:
            d = s[right] - center; right += 1
        elif right >= n:
            d = center - s[left]; left -= 1
        else:
            below = center - s[left]; above = s[right] - center
            if below <= above:
                d = below; left -= 1
            else:
                d = above; right += 1
        out.append(d)
    upper = out[-1]
    prev = out[-2] if len(out) >= 2 else 0.0
    return center, ((prev + upper) / 2 if n % 2 == 0 else upper)


class Window:
    def __init__(self, cap):
        self.cap = cap
        self.buf = deque()
        self.sorted = []

    def append(self, v):
        if len(self.buf) == self.cap:
            old = self.buf.popleft()
            del self.sorted[bisect.bisect_left(self.sorted, old)]
        self.buf.append(v)
        bisect.insort_left(self.sorted, v)


class Likelihood:
    def __init__(self, p):
        self.p = p
        self.recent = deque(maxlen=p["short"])
        self.mean = 0.0
        self.var = 0.0
        self.count = 0

    def observe(self, raw, learning):
        self.recent.append(raw)
        rm = sum(self.recent) / len(self.recent)
        tail = 1.0
        if self.count >= learning:
            dev = math.sqrt(max(self.var, 1e-6))
            tail = 0.5 * math.erfc((rm - self.mean) / dev / math.sqrt(2.0))
        w = max(1.0 / (self.count + 1), 1.0 / self.p["long_memory"])
        d = rm - self.mean
        self.mean += w * d
        self.var = (1 - w) * (self.var + w * d * d)
        self.count += 1
        return tail


DAY = 86400 * 1_000_000


def range_tables(vals, run, cap):
    """For point i: max/min of the up to `cap` values before the last `run`, and max/min of the last `run`."""
    import numpy as np
    v = np.asarray(vals, dtype=float)
    n = len(v)
    big = np.concatenate([np.full(cap, np.nan), v])
    from numpy.lib.stride_tricks import sliding_window_view as sw
    win = sw(big, cap)  # win[j] = values v[j-cap .. j-1] (nan-padded)
    bmax = np.full(n, np.nan); bmin = np.full(n, np.nan)
    # before-window for i ends at index i-run (inclusive) -> win[i-run+1]
    idx = np.arange(n) - run + 1
    ok = idx >= 1
    with np.errstate(all="ignore"):
        import warnings; warnings.simplefilter("ignore")
        mx = np.nanmax(win[:n + 1], axis=1) if n else np.array([])
        mn = np.nanmin(win[:n + 1], axis=1) if n else np.array([])
    bmax[ok] = mx[idx[ok]]; bmin[ok] = mn[idx[ok]]
    rw = sw(np.concatenate([np.full(run - 1, np.nan), v]), run)
    rmax = np.nanmax(rw, axis=1); rmin = np.nanmin(rw, axis=1)
    return bmax, bmin, rmax, rmin


def detect(points, interval, p, trace=None):
    """points: [(micros, value)] sorted, unique. Returns the indices where an alert fires."""
    fired = []
    values = deque(maxlen=p["values"])
    rng = deque(maxlen=p["range_cap"] + p["values"])
    day = {}  # timestamp -> learnt value, last day only
    dayq = deque()
    hist_days = {}  # for the seasonal baseline
    histq = deque()
    sp_a = [0.0, 0]; sp_s = [0.0, 0]
    zq = deque(maxlen=p["range_cap"] + 30)
    residuals = Window(p["residuals"])
    runs = deque()  # (index where it completed, length) of completed beyond runs
    lk = Likelihood(p)
    history = 0
    last = None
    beyond = 0
    within = 0
    open_dir = 0
    quiet = 0
    run = p["range_run"] or p["sustained"]
    direction = p["direction"]
    sust = p["sustained"]
    lsust = p["like_sustained"] or sust
    floor = p["floor"]
    bmax, bmin, rmax, rmin = range_tables([v for _, v in points], run, p["range_cap"])
    if p["range3"]:
        b3max, b3min, r3max, r3min = range_tables([v for _, v in points], run + 1, p["range_cap"])
    for i, (t, actual) in enumerate(points):
        cold = history < p["min_history"]
        baseline = median(list(values)) if len(values) >= 3 else None
        if baseline is not None and p["day_vote"]:
            d = day.get(t - DAY)
            if d is not None:
                baseline = (d + baseline) / 2
        abase = baseline
        if p["seasonal"] and baseline is not None:
            seas = [hist_days.get(t - k * DAY) for k in range(1, p["seasonal_days"] + 1)]
            seas = [x for x in seas if x is not None]
            sbase = median(seas) if len(seas) == p["seasonal_days"] else None
            if sbase is not None and sp_s[1] >= p["spread_min"] and sp_s[0] < sp_a[0]:
                baseline = sbase
        else:
            sbase = None
        expected = baseline if baseline is not None else actual
        delta = actual - expected
        sign = 1 if delta > 0 else (-1 if delta < 0 else 0)
        z = 0.0
        sig = 0.0
        if baseline is not None:
            center = spread = 0.0
            if len(residuals.buf) >= 8:
                center, m = mad_sorted(residuals.sorted)
                spread = 1.4826 * m
            sig = max(max(spread, p["spread_floor"] * abs(expected)), 1e-9)
            z = (delta - center) / sig
        evident = z > floor if sign > 0 else z < -floor
        watches = (direction == "both" and sign != 0) or (direction == "up" and sign > 0) or (direction == "down" and sign < 0)
        wsign = sign if evident and watches else 0
        if last is not None and t <= last:
            continue
        if baseline is not None:
            residuals.append(delta)
        if p["seasonal"] and abase is not None:
            al = 1.0 / p["spread_window"]
            sp_a[0] += al * (abs(actual - abase) - sp_a[0]); sp_a[1] += 1
            if sbase is not None:
                sp_s[0] += al * (abs(actual - sbase) - sp_s[0]); sp_s[1] += 1
        wz = z if direction == "up" else (-z if direction == "down" else abs(z))
        raw = math.log1p(max(wz - floor, 0))
        tail = lk.observe(raw, p["min_history"])
        transition = None
        if last is not None and t - last >= 2 * interval * 1_000_000:
            if beyond != 0:
                runs.append((i, abs(beyond)))  # a gap completes the run
            beyond = 0
            within = 0
        if beyond != 0 and (wsign == 0 or (not p["both_run"] and (beyond > 0) - (beyond < 0) != wsign)):
            runs.append((i, abs(beyond)))  # a run completes
        if wsign == 0:
            beyond = 0
        elif (beyond > 0) - (beyond < 0) == wsign:
            beyond += wsign
        elif p["both_run"] and direction == "both":
            beyond = wsign * (abs(beyond) + 1)
        else:
            beyond = wsign
        if open_dir:
            within = 0 if wsign == open_dir else within + 1
            if within >= sust:
                open_dir = 0
                within = 0
                transition = "resolved"
        oor = 0
        if 1 <= run <= p["values"] and i + 1 - run >= p["range_min"]:
            mg = p["range_margin"] * sig
            if rmin[i] > bmax[i] + mg:
                oor = 1
            elif rmax[i] < bmin[i] - mg:
                oor = -1
        zq.append(wz)
        zok = False
        if p["zrun"] and abs(beyond) >= p["zrun"] and len(zq) - p["zrun"] >= p["zmin"]:
            zl = list(zq)
            k = p["zrun"]
            zok = min(zl[-k:]) > max(zl[max(0, len(zl) - k - p["range_cap"]):-k])
        bsign = (beyond > 0) - (beyond < 0)
        if p["range3"] and oor == 0 and abs(beyond) >= run + 1 and i - run >= p["range_min"]:
            if r3min[i] > b3max[i]:
                oor = 1
            elif r3max[i] < b3min[i]:
                oor = -1
        like_ok = tail <= p["tail"] and abs(beyond) >= lsust
        range_ok = oor != 0 and oor == bsign and abs(beyond) >= run
        run_ok = False
        if p["runtest"]:
            while runs and runs[0][0] <= i - p["run_hist"]:
                runs.popleft()
            longest = max((r for _, r in runs), default=0)
            run_ok = i >= p["range_min"] and abs(beyond) >= p["run_min"] and abs(beyond) > p["run_factor"] * longest
        evidence = like_ok or range_ok or zok or run_ok
        if quiet > 0:
            quiet -= 1
        elif not open_dir and transition is None and not cold and evidence:
            open_dir = 1 if beyond > 0 else -1
            within = 0
            quiet = max(p["quiet"], int(math.ceil(p["quiet_s"] / interval)))
            fired.append(i)
        if trace is not None:
            trace.append((i, actual, expected, z, tail, beyond, oor, quiet, open_dir, sbase))
        values.append(actual)
        learnt = expected if abs(z) > floor else actual
        day[t] = learnt
        dayq.append(t)
        while dayq and dayq[0] < t - DAY:
            del day[dayq.popleft()]
        if p["seasonal"]:
            hist_days[t] = actual if p["seasonal_raw"] else learnt
            histq.append(t)
            while histq and histq[0] < t - p["seasonal_days"] * DAY:
                del hist_days[histq.popleft()]
        history += 1
        last = t
    return fired


def load(path):
    rows = list(csv.DictReader(open(path)))
    pts = [(micros(parse(r["timestamp"])), float(r["value"]), k) for k, r in enumerate(rows)]
    order = sorted(range(len(pts)), key=lambda k: (pts[k][0], k))
    merged = []
    for k in order:
        if merged and merged[-1][0] == pts[k][0]:
            continue
        merged.append(pts[k])
    sp = [(b[0] - a[0]) / 1e6 for a, b in zip(merged, merged[1:])]
    med = median(sp)
    interval = max(1, int(math.floor(med + 0.5))) if med is not None else 3600
    return rows, merged, min(interval, 604800)


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--corpus", default=os.path.join(here, "..", "..", "shared", "data", "nab"))
    ap.add_argument("--out", default="/tmp/nab-proto")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--files", default="")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    p = dict(P)
    for kv in a.set:
        k, v = kv.split("=", 1)
        if k not in p:
            sys.exit("unknown " + k)
        p[k] = v if k == "direction" else (None if v == "None" else float(v) if "." in v or "e" in v else int(v))
    spec = importlib.util.spec_from_file_location("nab_sweeper", os.path.join(a.corpus, "nab", "sweeper.py"))
    sweeper = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sweeper)
    windows = json.load(open(os.path.join(a.corpus, "labels", "combined_windows.json")))
    profiles = {"standard": (1.0, 0.11, 1.0), "reward_low_FP_rate": (1.0, 0.22, 1.0), "reward_low_FN_rate": (1.0, 0.11, 2.0)}
    totals = {}
    for key in sorted(windows):
        if a.files and a.files not in key:
            continue
        cat = key.split("/")[0]
        rows, merged, interval = load(os.path.join(a.corpus, "data", key))
        fired = detect([(t, v) for t, v, _ in merged], interval, p)
        firedrows = {merged[i][2] for i in fired}
        stamps = [parse(r["timestamp"]) for r in rows]
        det = [1.0 if k in firedrows else 0.0 for k in range(len(rows))]
        lim = [(parse(s), parse(e)) for s, e in windows[key]]
        if a.out:
            os.makedirs(os.path.join(a.out, cat), exist_ok=True)
            with open(os.path.join(a.out, key), "w") as f:
                f.write("timestamp,detection\n")
                for r, d in zip(rows, det):
                    f.write(f"{r['timestamp']},{int(d)}\n")
        for prof, (tp, fp, fn) in profiles.items():
            sw = sweeper.Sweeper(probationPercent=0.15, costMatrix={"tpWeight": tp, "fpWeight": fp, "fnWeight": fn})
            _, row = sw.scoreDataSet(stamps, det, lim, key, 0.5)
            for g in (cat, "all"):
                t = totals.setdefault((prof, g), [0.0, 0, 0, 0, 0])
                t[0] += row.score; t[1] += len(lim); t[2] += row.tp; t[3] += row.fp; t[4] += row.fn
            if a.verbose and prof == "standard":
                pts = sw.calcSweepScore(stamps, det, lim, key)
                first = {}
                fpc = 0.0; nfp = 0
                for q in pts:
                    if q.anomalyScore < 0.5 or q.windowName == "probationary":
                        continue
                    if q.windowName is None:
                        fpc += q.sweepScore; nfp += 1
                    elif q.windowName not in first:
                        first[q.windowName] = q.sweepScore
                wins = " ".join(f"{first.get(f'{key}|{s}', None):.2f}" if f"{key}|{s}" in first else "MISS" for s, _ in lim)
                print(f"  {key}: alerts {len(fired)} raw {row.score:.2f} windows [{wins}] fp {nfp} cost {fpc:.2f}")
    cats = sorted({g for _, g in totals if g != "all"}) + ["all"]
    for g in cats:
        parts = []
        for prof, (tp, fp, fn) in profiles.items():
            s, n, TP, FP, FN = totals[(prof, g)]
            parts.append(f"{prof}={100.0 * (s + n * fn) / (n * tp + n * fn):.1f}" if n else f"{prof}: raw {s:.2f}")
        s, n, TP, FP, FN = totals[("standard", g)]
        print(f"{g}: " + " ".join(parts) + f"  (tp {TP} fp {FP} fn {FN})")


if __name__ == "__main__":
    main()
