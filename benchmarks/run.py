"""rootwizard benchmarks: prints a table of figures (min and median over several runs).

    python benchmarks/run.py [--runs N]

Figures: cold start to first paint of `rootwizard --demo` (headless), `python -X importtime`
totals for the app's modules, parsing + analysing a 5,000-user credential report, the
findings view filled with it in the TUI, peak memory, and the sandbox walk (API calls and
wall time) driven by the Pilot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
ROWS: list[tuple[str, str, str, str]] = []


def row(name: str, values: list[float], unit: str, target: str = "") -> None:
    ROWS.append((name, f"{min(values):.1f} {unit}", f"{statistics.median(values):.1f} {unit}", target))


def cold_start(runs: int) -> None:
    times = []
    for _ in range(runs):
        t0 = time.time()
        out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "first_paint.py")],
                             capture_output=True, text=True, timeout=120, cwd=ROOT)
        m = re.search(r"PAINT (\d+\.\d+)", out.stdout)
        if not m:
            raise SystemExit(f"first paint not seen: {out.stdout[-500:]} {out.stderr[-2000:]}")
        times.append((float(m.group(1)) - t0) * 1000)
    row("cold start to first paint (rootwizard --demo)", times, "ms", "< 1000 ms")


def import_times() -> None:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import wizard.cli, screens.app"],
                         capture_output=True, text=True, cwd=ROOT)
    own = total = 0
    heavy = {}
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if not m:
            continue
        self_us, cum_us, indent, mod = int(m.group(1)), int(m.group(2)), len(m.group(3)), m.group(4)
        if mod.split(".")[0] in ("wizard", "screens"):
            own += self_us
        if indent == 1:
            total += cum_us
        if mod in ("textual", "boto3", "botocore", "moto"):
            heavy[mod] = cum_us
    ROWS.append(("importtime: app modules (self)", f"{own / 1000:.1f} ms", "", ""))
    ROWS.append(("importtime: total for `import wizard.cli, screens.app`", f"{total / 1000:.1f} ms", "", ""))
    for mod in ("boto3", "botocore", "moto"):
        ROWS.append((f"importtime: {mod} on the first-paint path", "no" if mod not in heavy else
                     f"yes ({heavy[mod] / 1000:.0f} ms)", "", "lazy"))


def report_analysis(runs: int) -> tuple[str, datetime]:
    from synthetic import generate_synthetic_report
    from wizard.credreport import analyse, parse_report, user_table

    now = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
    csv_text = generate_synthetic_report(5000, now)
    parse, full = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        report = parse_report(csv_text)
        t1 = time.perf_counter()
        analyse(report, now)
        t2 = time.perf_counter()
        user_table(report, now)
        parse.append((t1 - t0) * 1000)
        full.append((t2 - t0) * 1000)
    row("5,000-user report: parse", parse, "ms")
    row("5,000-user report: parse + analyse", full, "ms", "< 100 ms")
    return csv_text, now


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    cold_start(args.runs)
    import_times()
    report_analysis(args.runs)
    try:
        from bench_tui import tui_figures
    except ImportError:
        tui_figures = None
    if tui_figures is not None:
        ROWS.extend(asyncio.run(tui_figures(args.runs)))
    w = max(len(r[0]) for r in ROWS)
    print(f"{'figure':<{w}}  {'min':>12}  {'median':>12}  target")
    for name, mn, med, target in ROWS:
        print(f"{name:<{w}}  {mn:>12}  {med:>12}  {target}")
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
