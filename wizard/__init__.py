"""rootwizard domain layer: steps, session, AWS access, report analysis, TOTP, QR.

Nothing in this package imports Textual: it is usable and testable without a screen.
"""

__version__ = "0.1.0"

import logging as _logging

# The app logs only to --log-file (wizard.redact.setup_log_file). Without one, nothing, not
# even an error's traceback, falls through to Python's last-resort handler on stderr.
_logging.getLogger("rootwizard").addHandler(_logging.NullHandler())
