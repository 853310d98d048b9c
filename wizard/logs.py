"""The app's loggers, from one place.

The app logs only to --log-file (wizard.redact.setup_log_file). Without one, nothing, not even
an error's traceback, falls through to Python's last-resort handler on stderr: the "rootwizard"
logger gets a NullHandler the first time any module asks for a logger. Kept out of
``wizard/__init__`` so that the offline audit path does not import :mod:`logging` at all.
"""

from __future__ import annotations

import logging

logging.getLogger("rootwizard").addHandler(logging.NullHandler())


def logger(name: str) -> logging.Logger:
    """The logger ``name`` (under "rootwizard"), with the package's NullHandler in place."""
    return logging.getLogger(name)
