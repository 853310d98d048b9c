"""Progress is never lost: a real process killed with SIGKILL while it writes the session
leaves a file that parses and holds every step it reported as saved."""

import os
import random
import signal
import subprocess
import sys
import time

from wizard.checklist import Status
from wizard.session import SessionStore

ACCOUNT = "123456789012"

WRITER = r"""
import sys
from pathlib import Path
from wizard.checklist import Checklist, STEP_DEFS, Status
from wizard.session import SessionStore

store = SessionStore(Path(sys.argv[1]), "123456789012")
cl = store.load() if store.exists() else Checklist(account_id="123456789012")
ids = [s.id for s in STEP_DEFS]
n = 0
while True:  # keep changing steps and saving, as a busy wizard would
    sid = ids[n % len(ids)]
    cl.set_status(sid, Status.DONE, evidence={"n": n, "pad": "x" * 4000}, source="aws")
    store.save(cl)
    print(f"saved {sid} {n}", flush=True)
    n += 1
"""


def test_sigkill_during_session_writes_never_loses_a_saved_step(tmp_path):
    rng = random.Random(7)
    for round_ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        lines = []
        target = rng.randint(3, 40)
        while len(lines) < target:
            lines.append(proc.stdout.readline().strip())
        time.sleep(rng.random() * 0.01)  # land somewhere inside a later write
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        last_sid, last_n = lines[-1].split()[1], int(lines[-1].split()[2])
        cl = SessionStore(tmp_path, ACCOUNT).load()  # parses: never half-written
        rec = cl.step(last_sid)
        assert rec.status == Status.DONE and rec.evidence["n"] >= last_n, round_
        leftovers = [p for p in (tmp_path / ACCOUNT).iterdir() if p.name.endswith(".tmp")]
        for p in leftovers:  # a temp file of the killed write may remain; never the session itself
            assert p.name.startswith(".session.json.")
    store = SessionStore(tmp_path, ACCOUNT)
    assert store.lock()  # the next start cleans what killed writes left
    assert not [p for p in store.folder.iterdir() if p.name.endswith(".tmp")]
    store.unlock()


def test_killed_wizard_releases_its_lock(tmp_path):
    code = ("import time,sys; from pathlib import Path; from wizard.session import SessionStore;"
            f"s=SessionStore(Path({str(tmp_path)!r}), {ACCOUNT!r}); assert s.lock(); print('ok', flush=True);"
            "time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ok"
    assert not SessionStore(tmp_path, ACCOUNT).lock()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = SessionStore(tmp_path, ACCOUNT)
    assert store.lock()
    store.unlock()
