"""Residual risk: the findings still open in the live after-state, with their rule ids,
CIS numbers, the wizard step that addresses them and the operator's reason when that step
was skipped. The completion record lists them; ``verify`` re-evaluates them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from wizard.after_state import AfterState
from wizard.checklist import Checklist, Status

SEVERITIES = ("critical", "high", "medium", "low")
SHOWN_CIS_VERSIONS = ("v5.0.0", "v7.0.0")
OLD_KEY = timedelta(days=90)


@dataclass(frozen=True)
class AfterRule:
    id: str
    severity: str
    title: str
    cis: dict[str, str]
    step: str | None
    subjects: Callable[[AfterState], list[str] | None]  # None: unknown (not read); [] : not open


def _root(key: str) -> Callable[[AfterState], list[str] | None]:
    def subjects(s: AfterState) -> list[str] | None:
        if s.root is None or key not in s.root:
            return None
        return [f"root ({key} = {s.root[key]})"] if s.root[key] else []
    return subjects


def _root_mfa(s: AfterState) -> list[str] | None:
    if s.root is None or "AccountMFAEnabled" not in s.root:
        return None
    if s.root_credentials_removed:  # no root credentials at all: nothing to protect with MFA
        return []
    return [] if s.root["AccountMFAEnabled"] else ["root (AccountMFAEnabled = 0)"]


def _old_keys(s: AfterState) -> list[str] | None:
    if s.users is None or any(u.access_keys is None for u in s.users):
        return None
    read = datetime.fromisoformat(s.read_at)
    return [f"{u.name} {k.key_id}" for u in s.users for k in u.access_keys or ()
            if k.status == "Active" and k.created and read - datetime.fromisoformat(k.created) > OLD_KEY]


def _policy(field: str, minimum: int, what: str) -> Callable[[AfterState], list[str] | None]:
    def subjects(s: AfterState) -> list[str] | None:
        if s.policy_present is None:
            return None
        value = (s.password_policy or {}).get(field, 0) if s.policy_present else 0
        return [] if value >= minimum else [f"password policy ({what} {value or 'not set'})"]
    return subjects


RULES: tuple[AfterRule, ...] = (
    AfterRule("root-mfa-missing", "critical", "Root user has no MFA", {"v5.0.0": "1.4", "v7.0.0": "2.5"},
              "root_mfa", _root_mfa),
    AfterRule("root-access-key-active", "critical", "Root user has an active access key",
              {"v5.0.0": "1.3", "v7.0.0": "2.4"}, "root_access_keys", _root("AccountAccessKeysPresent")),
    AfterRule("root-signing-certificate-active", "high", "Root user has a signing certificate", {}, "root_access_keys",
              _root("AccountSigningCertificatesPresent")),
    AfterRule("console-user-without-mfa", "high", "Console users without MFA", {"v5.0.0": "1.9", "v7.0.0": "2.10"},
              "iam_user_mfa", lambda s: s.console_users_without_mfa),
    AfterRule("password-policy-length-below-14", "medium", "Password policy minimum length below 14",
              {"v5.0.0": "1.7", "v7.0.0": "2.8"}, "password_policy",
              _policy("MinimumPasswordLength", 14, "minimum length")),
    AfterRule("password-policy-reuse-below-24", "medium", "Password policy does not prevent reuse of 24",
              {"v5.0.0": "1.8", "v7.0.0": "2.9"}, "password_policy",
              _policy("PasswordReusePrevention", 24, "reuse prevention")),
    AfterRule("alternate-contact-missing", "medium", "Alternate contact not set", {"v5.0.0": "1.2", "v7.0.0": "2.3"},
              "alternate_contacts",
              lambda s: None if s.alternate_contacts is None else
              [t.lower() for t, v in s.alternate_contacts.items() if not v]),
    AfterRule("access-key-older-than-90-days", "medium", "Active access keys older than 90 days",
              {"v5.0.0": "1.13", "v7.0.0": "2.12"}, None, _old_keys),
)


def open_findings(state: AfterState, checklist: Checklist | None = None) -> list[dict[str, Any]]:
    """Every rule open (or unknown: not readable) in ``state``, most severe first."""
    out = []
    for rule in RULES:
        subjects = rule.subjects(state)
        if subjects == []:
            continue
        rec = checklist.step(rule.step) if checklist and rule.step else None
        out.append({
            "id": rule.id, "severity": rule.severity, "title": rule.title, "cis": dict(rule.cis),
            "step": rule.step, "subjects": subjects if subjects is not None else [],
            "unknown": subjects is None,
            "skip_reason": rec.reason if rec is not None and rec.status == Status.SKIPPED else "",
        })
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(out, key=lambda f: rank[f["severity"]])


def cis_shown(cis: Mapping[str, str] | None) -> str:
    """``CIS v5.0.0 1.9, v7.0.0 2.10`` (the versions shown to people), or ""."""
    shown = [f"{v} {cis[v]}" for v in SHOWN_CIS_VERSIONS if cis and v in cis]
    return "CIS " + ", ".join(shown) if shown else ""
