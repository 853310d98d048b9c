"""Getting a credential report and turning it into what the wizard keeps: the flow
shared by `rootwizard audit` and the credential report step.

fetch (AWS) or read (file) -> parse -> analyse -> copy in the session folder ->
evidence and findings in the session. No Textual, no printing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path

from wizard.credreport import Analysis, CredentialReport, analyse, parse_report, to_audit_json
from wizard.errors import InputError, ReportFormatError
from wizard.heap import freeze_long_lived, gc_paused

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing on the audit path
if TYPE_CHECKING:  # `audit --report` never needs these (nor their imports: logging, sockets, ...)
    from typing import Any

    from wizard.aws import AwsAccess
    from wizard.checklist import Checklist
    from wizard.credreport.table import UserRow
    from wizard.session import SessionStore


def _iso(dt: datetime | None) -> str | None:
    from wizard.checklist import iso

    return iso(dt)

FETCH_TIMEOUT_S = 120.0
SOURCE_AWS, SOURCE_FILE = "aws", "file"

FRESHNESS_NOTE = (
    "AWS regenerates the credential report at most every 4 hours and may take up to 4 hours "
    "to reflect recent changes, so a fix made minutes ago can still show as open here. The "
    "later steps verify through direct API reads where one exists.")


STALE_NOTE = (
    "This report was generated before this session's last change ({changed}): it shows the "
    "account as it was before that change, so it is not kept as the 'after' findings.")


@dataclass
class ReportResult:
    """One analysed report and everything shown or kept about it. ``sha256`` and the
    user table ``rows`` are computed when first asked for (`audit --json` needs neither)."""

    source: str                     # SOURCE_AWS or SOURCE_FILE
    content: bytes                  # the CSV exactly as received
    generated_time: datetime | None  # AWS's GeneratedTime; None for a file
    now: datetime                   # the clock of the analysis
    report: CredentialReport
    analysis: Analysis              # credreport.analyse output (its findings included)
    origin: str = ""                # the file it was read from (SOURCE_FILE)

    @cached_property
    def sha256(self) -> str:
        import hashlib

        return hashlib.sha256(self.content).hexdigest()

    @cached_property
    def rows(self) -> list[UserRow]:
        """The user table, root first."""
        from wizard.credreport.table import user_table

        return user_table(self.report, self.now, self.analysis)

    @cached_property
    def cells(self) -> list[tuple[str, ...]]:
        """The user table as table cells, root first."""
        return [row.cells for row in self.rows]

    @cached_property
    def kept(self) -> dict[str, Any]:
        """The analysis as kept in the session (see session_findings)."""
        return {
            "generated_time": self.generated_iso, "analysed_at": _iso(self.now), "source": self.source,
            "sha256": self.sha256, **to_audit_json(self.analysis)}

    def prepare_view(self) -> None:
        """Compute what the credential report step shows and keeps (user table, session
        findings) now: called in a worker, so the UI thread only assigns. The garbage
        collector is paused meanwhile: tens of thousands of new objects would otherwise
        trigger full collections of the whole app's heap, holding the GIL for 0.5 s. What
        was built then leaves the collector's reach (wizard.heap.freeze_long_lived): the
        report is kept as long as the session shows it, and a later full pass would rescan
        it while the operator filters or scrolls."""
        from wizard.session import encoded

        with gc_paused():
            self.cells  # noqa: B018
            encoded(self.kept)  # the session saves it on the UI thread: encoded once, here
            freeze_long_lived()

    @property
    def generated_iso(self) -> str | None:
        return _iso(self.generated_time)


def analyse_content(content: bytes, *, source: str, now: datetime,
                    generated_time: datetime | None = None, origin: str = "") -> ReportResult:
    """Parse and analyse a report; ReportFormatError/InputError say what is wrong."""
    report = parse_report(content)
    analysis = analyse(report, now)
    return ReportResult(source=source, content=content, generated_time=generated_time,
                        now=now.astimezone(timezone.utc), report=report, analysis=analysis, origin=origin)


# AWS's largest report (5,000 users, the IAM quota) is about 1.2 MB; an organization-wide
# aggregate of 100,000 users about 22 MB. Reading stops here (/dev/zero never ends).
MAX_REPORT_BYTES = 64 * 1024 * 1024


def read_report_file(path: str | Path, limit: int = MAX_REPORT_BYTES) -> bytes:
    """The bytes of a downloaded report, read with a bound; InputError (field "report")
    when unreadable or larger than ``limit``."""
    raw = str(path).strip()
    if not raw:
        raise InputError("Enter the path of the credential report CSV.", field="report")
    p = Path(raw).expanduser()
    from wizard.files import TooLarge, read_regular

    try:
        return read_regular(p, limit=limit)
    except TooLarge:
        raise InputError(f"{p} is larger than {limit // (1024 * 1024)} MB: not a credential report "
                         "(AWS's largest, 5,000 users, is about 1.2 MB).", field="report") from None
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


def load_kept(checklist: Checklist, now: datetime) -> ReportResult | None:
    """The report this session's credential report step kept, analysed again at ``now``
    (no AWS call), so a resumed session shows what its report said. None when no copy is
    kept, or the copy cannot be read or no longer has the SHA-256 the step recorded: a
    changed file is not this session's report."""
    ev = checklist.step("credential_report").evidence
    path, recorded = ev.get("file"), ev.get("sha256")
    if not isinstance(path, str) or not path or not isinstance(recorded, str):
        return None
    generated = ev.get("generated_time")
    try:
        content = read_report_file(path)
        when = datetime.fromisoformat(generated) if isinstance(generated, str) else None
        result = analyse_content(content, source=SOURCE_AWS if str(ev.get("source", "")).startswith("iam:")
                                 else SOURCE_FILE, now=now, generated_time=when)
    except (InputError, ReportFormatError, ValueError):
        return None
    return result if result.sha256 == recorded else None


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
        "rows": len(result.report.records),
        "source": "iam:GetCredentialReport" if result.source == SOURCE_AWS else "file",
    }
    if result.origin:
        ev["original_file"] = result.origin
    if result.report.warnings:
        ev["warnings"] = list(result.report.warnings)
    return ev


def session_findings(result: ReportResult) -> dict[str, Any]:
    """The analysis as kept in the session for the completion record's before/after."""
    return result.kept


# Steps whose changes a credential report cannot be evidence of (they read, not change).
_NOT_CHANGES = {"connect", "credential_report", "summary"}


def last_change(checklist: Checklist) -> str | None:
    """When a step of this session last changed (ISO 8601 UTC), or None."""
    times = [rec.changed_at for sid, rec in checklist.steps.items()
             if sid not in _NOT_CHANGES and rec.changed_at]
    return max(times) if times else None


def may_predate(generated: datetime | None, changed: str) -> bool:
    """Whether what AWS stamped ``generated`` (a credential report's GeneratedTime) may come
    from before a session change stamped ``changed``. Both are whole seconds (AWS's time;
    the session's utcnow()): the same second is not "after" the change, nor is an unknown
    time, so such a report is never taken as evidence of that change."""
    return generated is None or generated <= datetime.fromisoformat(changed.replace("Z", "+00:00"))


def predates_changes(checklist: Checklist, result: ReportResult) -> str | None:
    """The time of the session's last change when ``result`` may have been generated before
    it (before it, in the same second, or at an unknown time: may_predate), else None. AWS
    hands out the same report for four hours, so such a report shows the account as it was
    before that change."""
    changed = last_change(checklist)
    if changed is None:
        return None
    return changed if may_predate(result.generated_time, changed) else None


def store_findings(checklist: Checklist, result: ReportResult) -> str | None:
    """Keep the findings in the checklist: the first report is "before", later reports
    downloaded from AWS are "after", but only when generated after the session's last
    change (never present a report generated before a change as evidence of it). A file
    (its date unknown, maybe old) only ever fills an empty "before". The same report handed
    back again (AWS does so for four hours) fills nothing. Returns which slot
    was set, or None."""
    kept = session_findings(result)
    if checklist.findings_before is None:
        checklist.findings_before = kept
        return "before"
    known = {f.get("sha256") for f in (checklist.findings_before, checklist.findings_after) if f}
    if (result.source == SOURCE_AWS and result.sha256 not in known
            and predates_changes(checklist, result) is None):
        checklist.findings_after = kept
        return "after"
    return None
