"""The checklist: the ordered steps of the wizard and each one's outcome.

Pure data: the session store (wizard.session) persists it, the screens show it.
Only the values that prove an outcome go in ``evidence``; never a secret.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, overload

from wizard import __version__
from wizard.errors import InputError
from wizard.steps import STEPS, STEPS_BY_ID, Caller  # noqa: F401  (STEPS_BY_ID re-exported)
from wizard.steps import step_order as _registry_order


class Status(StrEnum):
    PENDING = "pending"
    DONE = "done"                  # verified: the wizard saw it in AWS
    CONFIRMED = "confirmed"        # confirmed by the operator; no API can see it
    WAITING = "waiting"            # operator says done, AWS does not show it yet
    SKIPPED = "skipped"            # with the operator's reason
    FAILED = "failed"              # with the error
    RETIRED = "retired"            # retired by AWS (security questions)
    NOT_APPLICABLE = "not_applicable"  # verified: AWS shows the step has nothing to act on


STATUS_LABELS = {
    Status.PENDING: "pending",
    Status.DONE: "done (verified)",
    Status.CONFIRMED: "confirmed by operator",
    Status.WAITING: "waiting for verification",
    Status.SKIPPED: "skipped",
    Status.FAILED: "failed",
    Status.RETIRED: "retired by AWS",
    Status.NOT_APPLICABLE: "not applicable (verified): root has no credentials",
}
BELOW_CIS_LABEL = "below the CIS baseline"


def status_label(rec: StepRecord) -> str:
    """The outcome as shown in the summary and the record: the status's label, qualified
    when the evidence says the verified result falls short: a password policy applied
    below the CIS baseline (``evidence.cis_failing``), console users left without MFA
    with the operator's reason (``evidence.skipped``, user -> reason)."""
    label = STATUS_LABELS[rec.status]
    if rec.status == Status.DONE and rec.evidence.get("cis_failing"):
        label += f", {BELOW_CIS_LABEL}"
    skipped = rec.evidence.get("skipped")
    if rec.status == Status.DONE and isinstance(skipped, dict) and skipped:
        n = len(skipped)
        label += f", {n} console user{'s' if n != 1 else ''} skipped with a reason"
    return label


# Outcomes that close a step (the wizard moves on and counts it as handled).
CLOSED = {Status.DONE, Status.CONFIRMED, Status.SKIPPED, Status.RETIRED, Status.NOT_APPLICABLE}
NO_LONGER_NOT_APPLICABLE = ("Not applicable when verified (root had no credentials), but AWS no "
                            "longer shows that root has no credentials.")


# The steps are declared in wizard.steps; the checklist walks them in that order.
STEP_DEFS = STEPS  # the name tests and older callers use


def verdict(current: Status, seen: bool, *, not_applicable: bool = False) -> tuple[Status | None, str]:
    """What an API verification changes, as (new status or None, error text):
    NOT_APPLICABLE when AWS shows the step has nothing to act on (``not_applicable``); DONE
    when AWS shows the result; a step the operator said was done stays WAITING; a verified
    (or verified not applicable) step AWS no longer shows goes back to PENDING; otherwise
    nothing is claimed (None)."""
    if not_applicable:
        return Status.NOT_APPLICABLE, ""
    if seen:
        return Status.DONE, ""
    if current == Status.WAITING:
        return Status.WAITING, ""
    if current == Status.DONE:
        return Status.PENDING, "Verified earlier, but AWS no longer shows this result."
    if current == Status.NOT_APPLICABLE:
        return Status.PENDING, NO_LONGER_NOT_APPLICABLE
    return None, ""


def step_order(caller_is_root: bool) -> list[str]:
    """Step ids in walking order (see wizard.steps.step_order): when the wizard runs on
    root access keys, deleting them ends its own session, so that step goes last."""
    return _registry_order(Caller.root(caller_is_root))


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


@overload
def iso(dt: datetime) -> str: ...
@overload
def iso(dt: None) -> None: ...
def iso(dt: datetime | None) -> str | None:
    return dt.astimezone(timezone.utc).isoformat() if dt else None


@dataclass
class StepRecord:
    id: str
    status: Status = Status.PENDING
    changed_at: str | None = None
    changed_by: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    evidence_source: str | None = None  # "aws" | "operator" | "file"
    note: str = ""
    reason: str = ""   # why it was skipped
    error: str = ""    # why it failed

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status.value
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> StepRecord:
        return cls(
            id=str(d["id"]), status=Status(d.get("status", "pending")),
            changed_at=d.get("changed_at"), changed_by=d.get("changed_by"),
            evidence=dict(d.get("evidence") or {}), evidence_source=d.get("evidence_source"),
            note=str(d.get("note") or ""), reason=str(d.get("reason") or ""),
            error=str(d.get("error") or ""),
        )


@dataclass
class Checklist:
    """One account's session: the checklist and what is known about the account."""

    account_id: str
    caller_arn: str = ""
    started_at: str = field(default_factory=lambda: iso(utcnow()))
    updated_at: str | None = None
    finished_at: str | None = None
    tool_version: str = __version__
    sandbox: bool = False
    steps: dict[str, StepRecord] = field(default_factory=dict)
    findings_before: dict[str, Any] | None = None
    findings_after: dict[str, Any] | None = None
    after_state: dict[str, Any] | None = None  # wizard.after_state.AfterState.to_json(), read at the summary

    def __post_init__(self) -> None:
        for s in STEPS:
            self.steps.setdefault(s.id, StepRecord(s.id))

    @property
    def caller_is_root(self) -> bool:
        return self.caller_arn.endswith(":root")

    @property
    def caller(self) -> Caller:
        return Caller(account_id=self.account_id, arn=self.caller_arn)

    def order(self) -> list[str]:
        return _registry_order(self.caller)

    def step(self, step_id: str) -> StepRecord:
        return self.steps[step_id]

    def set_status(self, step_id: str, status: Status, *, evidence: dict[str, Any] | None = None,
                   source: str | None = None, note: str | None = None, reason: str = "",
                   error: str = "", by: str | None = None, at: datetime | None = None) -> StepRecord:
        if step_id not in self.steps:
            raise KeyError(step_id)
        if status == Status.SKIPPED and not reason.strip():
            raise InputError("Say why this step is skipped.", field="reason")
        rec = self.steps[step_id]
        rec.status = status
        rec.changed_at = iso(at or utcnow())
        rec.changed_by = by or self.caller_arn or None
        if evidence is not None:
            rec.evidence = evidence
            rec.evidence_source = source
        if note is not None:
            rec.note = note
        rec.reason = reason
        rec.error = error
        self.updated_at = rec.changed_at
        return rec

    def progress(self) -> tuple[int, int]:
        tasks = [s.id for s in STEPS if s.id != "summary"]
        return sum(self.steps[i].status in CLOSED for i in tasks), len(tasks)

    def next_open(self) -> str:
        for sid in self.order():
            if self.steps[sid].status not in CLOSED:
                return sid
        return "summary"

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "caller_arn": self.caller_arn,
            "started_at": self.started_at,
            "updated_at": self.updated_at,
            "finished_at": self.finished_at,
            "tool_version": self.tool_version,
            "sandbox": self.sandbox,
            "steps": [self.steps[s.id].to_json() for s in STEPS],
            "findings_before": self.findings_before,
            "findings_after": self.findings_after,
            "after_state": self.after_state,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Checklist:
        steps = {}
        for sd in d.get("steps", []):
            rec = StepRecord.from_json(sd)
            if rec.id in STEPS_BY_ID:
                steps[rec.id] = rec
        return cls(
            account_id=str(d["account_id"]), caller_arn=str(d.get("caller_arn") or ""),
            started_at=d.get("started_at") or iso(utcnow()), updated_at=d.get("updated_at"),
            finished_at=d.get("finished_at"), tool_version=str(d.get("tool_version") or __version__),
            sandbox=bool(d.get("sandbox", False)), steps=steps,
            findings_before=d.get("findings_before"), findings_after=d.get("findings_after"),
            after_state=d.get("after_state"),
        )
