"""TUI figures for benchmarks/run.py: the findings view on a 5,000-user report, peak
memory, and the whole sandbox walk driven by the Pilot (API calls and wall time)."""

from __future__ import annotations

import asyncio
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


class Heartbeat:
    """A task on the app's event loop that wakes every ``period`` s; the longest gap
    between two wake-ups beyond the period is the longest the UI was frozen. ``cpu`` is the
    event loop thread's own CPU time in that longest gap: what the gap would be on an idle
    machine (the rest is waiting for a core or the GIL on a busy one)."""

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self.longest = 0.0
        self.cpu = 0.0
        self._task: asyncio.Task | None = None

    async def _beat(self) -> None:
        while True:
            t0, c0 = time.perf_counter(), time.thread_time()
            await asyncio.sleep(self.period)
            gap = time.perf_counter() - t0 - self.period
            if gap > self.longest:
                self.longest, self.cpu = gap, time.thread_time() - c0

    def __enter__(self) -> Heartbeat:
        self._task = asyncio.get_running_loop().create_task(self._beat())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def findings_view(runs: int) -> tuple[list[float], list[float], list[float], list[float]]:
    """(time to fill and scroll to the last user, longest UI freeze meanwhile, the event
    loop thread's CPU time in that freeze, longest gap of the same app idle for as long:
    the floor; in ms) of the findings view on a 5,000-user report: fill, filter, clear the
    filter, scroll to the end."""
    from conftest import settle
    from screens.virtual_table import VirtualTable
    from synthetic import generate_synthetic_report
    from wizard.sandbox import start_sandbox

    times, freezes, cpus, floors = [], [], [], []
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
            with Heartbeat() as idle:  # the floor: the same app, idle, for a similar time
                await asyncio.sleep(3.0)
            with Heartbeat() as beat:
                t0 = time.perf_counter()
                app.screen.query_one("#analyse-file").press()
                await settle(app, pilot)
                table = app.screen.query_one("#users", VirtualTable)
                while table.row_count < 5001:
                    await pilot.pause()
                table.move_cursor(row=5000)  # scrolled to the last user
                await pilot.pause()
                times.append((time.perf_counter() - t0) * 1000)
                filt = app.screen.query_one("#filter")
                filt.focus()
                filt.value = "svc-"
                await pilot.press("enter")
                assert table.row_count == 625
                filt.value = ""
                await pilot.press("enter")
                table.focus()
                for key in ("end", "pageup", "pageup", "home", "pagedown"):
                    await pilot.press(key)
                await pilot.pause()
                assert table.row_count == 5001
            freezes.append(beat.longest * 1000)
            cpus.append(beat.cpu * 1000)
            floors.append(idle.longest * 1000)
        sandbox.stop()
    return times, freezes, cpus, floors


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


async def tui_figures(runs: int) -> list[tuple[str, ...]]:
    rows = []
    fv, freezes, cpus, floors = await findings_view(runs)
    rows.append(("findings view, 5,000 users: longest UI freeze (fill, filter, scroll)",
                 f"{min(freezes):.0f} ms", f"{statistics.median(freezes):.0f} ms", f"{max(freezes):.0f} ms",
                 "≤ 50 ms"))
    rows.append(("  same, the event loop thread's CPU time in that freeze",
                 f"{min(cpus):.0f} ms", f"{statistics.median(cpus):.0f} ms", f"{max(cpus):.0f} ms", ""))
    rows.append(("  floor: longest gap of the same app idle, just before",
                 f"{min(floors):.0f} ms", f"{statistics.median(floors):.0f} ms", f"{max(floors):.0f} ms", ""))
    ratios = [f / max(i, 1.0) for f, i in zip(freezes, floors)]
    rows.append(("  freeze / floor, each run", f"{min(ratios):.1f}×", f"{statistics.median(ratios):.1f}×",
                 f"{max(ratios):.1f}×", ""))
    rows.append(("  same, analysed, filled and scrolled to the last user",
                 f"{min(fv):.0f} ms", f"{statistics.median(fv):.0f} ms", f"{max(fv):.0f} ms", ""))
    times, calls, counter = await sandbox_walk(runs)
    rows.append(("sandbox walk by the Pilot, connect to export", f"{min(times):.0f} ms",
                 f"{statistics.median(times):.0f} ms", f"{max(times):.0f} ms", ""))
    rows.append(("sandbox walk: AWS API calls", str(min(calls)), str(int(statistics.median(calls))),
                 str(max(calls)), ""))
    for name, n in sorted(counter.items()):
        rows.append((f"  {name}", str(n), "", "", ""))
    rows.append(("peak memory: app + sandbox + 5,000-user findings view", f"{peak_memory_mb():.0f} MB",
                 "", "", "< 200 MB"))
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
