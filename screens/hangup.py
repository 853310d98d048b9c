"""An app whose terminal has gone ends instead of spinning.

Textual's input thread reads an empty string again and again from a terminal whose other
side closed without a SIGHUP (it takes that for piped input and goes on), so the wizard
would run on at full CPU, holding the session's lock: the next wizard on the account could
only open it read-only. Every change is already saved, so ending is safe; the exit code is
129 (128 + SIGHUP), as a shell reports a hangup.
"""

from __future__ import annotations

import sys

from textual.app import App

from wizard.logs import logger
from wizard.terminal import hung_up

log = logger("rootwizard.app")
HANGUP_EXIT = 129
CHECK_EVERY_S = 1.0


def watch_terminal(app: App) -> None:
    """Check the app's terminal once a second; end the app when it has gone. Nothing to
    watch in a test (headless) or when standard input is not a terminal."""
    stdin = sys.__stdin__
    if app.is_headless or stdin is None or not stdin.isatty():
        return
    fd = stdin.fileno()

    def check() -> None:
        if hung_up(fd):
            log.warning("the terminal has gone: ending (every change was already saved)")
            app.exit(return_code=HANGUP_EXIT)

    app.set_interval(CHECK_EVERY_S, check, name="terminal-watch")
