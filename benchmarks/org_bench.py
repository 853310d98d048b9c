"""`rootwizard org audit` at scale (a benchmark, not a test).

    python benchmarks/org_bench.py [--members 200] [--concurrency 16] [--skip-real] [--skip-sim]

1. Real: a sandbox organisation with --members member accounts (the demo's mix of root
   states, 3% suspended) on the local in-process moto server; the audit of every member
   (sts:AssumeRoot + six to eight IAM calls each, through the same code as
   `rootwizard org audit`) is timed, in a child process per run so that the peak RSS
   (ru_maxrss) is that run's: client, server and moto state together. Targets: 200
   members in <= 60 s wall and <= 200 MiB peak RSS. A run at a quarter of the members
   shows how memory grows with the number of accounts.
2. Simulation: 1,000 members, with per-call latency and per-account throttling, for
   each --concurrency; a discrete-event model of the same call sequence per account and
   of botocore's retry backoff. The parameters are assumptions (SIM below), printed with
   the results. Target: within 10 minutes of simulated time.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# ---- 1. the real sandbox -------------------------------------------------------------------------

def real_run(members: int, concurrency: int) -> dict:
    """In this process: start the organisation, audit it, report figures."""
    from wizard import organizations as org
    from wizard.aws import AwsAccess
    from wizard.org_sandbox import generated_members, start_org_sandbox

    t0 = time.monotonic()
    sb = start_org_sandbox(generated_members(members))
    started = time.monotonic() - t0
    try:
        aws = AwsAccess(sb.connection_settings())
        t1 = time.monotonic()
        ctx = org.prepare_audit(aws)
        rows = list(org.run_audit(aws, ctx, list(org.list_accounts(aws)), concurrency=concurrency))
        wall = time.monotonic() - t1
        counts = org.count_verdicts(rows)
        calls = sum(sb.calls.values())
    finally:
        sb.stop()
    return {"members": members, "concurrency": concurrency, "start_s": round(started, 1),
            "audit_wall_s": round(wall, 2), "peak_rss_mib": round(resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "counts": counts,
            "server_calls": calls, "accounts_per_s": round(len(rows) / wall, 1)}


def real(members: int, concurrency: int) -> list[dict]:
    out = []
    for n in (max(1, members // 4), members):
        r = subprocess.run([sys.executable, __file__, "--child", str(n), "--concurrency", str(concurrency)],
                           capture_output=True, text=True, timeout=900, cwd=ROOT)
        if r.returncode != 0:
            raise SystemExit(f"benchmark child failed: {r.stderr[-3000:]}")
        out.append(json.loads(r.stdout.strip().splitlines()[-1]))
    return out


# ---- 2. the simulation ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SimParams:
    members: int = 1000
    # Assumptions (no AWS figure published): round trip + service time per call from a
    # client in the same continent as the region.
    assume_root_ms: float = 150.0
    iam_call_ms: float = 90.0
    latency_jitter: float = 0.3  # each call's latency x uniform(1 - j, 1 + j)
    # The demo's mix: share of accounts with a root access key (one extra
    # GetAccessKeyLastUsed per key) and suspended (skipped without a call).
    share_with_key: float = 0.25
    share_suspended: float = 0.03
    # Per-account throttling (assumption): 5% of accounts run automation that uses up
    # their IAM request rate; each IAM call there is throttled with probability 0.5.
    share_throttled: float = 0.05
    throttle_probability: float = 0.5
    # sts:AssumeRoot rate for the caller (assumption): a token bucket of 20 per second.
    assume_root_per_s: float = 20.0
    # botocore's retries (standard/adaptive): attempts and backoff rand(0,1) x 2^attempt, max 20 s.
    max_attempts: int = 5
    seed: int = 19


SIM = SimParams()


def simulate(p: SimParams, concurrency: int) -> dict:
    """Simulated seconds for an audit of p.members accounts with ``concurrency`` workers."""
    rnd = random.Random(p.seed)
    accounts = []
    for _ in range(p.members):
        suspended = rnd.random() < p.share_suspended
        keys = 1 if rnd.random() < p.share_with_key else 0
        throttled = rnd.random() < p.share_throttled
        accounts.append((suspended, keys, throttled))
    bucket = {"tokens": p.assume_root_per_s, "at": 0.0}
    failed = throttles = calls = 0

    def latency(ms: float) -> float:
        return ms / 1000 * rnd.uniform(1 - p.latency_jitter, 1 + p.latency_jitter)

    def assume_root_allowed(now: float) -> bool:
        bucket["tokens"] = min(p.assume_root_per_s, bucket["tokens"] + (now - bucket["at"]) * p.assume_root_per_s)
        bucket["at"] = now
        if bucket["tokens"] >= 1:
            bucket["tokens"] -= 1
            return True
        return False

    def requests(account: tuple[bool, int, bool]):  # noqa: ANN202 - the calls of one account
        suspended, keys, throttled = account
        if suspended:  # skipped without a call
            return
        yield "sts", False
        for _ in range(5 + keys):  # summary, login profile, keys, (last used), certs, MFA
            yield "iam", throttled

    # Events in time order: (time, seq, worker); each worker audits one account at a time
    # and takes the next one when it is done, as the pool does.
    todo = iter(accounts)
    current: dict[int, tuple] = {}  # worker -> [request generator, request, attempt]
    events: list[tuple[float, int, int]] = []
    seq = 0

    def next_account(w: int, now: float) -> None:
        nonlocal seq
        for account in todo:
            gen = requests(account)
            req = next(gen, None)
            if req is not None:
                current[w] = [gen, req, 0]
                seq += 1
                heapq.heappush(events, (now, seq, w))
                return
        current.pop(w, None)

    for w in range(concurrency):
        next_account(w, 0.0)
    end = 0.0
    while events:
        now, _, w = heapq.heappop(events)
        gen, (kind, throttled), attempt = current[w]
        calls += 1
        if kind == "sts":
            ok = assume_root_allowed(now)
            done_at = now + latency(p.assume_root_ms)
        else:
            ok = not (throttled and rnd.random() < p.throttle_probability)
            done_at = now + latency(p.iam_call_ms)
        end = max(end, done_at)
        if ok:
            req = next(gen, None)
            if req is None:
                next_account(w, done_at)
            else:
                current[w] = [gen, req, 0]
                seq += 1
                heapq.heappush(events, (done_at, seq, w))
            continue
        throttles += 1
        if attempt + 1 < p.max_attempts:
            current[w][2] = attempt + 1
            seq += 1
            heapq.heappush(events, (done_at + min(20.0, rnd.random() * 2 ** attempt), seq, w))
        else:
            failed += 1
            next_account(w, done_at)
    return {"concurrency": concurrency, "simulated_s": round(end, 1), "calls": calls,
            "throttled_calls": throttles, "accounts_failed": failed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--skip-sim", action="store_true")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(real_run(a.child, a.concurrency)))
        return
    if not a.skip_real:
        print("Real sandbox organisation (local moto server, in-process):")
        print(f"{'members':>8} {'conc.':>6} {'start s':>8} {'audit wall s':>13} {'accounts/s':>11} "
              f"{'peak RSS MiB':>13}  counts")
        for r in real(a.members, a.concurrency):
            print(f"{r['members']:>8} {r['concurrency']:>6} {r['start_s']:>8} {r['audit_wall_s']:>13} "
                  f"{r['accounts_per_s']:>11} {r['peak_rss_mib']:>13}  {r['counts']}")
        print("targets: 200 members <= 60 s wall, <= 200 MiB peak RSS")
    if not a.skip_sim:
        print(f"\nSimulation of {SIM.members} members (assumptions): {json.dumps(asdict(SIM))}")
        print(f"{'conc.':>6} {'simulated s':>12} {'minutes':>8} {'calls':>7} {'throttled':>10} {'failed':>7}")
        for c in (1, 2, 4, 8, 16, 32, 64):
            r = simulate(SIM, c)
            print(f"{c:>6} {r['simulated_s']:>12} {r['simulated_s'] / 60:>8.1f} {r['calls']:>7} "
                  f"{r['throttled_calls']:>10} {r['accounts_failed']:>7}")
        print("target: within 10 minutes of simulated time")


if __name__ == "__main__":
    main()
