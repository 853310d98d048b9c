"""Verification of step outcomes through AWS: the single place that decides whether the
wizard *saw* a result. Each verifier returns (verified, evidence) from fresh reads; the
step registry (wizard.steps) names which step each one verifies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from wizard.aws import AwsAccess
from wizard.checklist import StepRecord
from wizard.errors import AccessDeniedError, UnsupportedError



class Seen(NamedTuple):
    """What a verifier saw: ``ok`` when AWS shows the step's result, and the evidence."""

    ok: bool
    evidence: dict[str, Any]


Verifier = Callable[[AwsAccess, StepRecord], Seen]


def root_mfa(aws: AwsAccess, _rec: StepRecord | None = None) -> Seen:
    s = aws.account_summary()
    ev = {"AccountMFAEnabled": s.get("AccountMFAEnabled", 0), "source": "iam:GetAccountSummary"}
    return Seen(s.get("AccountMFAEnabled", 0) == 1, ev)


def root_access_keys(aws: AwsAccess, _rec: StepRecord | None = None) -> Seen:
    s = aws.account_summary()
    ev = {"AccountAccessKeysPresent": s.get("AccountAccessKeysPresent", 0), "source": "iam:GetAccountSummary"}
    return Seen(s.get("AccountAccessKeysPresent", 0) == 0, ev)


def password_policy(aws: AwsAccess, rec: StepRecord) -> Seen:
    from wizard.policy import Policy, readback_mismatches

    expected = rec.evidence.get("after")
    current = aws.get_password_policy()
    if not expected or current is None:
        return Seen(False, {**rec.evidence, "read_back": current})
    mismatches = readback_mismatches(Policy.from_api(expected), current)
    return Seen(not mismatches, {**rec.evidence, "reverified_mismatches": mismatches})


def iam_user_mfa(aws: AwsAccess, rec: StepRecord) -> Seen:
    """Done while AWS shows no console user without MFA but those skipped with a reason."""
    from wizard.mfa_coverage import verify

    return Seen(*verify(aws, rec.evidence))


def alternate_contacts(aws: AwsAccess, _rec: StepRecord | None = None) -> Seen:
    """All three alternate contacts set. A denied or unsupported read raises: the caller
    decides (the screen falls back to console guidance; resume leaves the step as it was)."""
    from wizard.rootflow import contacts_verdict, read_alternate_contacts

    return contacts_verdict(read_alternate_contacts(aws))


def _verifiers() -> dict[str, Verifier]:
    """step id -> verifier, as declared in the step registry (wizard.steps)."""
    from wizard.steps import STEPS

    found: dict[str, Verifier] = {}
    for step in STEPS:
        if step.verifier:
            module, _, name = step.verifier.partition(":")
            assert module == __name__, f"verifiers live in {__name__}: {step.verifier}"
            found[step.id] = globals()[name]
    return found


VERIFIERS: dict[str, Verifier] = _verifiers()


def reverify(aws: AwsAccess, records: list[StepRecord]) -> dict[str, Seen | None]:
    """Re-read AWS for each record that has a verifier. A step AWS will not show this
    caller (AccessDenied, unsupported API) maps to None: nothing is concluded about it.
    Other errors propagate (the caller shows them and leaves the session unchanged)."""
    results: dict[str, Seen | None] = {}
    for r in records:
        if r.id in VERIFIERS:
            try:
                results[r.id] = VERIFIERS[r.id](aws, r)
            except (AccessDeniedError, UnsupportedError):
                results[r.id] = None
    return results
