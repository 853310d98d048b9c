"""rootwizard benchmarks: prints a table of figures (min, median and max over several runs).

    python benchmarks/run.py [--runs N] [--only audit|tui|start]

Figures are ratios to a floor measured in the same run wherever there is a floor (the
cheapest process or call doing the same job, run in turn with the app): the audit path
(bench_audit.py: 5,000 and 100,000 users, whole process and in process), cold start to
first paint of `rootwizard --demo` on a pseudo-terminal against `python -c "import
textual.app"` (first_paint.py), the findings view's longest UI freeze (a heartbeat on the
app's event loop, with the main thread's CPU time in that gap, and the same app idle as its
floor: bench_tui.py), peak memory, and the sandbox walk (API calls and wall time) driven
by the Pilot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
ROWS: list[tuple[str, ...]] = []


def row(name: str, values: list[float], unit: str, target: str = "") -> None:
    ROWS.append((name, f"{min(values):.1f} {unit}", f"{statistics.median(values):.1f} {unit}",
                 f"{max(values):.1f} {unit}", target))


def cold_start(runs: int) -> None:
    from first_paint import measure

    ratios, times = measure(runs)
    ROWS.append(("first paint of `rootwizard --demo` on a pty / `python -c \"import textual.app\"`",
                 *(f"{r:.2f}×" for r in (min(ratios), statistics.median(ratios), max(ratios))), "≤ 1.5×"))
    row("  same, cold start to first paint", times, "ms")


def import_times() -> None:
    from bench_audit import ENV

    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import wizard.cli, screens.app, screens.connect"],
                         capture_output=True, text=True, cwd=ROOT, env=ENV)
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
    ROWS.append(("importtime: app modules (self)", f"{own / 1000:.1f} ms", "", "", ""))
    ROWS.append(("importtime: total for `import wizard.cli, screens.app, screens.connect`",
                 f"{total / 1000:.1f} ms", "", "", ""))
    for mod in ("boto3", "botocore", "moto"):
        ROWS.append((f"importtime: {mod} on the first-paint path", "no" if mod not in heavy else
                     f"yes ({heavy[mod] / 1000:.0f} ms)", "", "", "lazy"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", choices=("audit", "tui", "start"), help="one group of figures")
    args = ap.parse_args()
    if args.only in (None, "audit"):
        from bench_audit import audit_figures

        ROWS.extend(audit_figures(args.runs))
    if args.only in (None, "start"):
        cold_start(args.runs)
        import_times()
    if args.only in (None, "tui"):
        from bench_tui import tui_figures

        ROWS.extend(asyncio.run(tui_figures(args.runs)))
    w = max(len(r[0]) for r in ROWS)
    print(f"{'figure':<{w}}  {'min':>12}  {'median':>12}  {'max':>16}  target")
    for name, mn, med, mx, target in ROWS:
        print(f"{name:<{w}}  {mn:>12}  {med:>12}  {mx:>16}  {target}")
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f} at the end; {datetime.now(timezone.utc):%Y-%m-%d}")


if __name__ == "__main__":
    main()
