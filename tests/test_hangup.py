"""A terminal that goes away without a SIGHUP (its other side closed) ends the wizard
instead of leaving it spinning at full CPU with the session's lock held."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from wizard.terminal import hung_up

BIN = Path(sys.executable).parent / "rootwizard"


def test_hung_up_tells_a_closed_pseudo_terminal_without_reading():
    master, slave = pty.openpty()
    try:
        assert not hung_up(slave)
        os.close(master)
        assert hung_up(slave)
    finally:
        os.close(slave)


@pytest.mark.parametrize("flags", [["--demo"], ["--demo", "--org"]], ids=["wizard", "org view"])
def test_the_app_ends_when_its_terminal_goes(tmp_path, flags):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "xdg"), "TERM": "xterm-256color"}
    # A session of its own: the pseudo-terminal is not its controlling terminal, so closing
    # it sends no SIGHUP (as when a terminal's process goes without hanging up).
    proc = subprocess.Popen([str(BIN), *flags, "--state-dir", str(tmp_path / "state")], stdin=slave, stdout=slave,
                            stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    try:
        shown = b""
        deadline = time.monotonic() + 60
        while b"SANDBOX" not in shown and time.monotonic() < deadline:  # its first frames
            if select.select([master], [], [], 0.5)[0]:
                shown += os.read(master, 65536)
        assert b"SANDBOX" in shown
        os.close(master)
        assert proc.wait(timeout=15) == 129
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
