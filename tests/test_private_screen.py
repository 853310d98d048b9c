"""`mfa enroll` clears what it drew: the QR code and a revealed secret are shown on the
terminal's alternate screen and erased (screen and scrollback) before the command says
anything else; it says so. A real terminal (tmux) keeps neither in its history."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time

import pytest

from test_mfa import iam, run_cli, terminal  # noqa: F401 - fixtures
from wizard.qr import HALF_BLOCK
from wizard.terminal import (
    CLEARED_NOTE,
    ENTER_ALTERNATE,
    ERASE_SCREEN,
    ERASE_SCROLLBACK,
    LEAVE_ALTERNATE,
    private_screen,
)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_private_screen_sequences_and_no_tty():
    out = Tty()
    with pytest.raises(KeyboardInterrupt):
        with private_screen(out) as drawn:
            assert drawn
            out.write("SECRET")
            raise KeyboardInterrupt  # however the block ends, the screen is cleared
    text = out.getvalue()
    assert text.index(ENTER_ALTERNATE) < text.index("SECRET")
    tail = text[text.index("SECRET"):]
    assert ERASE_SCREEN in tail and ERASE_SCROLLBACK in tail and tail.endswith(LEAVE_ALTERNATE)
    piped = io.StringIO()
    with private_screen(piped) as drawn:
        assert not drawn
    assert piped.getvalue() == ""


@pytest.mark.parametrize("answers,code", [
    ({"Show the secret": ["y"], "Code 1": ["code1"], "Code 2": ["code2"]}, 0),
    ({"Show the secret": ["y"], "Code 1": [KeyboardInterrupt()]}, 130),
    ({"Show the secret": ["y"], "Code 1": ["000000"], "Code 2": ["111111"]}, 1),
])
def test_enroll_draws_on_a_private_screen_and_clears_it(iam, terminal, tmp_path, capsys, monkeypatch,  # noqa: F811
                                                        answers, code):
    iam.create_user(UserName="alice")
    terminal(answers)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert run_cli(tmp_path, "--user", "alice") == code
    captured = capsys.readouterr()
    out = captured.out
    enter, leave = out.index(ENTER_ALTERNATE), out.index(LEAVE_ALTERNATE)
    drawn, after = out[enter:leave], out[leave:]
    assert HALF_BLOCK in drawn and "Secret key: " in drawn
    assert ERASE_SCROLLBACK in drawn[drawn.rindex("Secret key: "):]
    assert HALF_BLOCK not in out[:enter] + after and "Secret key" not in out[:enter] + after
    assert CLEARED_NOTE in after
    assert "Virtual MFA device created: arn:aws:iam::123456789012:mfa/alice" in out[:enter]
    if code == 0:
        assert "MFA enabled for alice" in after
    else:  # the reason is said once the screen is back
        assert "the unassigned device arn:aws:iam::123456789012:mfa/alice was deleted" in captured.err


BIN = __import__("pathlib").Path(sys.executable).parent / "rootwizard"


def _tmux(*args, check=True):
    return subprocess.run(["tmux", "-L", "rootwizard-private", *args], capture_output=True, text=True, check=check)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_real_terminal_keeps_no_qr_code_or_secret(tmp_path):
    import pyotp

    def screen(history: bool = False) -> str:
        return _tmux("capture-pane", "-p", "-t", "rw", *(["-S", "-"] if history else []), check=False).stdout

    def wait_for(pred, timeout: float = 30.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred():
                return True
            time.sleep(0.2)
        return False

    _tmux("kill-server", check=False)
    command = (f"sleep 0.5; cd {tmp_path} && HOME={tmp_path} {BIN} mfa enroll --demo --user bob.martin "
               f"--state-dir {tmp_path / 'state'}; echo EXIT=$?; sleep 60")
    try:
        for _ in range(20):
            if _tmux("new-session", "-d", "-s", "rw", "-x", "120", "-y", "50", command, check=False).returncode == 0:
                break
            time.sleep(0.2)
        assert wait_for(lambda: "Show the secret as text? [y/N]" in screen()), screen()
        assert HALF_BLOCK in screen()
        _tmux("send-keys", "-t", "rw", "y", "Enter")
        assert wait_for(lambda: "Secret key: " in screen())
        secret = screen().split("Secret key: ")[1].splitlines()[0].strip()
        seed = secret.replace(" ", "")
        totp, now = pyotp.TOTP(seed), time.time()
        _tmux("send-keys", "-t", "rw", totp.at(now), "Enter")
        _tmux("send-keys", "-t", "rw", totp.at(now + 30), "Enter")
        assert wait_for(lambda: "EXIT=" in screen()), screen()
        everything = screen(history=True)
        assert "EXIT=0" in everything and "MFA enabled for bob.martin" in everything
        assert "separate screen, now cleared" in " ".join(everything.split())
        assert HALF_BLOCK not in everything and secret not in everything and seed not in everything
    finally:
        _tmux("kill-server", check=False)
