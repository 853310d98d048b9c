"""Verification of step outcomes through AWS: the single place that decides whether the
wizard *saw* a result. Each verifier returns (verified, evidence) from fresh reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wizard.aws import AwsAccess
from wizard.checklist import StepRecord
from wizard.errors import AccessDeniedError, UnsupportedError

Verifier = Callable[[AwsAccess, StepRecord], tuple[bool, dict[str, Any]]]


def root_mfa(aws: AwsAccess, _rec: StepRecord | None = None) -> tuple[bool, dict[str, Any]]:
    s = aws.account_summary()
    ev = {"AccountMFAEnabled": s.get("AccountMFAEnabled", 0), "source": "iam:GetAccountSummary"}
    return s.get("AccountMFAEnabled", 0) == 1, ev


def root_access_keys(aws: AwsAccess, _rec: StepRecord | None = None) -> tuple[bool, dict[str, Any]]:
    s = aws.account_summary()
    ev = {"AccountAccessKeysPresent": s.get("AccountAccessKeysPresent", 0), "source": "iam:GetAccountSummary"}
    return s.get("AccountAccessKeysPresent", 0) == 0, ev


def password_policy(aws: AwsAccess, rec: StepRecord) -> tuple[bool, dict[str, Any]]:
    from wizard.policy import Policy, readback_mismatches

    expected = rec.evidence.get("after")
    current = aws.get_password_policy()
    if not expected or current is None:
        return False, {**rec.evidence, "read_back": current}
    mismatches = readback_mismatches(Policy.from_api(expected), current)
    return not mismatches, {**rec.evidence, "reverified_mismatches": mismatches}


def iam_user_mfa(aws: AwsAccess, rec: StepRecord) -> tuple[bool, dict[str, Any]]:
    user, serial = rec.evidence.get("user"), rec.evidence.get("serial")
    if not user or not serial:
        return False, {}
    serials = [d["SerialNumber"] for d in aws.list_mfa_devices(user)]
    return serial in serials, {**rec.evidence, "source": "iam:ListMFADevices"}


def alternate_contacts(aws: AwsAccess, _rec: StepRecord | None = None) -> tuple[bool, dict[str, Any]]:
    """All three alternate contacts set. A denied or unsupported read raises: the caller
    decides (the screen falls back to console guidance; resume leaves the step as it was)."""
    from wizard.rootflow import contacts_verdict, read_alternate_contacts

    return contacts_verdict(read_alternate_contacts(aws))


VERIFIERS: dict[str, Verifier] = {
    "root_mfa": root_mfa,
    "root_access_keys": root_access_keys,
    "password_policy": password_policy,
    "iam_user_mfa": iam_user_mfa,
    "alternate_contacts": alternate_contacts,
}


def reverify(aws: AwsAccess, records: list[StepRecord]) -> dict[str, tuple[bool, dict[str, Any]] | None]:
    """Re-read AWS for each record that has a verifier. A step AWS will not show this
    caller (AccessDenied, unsupported API) maps to None: nothing is concluded about it.
    Other errors propagate (the caller shows them and leaves the session unchanged)."""
    results: dict[str, tuple[bool, dict[str, Any]] | None] = {}
    for r in records:
        if r.id in VERIFIERS:
            try:
                results[r.id] = VERIFIERS[r.id](aws, r)
            except (AccessDeniedError, UnsupportedError):
                results[r.id] = None
    return results
