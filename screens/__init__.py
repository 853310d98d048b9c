"""rootwizard's Textual screens: thin views over the wizard/ domain layer."""

from screens import compat  # noqa: F401  (checks the installed Textual before any screen is built)
