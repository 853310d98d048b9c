"""The outcome of "Virtual MFA for an IAM user": which console users AWS shows without
MFA now, and when the step is done.

The step is done only when a live read (iam:ListUsers, then iam:GetLoginProfile and
iam:ListMFADevices per user) shows no console user without MFA, or when every one left
was skipped by the operator with a reason. One enrolment is not enough: the credential
report can be hours old, so it never decides. wizard.mfa enrols; this module judges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from wizard.aws import AwsAccess
from wizard.checklist import Status, iso, utcnow
from wizard.mfa import Candidate, candidate_users, find_orphans
from wizard.rootchecks import validate_reason

SOURCE = "iam:ListUsers, iam:GetLoginProfile, iam:ListMFADevices"


@dataclass(frozen=True)
class Coverage:
    """Console users and their MFA as read from AWS at ``read_at``. ``skipped`` holds the
    operator's reasons for the users still without MFA (others are dropped: a skip no
    longer matters once the user has MFA or no console password)."""

    users: tuple[Candidate, ...]
    read_at: str
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def console_users(self) -> list[str]:
        return [u.name for u in self.users if u.console]

    @property
    def without_mfa(self) -> list[str]:
        """Console users without MFA, in the order listed (by name)."""
        return [u.name for u in self.users if u.console and not u.has_mfa]

    @property
    def remaining(self) -> list[str]:
        """Console users without MFA and not skipped: while any is left, the step is open."""
        return [name for name in self.without_mfa if name not in self.skipped]

    @property
    def done(self) -> bool:
        return not self.remaining

    def with_skipped(self, skipped: Mapping[str, str]) -> Coverage:
        """The same read (same users, same ``read_at``) with the operator's skip reasons
        ``skipped``: a skip is the operator's decision, not a change in AWS, so it needs no
        new read. Reasons for users AWS showed with MFA or without a console are dropped."""
        missing = set(self.without_mfa)
        return replace(self, skipped={name: reason for name, reason in skipped.items() if name in missing})

    def summary(self) -> str:
        """One sentence on what AWS shows, for the screen and the step's note."""
        if not self.without_mfa:
            return (f"AWS shows no console user without MFA ({len(self.console_users)} console "
                    f"user(s), read at {self.read_at}).")
        text = (f"AWS shows {len(self.without_mfa)} console user(s) without MFA (read at "
                f"{self.read_at}): {', '.join(self.without_mfa)}.")
        if self.skipped:
            text += f" Skipped with a reason: {len(self.skipped)}."
        if self.remaining:
            text += f" Still to enrol or skip: {', '.join(self.remaining)}."
        return text


def read_coverage(aws: AwsAccess, skipped: Mapping[str, str] | None = None,
                  now: datetime | None = None) -> Coverage:
    """Read every IAM user's console password and MFA devices from AWS (blocking)."""
    return Coverage(tuple(candidate_users(aws)), iso(now or utcnow()) or "").with_skipped(skipped or {})


def skipped_of(evidence: Mapping[str, Any]) -> dict[str, str]:
    """The per-user skip reasons recorded in the step's evidence."""
    skipped = evidence.get("skipped")
    return {str(k): str(v) for k, v in skipped.items()} if isinstance(skipped, Mapping) else {}


def skip(evidence: Mapping[str, Any], user: str, reason: str) -> dict[str, str]:
    """The skip reasons with ``user`` skipped for ``reason``. A missing or unusable reason
    raises InputError(field="skip-reason") and changes nothing."""
    return {**skipped_of(evidence), user: validate_reason(reason, field="skip-reason")}


@dataclass(frozen=True)
class MfaChoices:
    """What the MFA step offers: the users as AWS shows them now, and unassigned devices."""

    coverage: Coverage
    orphans: list[str]


def load_choices(aws: AwsAccess, skipped: Mapping[str, str] | None = None) -> MfaChoices:
    """Blocking: the live read of the users (read_coverage) and the unassigned devices."""
    return MfaChoices(read_coverage(aws, skipped), find_orphans(aws))


def with_enrolment(evidence: Mapping[str, Any], enrolled: Mapping[str, Any],
                   now: datetime | None = None) -> dict[str, Any]:
    """The step's evidence with an enrolment just completed (user, serial, …) appended to
    ``enrolled`` (in order) and kept as the latest ``user`` / ``serial``."""
    enrolments = [*_enrolments(evidence), {**enrolled, "at": iso(now or utcnow())}]
    return {**evidence, "enrolled": enrolments, "user": enrolled["user"], "serial": enrolled["serial"]}


def _enrolments(evidence: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Enrolments so far; a record from before ``enrolled`` existed holds one."""
    enrolled = evidence.get("enrolled")
    if isinstance(enrolled, list):
        return list(enrolled)
    if evidence.get("user") and evidence.get("serial"):
        return [{"user": evidence["user"], "serial": evidence["serial"]}]
    return []


def outcome(cov: Coverage, previous: Mapping[str, Any]) -> tuple[Status, dict[str, Any], str]:
    """(status, evidence, note) of the step from a fresh ``cov``. ``previous`` is the step's
    evidence so far (its enrolments are kept; the last stays as ``user`` / ``serial``)."""
    enrolments = _enrolments(previous)
    evidence: dict[str, Any] = {
        "console_users": len(cov.console_users),
        "console_users_without_mfa": cov.without_mfa,
        "skipped": dict(cov.skipped),
        "remaining": cov.remaining,
        "enrolled": enrolments,
        "read_at": cov.read_at,
        "source": SOURCE,
    }
    if enrolments:
        evidence["user"], evidence["serial"] = enrolments[-1]["user"], enrolments[-1]["serial"]
    note = cov.summary()
    return (Status.DONE if cov.done else Status.PENDING), evidence, note


def verify(aws: AwsAccess, previous: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
    """Re-read AWS with the recorded skip reasons: (done, evidence)."""
    cov = read_coverage(aws, skipped_of(previous))
    status, evidence, _note = outcome(cov, previous)
    return status == Status.DONE, evidence
