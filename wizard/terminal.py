"""Secrets on a plain terminal (``rootwizard mfa enroll``): drawn on a screen of their own
and cleared before the command ends, so neither the QR code nor a revealed secret key is
left on the screen or in the scrollback.

``private_screen()`` switches to the terminal's alternate screen (``ESC [ ? 1049 h``),
whose content terminals (xterm, VTE, iTerm2, Windows Terminal, tmux, screen) keep out of
their scrollback, and on the way out erases it and the scrollback (``ESC [ 2 J``,
``ESC [ 3 J``: for a terminal without an alternate screen, where the drawing went to the
main screen) before switching back. What a terminal has already logged to a file, or a
terminal that implements neither, is beyond reach: CLEARED_NOTE says so.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

ENTER_ALTERNATE = "\x1b[?1049h"
LEAVE_ALTERNATE = "\x1b[?1049l"
HOME = "\x1b[H"
ERASE_SCREEN = "\x1b[2J"
ERASE_SCROLLBACK = "\x1b[3J"

CLEARED_NOTE = ("The QR code and the secret key were shown on a separate screen, now cleared from the "
                "screen and its scrollback (as far as this terminal allows: a session log or a terminal "
                "without an alternate screen may keep a copy).")


@contextmanager
def private_screen(stream: TextIO | None = None) -> Iterator[bool]:
    """Run the block on the alternate screen, cleared on the way in and on the way out,
    however the block ends. Yields True when ``stream`` is a terminal (else nothing is
    written and False is yielded: output to a file or a pipe is the operator's choice)."""
    out = stream if stream is not None else sys.stdout
    tty = _isatty(out)
    if tty:
        out.write(ENTER_ALTERNATE + HOME + ERASE_SCREEN)
        out.flush()
    try:
        yield tty
    finally:
        if tty:
            out.write(HOME + ERASE_SCREEN + ERASE_SCROLLBACK + LEAVE_ALTERNATE)
            out.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


__all__ = ["CLEARED_NOTE", "private_screen"]


def hung_up(fd: int) -> bool:
    """Whether the terminal on ``fd`` has gone (its other side closed: a closed SSH session,
    terminal window or tmux pane that sent no SIGHUP). Asked without reading: poll reports
    POLLHUP/POLLERR for a pseudo-terminal whose master is closed. False when it cannot tell."""
    import select

    try:
        poller = select.poll()
        poller.register(fd, select.POLLHUP)
        events = poller.poll(0)
    except (OSError, ValueError):
        return False
    return any(mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _fd, mask in events)
