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


SOCKET = f"rootwizard-test-{os.getpid()}"  # one tmux server per test process (pytest-xdist workers)


def _tmux(*args, check=True):
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=check)


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


def _start(env_cmd, state, *flags, size=(120, 40)):
    """Run the wizard in a fresh tmux pane of ``size``. The short sleep lets tmux settle the
    pane size first (a resize racing the app's start-up can be missed)."""
    _tmux("kill-server", check=False)
    command = f"sleep 0.5; {env_cmd} {BIN} --demo --state-dir {state} {' '.join(flags)}; sleep 60"
    for _ in range(20):  # the killed server may still be shutting down
        if _tmux("new-session", "-d", "-s", "rw", "-x", str(size[0]), "-y", str(size[1]), command,
                 check=False).returncode == 0:
            return
        time.sleep(0.2)
    raise AssertionError("tmux did not start a session")


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


def _zbar():
    try:
        from pyzbar import pyzbar

        pyzbar.decode  # noqa: B018
        return pyzbar
    except (ImportError, OSError):
        return None


@pytest.mark.skipif(_zbar() is None, reason="zbar (libzbar0) is not installed")
def test_qr_code_decodes_from_a_100x30_terminal_capture(terminal, tmp_path):
    from ansi_capture import cells, image

    state = tmp_path / "state"
    _start(terminal, state, size=(100, 30))
    assert _wait_for(lambda: "Connected to the SANDBOX" in _screen()), _screen()
    _tmux("send-keys", "-t", "rw", "Escape")  # into the step list, on the current step
    time.sleep(1)  # a lone Escape: keys sent at once after it would read as alt+key
    for _ in range(10):  # down the checklist to "Virtual MFA for an IAM user"
        _tmux("send-keys", "-t", "rw", "Down")
    _tmux("send-keys", "-t", "rw", "Enter")
    assert _wait_for(lambda: "NO MFA" in _screen()), _screen()
    _tmux("send-keys", "-t", "rw", "F2")  # "Create the MFA device"
    assert _wait_for(lambda: "▀" * 20 in _screen()), _screen()

    def decoded_capture():  # the code may still be drawing on a busy machine: poll until it reads
        capture = _tmux("capture-pane", "-p", "-e", "-t", "rw").stdout
        return [r.data.decode() for r in _zbar().decode(image(cells(capture)))]

    decoded = _wait_for(decoded_capture, 15) or decoded_capture()
    assert len(decoded) == 1
    uri = decoded[0]
    assert uri.startswith("otpauth://totp/Amazon%20Web%20Services:") and "@111122223333?secret=" in uri
    assert uri.endswith("&issuer=Amazon%20Web%20Services")
    seed = uri.split("secret=")[1].split("&")[0]
    _tmux("send-keys", "-t", "rw", "C-q")
    assert _wait_for(lambda: _wizard_pid(state) is None, 15)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert seed not in path.read_bytes().decode("utf-8", "replace"), path


@pytest.mark.skipif(_zbar() is None, reason="zbar (libzbar0) is not installed")
def test_mfa_enroll_on_a_plain_terminal_end_to_end(terminal, tmp_path):
    """`rootwizard mfa enroll`: the phone's part is played by decoding the printed QR code."""
    import pyotp

    from ansi_capture import cells, image

    _tmux("kill-server", check=False)
    command = (f"sleep 0.5; {terminal} {BIN} mfa enroll --demo --user bob.martin "
               f"--state-dir {tmp_path / 'state'}; echo EXIT=$?; sleep 60")
    for _ in range(20):
        if _tmux("new-session", "-d", "-s", "rw", "-x", "120", "-y", "50", command, check=False).returncode == 0:
            break
        time.sleep(0.2)
    assert _wait_for(lambda: "Show the secret as text? [y/N]" in _screen()), _screen()
    capture = _tmux("capture-pane", "-p", "-e", "-t", "rw").stdout
    [uri] = [r.data.decode() for r in _zbar().decode(image(cells(capture)))]
    seed = uri.split("secret=")[1].split("&")[0]
    _tmux("send-keys", "-t", "rw", "n", "Enter")
    assert _wait_for(lambda: "Code 1:" in _screen())
    totp, now = pyotp.TOTP(seed), time.time()
    _tmux("send-keys", "-t", "rw", totp.at(now), "Enter")
    _tmux("send-keys", "-t", "rw", totp.at(now), "Enter")  # the same code twice: refused, asked again
    assert _wait_for(lambda: "same code" in _screen()), _screen()
    assert _wait_for(lambda: _screen().count("Code 1:") == 2)
    _tmux("send-keys", "-t", "rw", totp.at(now), "Enter")
    _tmux("send-keys", "-t", "rw", totp.at(now + 30), "Enter")
    assert _wait_for(lambda: "EXIT=" in _screen()), _screen()
    screen = _screen()
    assert "EXIT=0" in screen and "MFA enabled for bob.martin: arn:aws:iam::111122223333:mfa/bob.martin" in screen
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert seed not in path.read_bytes().decode("utf-8", "replace"), path


def test_hostile_alternate_contact_in_a_real_terminal(terminal, tmp_path, moto_server):
    """An alternate contact named with an OSC 0 title sequence (PutAlternateContact accepts
    it): the real app, opened on that step through the command palette, shows the sequence
    as text; the terminal's title is unchanged and the app keeps running."""
    import urllib.request

    import boto3

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).read()
    account = boto3.client("account", endpoint_url=moto_server, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    account.put_alternate_contact(AlternateContactType="SECURITY", Name="Eve\x1b]0;PWNED\x07 [/]", Title="CISO",
                                  EmailAddress="eve@example.com", PhoneNumber="+15555550100")
    state = tmp_path / "state"
    env = (f"AWS_ENDPOINT_URL={moto_server} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
           "AWS_DEFAULT_REGION=us-east-1")
    _tmux("kill-server", check=False)
    command = f"sleep 0.5; {terminal} {env} {BIN} --state-dir {state}; echo EXITED; sleep 60"
    assert _wait_for(lambda: _tmux("new-session", "-d", "-s", "rw", "-x", "120", "-y", "40", command,
                                   check=False).returncode == 0, 5)
    title = _tmux("display", "-p", "-t", "rw", "#{pane_title}").stdout
    assert _wait_for(lambda: "Connected." in _screen()), _screen()
    _tmux("send-keys", "-t", "rw", "C-p")
    assert _wait_for(lambda: "🔎" in _screen()), _screen()
    _tmux("send-keys", "-t", "rw", "-l", "go to: alternate contacts")
    assert _wait_for(lambda: "Go to: Alternate contacts" in _screen()), _screen()
    _tmux("send-keys", "-t", "rw", "Enter")
    assert _wait_for(lambda: "PWNED" in _screen()), _screen()
    shown = _screen()
    assert "Eve\\x1b]0;PWNED\\x07 [/]" in shown.replace("\n", "")
    assert "EXITED" not in shown and "unexpected error" not in shown
    assert _tmux("display", "-p", "-t", "rw", "#{pane_title}").stdout == title
    assert "PWNED" not in title
    _tmux("send-keys", "-t", "rw", "C-q")
    assert _wait_for(lambda: "EXITED" in _screen(), 15)
