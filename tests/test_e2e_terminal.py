"""The real `rootwizard` in a real terminal (tmux): killed with SIGKILL after progress was
made, the next start resumes it intact."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
BIN = Path(sys.executable).parent / "rootwizard"


def _tmux(*args, check=True):
    return subprocess.run(["tmux", "-L", "rootwizard-test", *args], capture_output=True, text=True, check=check)


def _wait_for(pred, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(0.2)
    return None


def _screen():
    return _tmux("capture-pane", "-p", "-t", "rw", check=False).stdout


@pytest.fixture
def terminal(tmp_path):
    env_cmd = f"cd {tmp_path} && HOME={tmp_path} XDG_STATE_HOME={tmp_path}/xdg"
    yield env_cmd
    _tmux("kill-server", check=False)


def _start(env_cmd, state, *flags):
    _tmux("kill-server", check=False)
    _tmux("new-session", "-d", "-s", "rw", "-x", "120", "-y", "40",
          f"{env_cmd} {BIN} --demo --state-dir {state} {' '.join(flags)}; sleep 60")


def _wizard_pid(state):
    """The wizard's own Python process (not the shell tmux runs it from)."""
    out = subprocess.run(["pgrep", "-f", f"python[0-9.]* {BIN} --demo --state-dir {state}"], capture_output=True,
                         text=True).stdout.split()
    return int(out[0]) if out else None


def test_sigkill_then_resume_in_a_real_terminal(terminal, tmp_path):
    state = tmp_path / "state"
    session = state / "111122223333" / "session.json"
    _start(terminal, state)
    assert _wait_for(lambda: "Connected to the SANDBOX" in _screen()), _screen()
    assert "SANDBOX" in _screen().splitlines()[0]
    assert _wait_for(session.exists)
    doc = json.loads(session.read_text())
    assert doc["session"]["steps"][0]["status"] == "done"
    pid = _wizard_pid(state)
    assert pid
    os.kill(pid, signal.SIGKILL)
    assert _wait_for(lambda: _wizard_pid(state) is None, 10)

    _start(terminal, state, "--resume")
    assert _wait_for(lambda: "Resumed" in _screen() or "Connected" in _screen()), _screen()
    assert "session is in use" not in _screen()  # the dead process's lock is gone
    doc = json.loads(session.read_text())
    assert doc["session"]["steps"][0]["status"] == "done"
    assert not list(session.parent.glob("session.json.corrupt-*"))
