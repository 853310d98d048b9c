"""rootwizard's Textual screens: thin views over the wizard/ domain layer."""
