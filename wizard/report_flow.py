"""Getting a credential report and turning it into what the wizard keeps: the flow
shared by `rootwizard audit` and the credential report step.

fetch (AWS) or read (file) -> parse -> analyse -> copy in the session folder ->
evidence and findings in the session. No Textual, no printing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from wizard.aws import AwsAccess
from wizard.checklist import Checklist, iso
from wizard.credreport import (
    CredentialReport,
    Finding,
    UserRow,
    analyse,
    findings,
    parse_report,
    user_table,
)
from wizard.errors import InputError, ReportFormatError
from wizard.files import read_regular
from wizard.session import SessionStore

FETCH_TIMEOUT_S = 120.0
SOURCE_AWS, SOURCE_FILE = "aws", "file"

FRESHNESS_NOTE = (
    "AWS regenerates the credential report at most every 4 hours and may take up to 4 hours "
    "to reflect recent changes, so a fix made minutes ago can still show as open here. The "
    "later steps verify through direct API reads where one exists.")


@dataclass
class ReportResult:
    """One analysed report and everything shown or kept about it."""

    source: str                     # SOURCE_AWS or SOURCE_FILE
    content: bytes                  # the CSV exactly as received
    sha256: str
    generated_time: datetime | None  # AWS's GeneratedTime; None for a file
    now: datetime                   # the clock of the analysis
    report: CredentialReport
    analysis: dict[str, Any]        # credreport.analyse output (the audit JSON)
    findings: list[Finding]
    rows: list[UserRow]             # the user table, root first
    origin: str = ""                # the file it was read from (SOURCE_FILE)

    @property
    def generated_iso(self) -> str | None:
        return iso(self.generated_time)


def analyse_content(content: bytes, *, source: str, now: datetime,
                    generated_time: datetime | None = None, origin: str = "") -> ReportResult:
    """Parse and analyse a report; ReportFormatError/InputError say what is wrong."""
    report = parse_report(content)
    analysis = analyse(report, now)
    return ReportResult(source=source, content=content, sha256=hashlib.sha256(content).hexdigest(),
                        generated_time=generated_time, now=now.astimezone(timezone.utc), report=report,
                        analysis=analysis, findings=findings(analysis), rows=user_table(report, now),
                        origin=origin)


def read_report_file(path: str | Path) -> bytes:
    """The bytes of a downloaded report; InputError (field "report") when unreadable."""
    raw = str(path).strip()
    if not raw:
        raise InputError("Enter the path of the credential report CSV.", field="report")
    p = Path(raw).expanduser()
    try:
        return read_regular(p)
    except OSError as exc:
        raise InputError(f"Cannot read {p}: {exc.strerror or type(exc).__name__}.", field="report") from None
    except ValueError:  # an embedded NUL
        raise InputError("That is not a usable file name.", field="report") from None


def load_file(path: str | Path, now: datetime) -> ReportResult:
    """Analyse a CSV downloaded from the console; no AWS access. Errors name the file."""
    content = read_report_file(path)
    try:
        return analyse_content(content, source=SOURCE_FILE, now=now, origin=str(path).strip())
    except ReportFormatError as exc:
        raise InputError(f"{Path(str(path).strip()).name}: {exc.message}", field="report") from None


def load_live(aws: AwsAccess, now: Callable[[], datetime], *, timeout_s: float = FETCH_TIMEOUT_S,
              on_progress: Callable[[str, float], None] | None = None,
              sleep: Callable[[float], None] = time.sleep) -> ReportResult:
    """iam:GenerateCredentialReport (polled until COMPLETE or ``timeout_s``), then
    iam:GetCredentialReport, then the analysis at ``now()`` (called once downloaded)."""
    content, generated = aws.fetch_credential_report(timeout_s=timeout_s, on_progress=on_progress, sleep=sleep)
    try:
        return analyse_content(content, source=SOURCE_AWS, now=now(), generated_time=generated)
    except ReportFormatError as exc:
        raise ReportFormatError(f"The report AWS returned cannot be analysed: {exc.message}") from None


def check_account(result: ReportResult, account_id: str) -> None:
    """Refuse a report of another account: its facts are not this account's."""
    found = result.report.account_id
    if found != account_id:
        raise InputError(f"This report is for account {found}, but the wizard is connected to account "
                         f"{account_id}.", field="report",
                         hint="Download the report while signed in to this account.")


def keep(result: ReportResult, store: SessionStore) -> Path:
    """Save the CSV (no secrets in it) in the session's folder, mode 0600."""
    return store.save_report(result.content, result.generated_iso)


def evidence(result: ReportResult, saved: Path) -> dict[str, Any]:
    """What the step records: enough to find and check the very report that was analysed."""
    ev: dict[str, Any] = {
        "generated_time": result.generated_iso,
        "sha256": result.sha256,
        "file": str(saved),
        "rows": len(result.report.rows),
        "source": "iam:GetCredentialReport" if result.source == SOURCE_AWS else "file",
    }
    if result.origin:
        ev["original_file"] = result.origin
    if result.report.warnings:
        ev["warnings"] = list(result.report.warnings)
    return ev


def session_findings(result: ReportResult) -> dict[str, Any]:
    """The analysis as kept in the session for the completion record's before/after."""
    return {"generated_time": result.generated_iso, "analysed_at": iso(result.now),
            "source": result.source, "sha256": result.sha256, **result.analysis}


def store_findings(checklist: Checklist, result: ReportResult) -> str | None:
    """Keep the findings in the checklist: the first report is "before", later reports
    downloaded from AWS are "after". A file (its date unknown, maybe old) only ever
    fills an empty "before". The same report handed back again (AWS does so for four
    hours) fills nothing: it was generated before the changes since. Returns which slot
    was set, or None."""
    kept = session_findings(result)
    if checklist.findings_before is None:
        checklist.findings_before = kept
        return "before"
    known = {f.get("sha256") for f in (checklist.findings_before, checklist.findings_after) if f}
    if result.source == SOURCE_AWS and result.sha256 not in known:
        checklist.findings_after = kept
        return "after"
    return None
