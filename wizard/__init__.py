"""rootwizard domain layer: steps, session, AWS access, report analysis, TOTP, QR.

Nothing in this package imports Textual: it is usable and testable without a screen.
"""

__version__ = "0.1.0"
