"""IAM credential report: the format (csvformat), the typed analysis (analysis) and the
user table of the TUI (table). The finding rules are in wizard.rules.

    report = parse_report(data)             # ReportFormatError names line and column
    analysis = analyse(report, now)         # frozen dataclasses, findings included
    to_audit_json(analysis)                 # the `rootwizard audit --json` object
"""

from wizard.credreport.analysis import (
    Analysis,
    CertRef,
    KeyRef,
    NeverUsedKey,
    OldKey,
    RootFacts,
    RootKey,
    RootUse,
    UnusedCredential,
    UnusedPassword,
    analyse,
    strict_failures,
    summary_text,
    to_audit_json,
)
from wizard.credreport.csvformat import (
    NA,
    NO_INFORMATION,
    NOT_SUPPORTED,
    REPORT_COLUMNS,
    ROOT_USER,
    CredentialReport,
    format_report_csv,
    parse_report,
)


def __getattr__(name: str) -> object:
    """The user table (TUI only) loads when first asked for: `audit` never needs it."""
    if name in ("UserRow", "user_table"):
        from wizard.credreport import table

        return getattr(table, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "NA", "NO_INFORMATION", "NOT_SUPPORTED", "REPORT_COLUMNS", "ROOT_USER", "Analysis", "CertRef",
    "CredentialReport", "KeyRef", "NeverUsedKey", "OldKey", "RootFacts", "RootKey", "RootUse", "UnusedCredential",
    "UnusedPassword", "UserRow", "analyse", "format_report_csv", "parse_report", "strict_failures",
    "summary_text", "to_audit_json", "user_table",
]
