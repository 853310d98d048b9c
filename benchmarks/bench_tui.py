"""TUI figures for benchmarks/run.py: the findings view on a 5,000-user report, peak
memory, and the whole sandbox walk driven by the Pilot (API calls and wall time)."""

from __future__ import annotations

import collections
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path


def _app(sandbox, state_dir):
    from screens.app import RootWizardApp
    from wizard.aws import AwsAccess
    from wizard.context import WizardContext

    return RootWizardApp(WizardContext(aws=AwsAccess(sandbox.connection_settings()), state_dir=state_dir,
                                       sandbox=sandbox))


async def findings_view(runs: int) -> list[float]:
    from textual.widgets import DataTable

    from conftest import settle
    from synthetic import generate_synthetic_report

    from wizard.sandbox import start_sandbox

    times = []
    for _ in range(runs):
        sandbox = start_sandbox()
        tmp = Path(tempfile.mkdtemp())
        text = generate_synthetic_report(5000, datetime.now(timezone.utc))
        foreign = text.split("arn:aws:iam::", 1)[1][:12]
        (tmp / "report.csv").write_text(text.replace(foreign, sandbox.account_id))
        app = _app(sandbox, tmp / "state")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            app.goto("credential_report")
            await settle(app, pilot)
            app.screen.query_one("#report-file").value = str(tmp / "report.csv")
            t0 = time.perf_counter()
            app.screen.query_one("#analyse-file").press()
            await settle(app, pilot)
            table = app.screen.query_one("#users", DataTable)
            while table.row_count < 5001:
                await pilot.pause()
            table.move_cursor(row=5000)  # scrolled to the last user
            await pilot.pause()
            times.append((time.perf_counter() - t0) * 1000)
            assert table.row_count == 5001
        sandbox.stop()
    return times


async def sandbox_walk(runs: int) -> tuple[list[float], list[int], collections.Counter]:
    from walk import walk
    from wizard.sandbox import start_sandbox

    times, calls, counter = [], [], collections.Counter()
    for _ in range(runs):
        sandbox = start_sandbox()
        tmp = Path(tempfile.mkdtemp())
        app = _app(sandbox, tmp / "state")
        t0 = time.perf_counter()
        async with app.run_test(size=(120, 40)) as pilot:
            await walk(app, pilot, tmp / "record.json")
        times.append((time.perf_counter() - t0) * 1000)
        calls.append(len(app.ctx.aws.calls))
        counter = collections.Counter(app.ctx.aws.calls)
        sandbox.stop()
    return times, calls, counter


async def tui_figures(runs: int) -> list[tuple[str, str, str, str]]:
    rows = []
    fv = await findings_view(runs)
    rows.append(("findings view: 5,000-user table filled and scrolled",
                 f"{min(fv):.0f} ms", f"{statistics.median(fv):.0f} ms", "< 1000 ms"))
    times, calls, counter = await sandbox_walk(runs)
    rows.append(("sandbox walk by the Pilot, connect to export", f"{min(times):.0f} ms",
                 f"{statistics.median(times):.0f} ms", ""))
    rows.append(("sandbox walk: AWS API calls", str(min(calls)), str(int(statistics.median(calls))), ""))
    for name, n in sorted(counter.items()):
        rows.append((f"  {name}", str(n), "", ""))
    rows.append(("peak memory: app + sandbox + 5,000-user findings view", f"{peak_memory_mb():.0f} MB",
                 "", "< 200 MB"))
    return rows


def peak_memory_mb() -> float:
    """Peak RSS of a fresh process that opens the findings view on 5,000 users once."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (larger) parent.
    code = (f"import asyncio, re, sys; sys.path[:0] = [{str(root)!r}, {str(root / 'tests')!r}];"
            "from benchmarks.bench_tui import findings_view; asyncio.run(findings_view(1));"
            "print(re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    return int(out.stdout.split()[-1]) / 1024
