"""Audit-path figures for benchmarks/run.py, each a ratio to its floor measured in the same
run (the app and the floor run in turn, as separate processes, so a busy machine slows
both alike):

- `rootwizard audit --report F --json` for 5,000 users (AWS's IAM user quota) and for
  100,000 users (an organization-wide aggregate), whole process, against a bare
  `list(csv.DictReader(open(F)))` python process; and the peak RSS of each;
- parse + analyse in process for 5,000 users against a DictReader parse of the same file;
- live `rootwizard audit --json` on the sandbox's messy account (its seeded users, served
  over HTTP by the sandbox's moto server on 127.0.0.1 through AWS_ENDPOINT_URL) against a
  bare boto3 process that generates and downloads the same report.

The reports are generated (tests/synthetic.py) into a temporary folder, never committed.
"""

from __future__ import annotations

import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
FLOOR_CODE = "import csv, sys; list(csv.DictReader(open(sys.argv[1])))"
LIVE_FLOOR_CODE = ("import time, boto3; iam = boto3.client('iam')\n"
                   "while iam.generate_credential_report()['State'] != 'COMPLETE': time.sleep(0.2)\n"
                   "iam.get_credential_report()")
TIME = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)


def rootwizard() -> list[str]:
    """How to run the installed app: its console script, else the module."""
    script = Path(sys.executable).with_name("rootwizard")
    return [str(script)] if script.exists() else [sys.executable, "-m", "wizard.cli"]


# As an installed app runs: its modules' bytecode cached (PYTHONDONTWRITEBYTECODE would
# make every run compile the app from source while the floor's stdlib is precompiled).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MiB) of one process; stdout discarded."""
    if TIME:  # GNU time reports the child's own peak (ru_maxrss of a direct child can
        cmd = [TIME, "-f", "%U %S %M", *cmd]  # include this larger parent's pages before exec)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env or ENV)
    wall = time.perf_counter() - t0
    if out.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed: {out.stderr[-1000:]}")
    if not TIME:
        return wall, float("nan"), float("nan")
    user, system, rss = out.stderr.strip().splitlines()[-1].split()
    return wall, float(user) + float(system), int(rss) / 1024


def _spread(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def _paired(app: list[str], floor: list[str], runs: int, env: dict[str, str] | None = None,
            ) -> dict[str, list[float]]:
    """The app and its floor run in turn ``runs`` times (after one warm-up run of each:
    bytecode written, files in the page cache): wall and CPU ratios, the app's wall time
    and both peak RSS."""
    _run(floor, env)
    _run(app, env)
    out: dict[str, list[float]] = {k: [] for k in ("wall", "cpu", "app_wall", "app_rss", "floor_rss")}
    for _ in range(runs):
        f_wall, f_cpu, f_rss = _run(floor, env)
        a_wall, a_cpu, a_rss = _run(app, env)
        out["wall"].append(a_wall / f_wall)
        out["cpu"].append(a_cpu / f_cpu)
        out["app_wall"].append(a_wall)
        out["app_rss"].append(a_rss)
        out["floor_rss"].append(f_rss)
    return out


def _process_ratio(report: Path, runs: int) -> dict[str, list[float]]:
    return _paired([*rootwizard(), "audit", "--report", str(report), "--now", NOW.isoformat(), "--json"],
                   [sys.executable, "-c", FLOOR_CODE, str(report)], runs)


def _live_ratio(runs: int) -> tuple[list[float], list[float], int]:
    """(app / floor wall time ratios, app wall times in ms, the users in the report) of a
    live audit against the sandbox; AWS returns the report it generated for four hours, so
    after the warm-up the app and its floor make the same two calls."""
    from wizard.sandbox import start_sandbox

    sandbox = start_sandbox()
    tmp = Path(tempfile.mkdtemp(prefix="rootwizard-bench-"))
    env = {k: v for k, v in ENV.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=sandbox.endpoint_url, AWS_ACCESS_KEY_ID=sandbox.access_key_id,
               AWS_SECRET_ACCESS_KEY=sandbox.secret_access_key, AWS_DEFAULT_REGION=sandbox.region,
               AWS_CONFIG_FILE=str(tmp / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp / "none"),
               ROOTWIZARD_STATE_DIR=str(tmp / "state"))
    try:
        r = _paired([*rootwizard(), "audit", "--json"], [sys.executable, "-c", LIVE_FLOOR_CODE], runs, env)
        return r["wall"], [w * 1000 for w in r["app_wall"]], len(sandbox.report_rows())
    finally:
        sandbox.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _in_process_ratio(report: Path, runs: int) -> tuple[list[float], list[float]]:
    from wizard.credreport import analyse, parse_report

    data = report.read_bytes()
    ratios, times = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        with open(report, newline="") as f:
            list(csv.DictReader(f))
        t1 = time.perf_counter()
        analyse(parse_report(data), NOW)
        t2 = time.perf_counter()
        ratios.append((t2 - t1) / (t1 - t0))
        times.append((t2 - t1) * 1000)
    return ratios, times


def audit_figures(runs: int) -> list[tuple[str, str, str, str, str]]:
    """Rows (figure, min, median, max, target)."""
    from synthetic import generate_synthetic_report

    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="rootwizard-bench-"))
    try:
        small, large = tmp / "users-5000.csv", tmp / "users-100000.csv"
        small.write_text(generate_synthetic_report(5000, NOW))
        large.write_text(generate_synthetic_report(100_000, NOW))

        for label, path, n, target, unit in (("5,000", small, runs, "≤ 2.5×", 1000),
                                             ("100,000", large, max(1, runs // 2), "≤ 3.5×", 1)):
            r = _process_ratio(path, n)
            rows.append((f"`audit --report --json`, {label} users, whole process / bare DictReader process",
                         *(f"{x:.2f}×" for x in _spread(r["wall"])), target))
            rows.append(("  same, CPU time (user + system) ratio", *(f"{x:.2f}×" for x in _spread(r["cpu"])), ""))
            wall = [w * unit for w in r["app_wall"]]
            name = "ms" if unit == 1000 else "s"
            rows.append((f"  same, app wall time ({name}) and peak RSS: app (floor)", f"{min(wall):.1f}",
                         f"{statistics.median(wall):.1f}", f"{max(r['app_rss']):.0f} MiB ({max(r['floor_rss']):.0f})",
                         "≤ 300 MiB" if label == "100,000" else ""))
        ratios, times = _in_process_ratio(small, runs)
        rows.append(("parse + analyse in process, 5,000 users / DictReader parse",
                     *(f"{r:.2f}×" for r in _spread(ratios)), "≤ 2.5×"))
        rows.append(("  same, parse + analyse time", f"{min(times):.0f} ms", f"{statistics.median(times):.0f} ms",
                     f"{max(times):.0f} ms", ""))
        ratios, times, users = _live_ratio(runs)
        rows.append((f"live `audit --json`, the sandbox's messy account ({users} rows) / bare boto3 "
                     "generate + get process", *(f"{r:.2f}×" for r in _spread(ratios)), "≤ 1.1×"))
        rows.append(("  same, app wall time", f"{min(times):.0f} ms", f"{statistics.median(times):.0f} ms",
                     f"{max(times):.0f} ms", ""))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows
