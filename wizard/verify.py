"""Verification of step outcomes through AWS: the single place that decides whether the
wizard *saw* a result. Each verifier returns (verified, evidence) from fresh reads; the
step registry (wizard.steps) names which step each one verifies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, cast

from wizard.aws import AwsAccess
from wizard.checklist import Status, StepRecord, iso, utcnow
from wizard.errors import AccessDeniedError, UnsupportedError
from wizard.steps import STEPS_BY_ID, Caller, RootCredentials


class Seen(NamedTuple):
    """What a verifier saw: ``ok`` when AWS shows the step's result, and the evidence."""

    ok: bool
    evidence: dict[str, Any]


class Checked(NamedTuple):
    """What check() saw: a verifier's Seen, or ``not_applicable`` when AWS shows the step
    has nothing to act on (then ``ok`` too)."""

    ok: bool
    evidence: dict[str, Any]
    not_applicable: bool = False


def is_not_applicable(seen: Seen | Checked) -> bool:
    return isinstance(seen, Checked) and seen.not_applicable


Verifier = Callable[[AwsAccess, StepRecord], Seen]


def _flag(summary: dict[str, Any], key: str) -> int | None:
    value = summary.get(key)
    return int(value) if isinstance(value, int) else None


def root_credentials_from(summary: dict[str, Any]) -> RootCredentials:
    """The root user's credentials as a GetAccountSummary answer shows them, read now."""
    return RootCredentials(_flag(summary, "AccountPasswordPresent"), _flag(summary, "AccountAccessKeysPresent"),
                           _flag(summary, "AccountSigningCertificatesPresent"), iso(utcnow()))


def read_root_credentials(aws: AwsAccess) -> RootCredentials:
    """iam:GetAccountSummary's root password, access key and certificate flags."""
    return root_credentials_from(aws.account_summary())


class _SummaryOnce:
    """An AwsAccess whose account_summary() is read from AWS once: check()'s applicability
    read and the step's verifier see the same GetAccountSummary answer (one call)."""

    def __init__(self, aws: AwsAccess) -> None:
        self._aws = aws
        self._summary: dict[str, int] | None = None

    def account_summary(self) -> dict[str, int]:
        if self._summary is None:
            self._summary = self._aws.account_summary()
        return dict(self._summary)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._aws, name)


def can_check(step_id: str) -> bool:
    """True when check() can read something for this step (a verifier, or a
    not-applicable predicate)."""
    return step_id in VERIFIERS or STEPS_BY_ID[step_id].not_applicable_when is not None


def check(aws: AwsAccess, rec: StepRecord) -> Checked:
    """A step's verification: first whether it is not applicable (its registry predicate
    on what AWS shows now), then its verifier. A step recorded not applicable that AWS no
    longer shows so is seen not done (it goes back to pending: wizard.checklist.verdict)."""
    step = STEPS_BY_ID[rec.id]
    if step.not_applicable_when is not None:
        aws = cast(AwsAccess, _SummaryOnce(aws))  # the verifier reads the same answer
        creds = read_root_credentials(aws)
        if step.not_applicable_when(Caller(root_credentials=creds)):
            return Checked(True, creds.evidence(), not_applicable=True)
        if rec.status == Status.NOT_APPLICABLE or rec.id not in VERIFIERS:
            return Checked(False, creds.evidence())
    return Checked(*VERIFIERS[rec.id](aws, rec))


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
