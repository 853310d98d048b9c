"""Residual risk: the findings still open in the live after-state, with their rule ids,
CIS numbers, the wizard step that addresses them and the operator's reason when that step
was skipped. The completion record lists them; ``verify`` re-evaluates them.

The findings come from the one rule table (wizard.rules), evaluated over the after-state
turned into the facts a credential report gives plus the account settings it does not
hold (``live_analysis``), so the ids are those of ``rootwizard audit``. Two facts come only
from the session's credential report: which root access key is active (a live count of
root keys the report does not match counts as active) and root's last use (noted with the
report's GeneratedTime). A part of the account that could not be read makes the rules
that read it (``Rule.reads``) "unknown": open, never assumed fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from wizard.after_state import AfterState, UserState
from wizard.checklist import Checklist, Status
from wizard.credreport import (
    NA,
    NO_INFORMATION,
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
)
from wizard.credreport.analysis import OLD_KEY_AGE, UNUSED_CREDENTIAL_AGE, UNUSED_PASSWORD_AGE
from wizard.rules import RULES, SEVERITIES, Rule, cis_text, evaluate

_DAY = timedelta(days=1)


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _days(delta: timedelta) -> int:
    return delta // _DAY


# -- the after-state as the facts of a report ---------------------------------------------------


def _root_facts(state: AfterState, now: datetime) -> RootFacts:
    root = state.root or {}
    report = state.report
    count = root.get("AccountAccessKeysPresent", 0)
    known = list(report.root_access_keys) if report else []
    if known and len(known) == count:
        keys = tuple(RootKey(int(k.get("key") or n), bool(k.get("active")), NA, 0, False,
                             str(k.get("last_used_date") or NA), str(k.get("last_used_region") or NA),
                             str(k.get("last_used_service") or NA)) for n, k in enumerate(known, 1))
    else:  # no report, or one that does not match: a key whose state is unknown counts as active
        keys = tuple(RootKey(n, True, NA, 0, False, NA, NA, NA) for n in range(1, count + 1))
    password = report.root_password_last_used if report else None
    uses = [RootUse("password", password, _days(now - _when(password)))] if password and _is_date(password) else []
    uses += [RootUse(f"access_key_{k.key}", k.last_used_date, _days(now - _when(k.last_used_date)),
                     k.last_used_service, k.last_used_region) for k in keys if _is_date(k.last_used_date)]
    present = root.get("AccountPasswordPresent")
    return RootFacts(
        mfa_active=bool(root.get("AccountMFAEnabled", 0)), access_keys=keys,
        password_last_used=uses[0].at if uses and uses[0].credential == "password" else None,
        password_last_used_raw=password or NO_INFORMATION,
        password_last_used_days_ago=uses[0].days_ago if uses and uses[0].credential == "password" else None,
        signing_certs=tuple(range(1, root.get("AccountSigningCertificatesPresent", 0) + 1)),
        password_enabled_raw="not_supported" if present is None else "true" if present else "false",
        unused=(), last_used=max(uses, key=lambda u: _when(u.at), default=None),
        credentials_removed=state.root_credentials_removed is True)


def _is_date(value: str) -> bool:
    try:
        return _when(value).tzinfo is not None
    except ValueError:  # N/A, no_information, not_supported
        return False


def _user_facts(u: UserState, now: datetime) -> dict[str, Any]:
    keys = sorted(u.access_keys or (), key=lambda k: k.created or "")
    facts: dict[str, list[Any]] = {k: [] for k in ("old", "never", "inactive", "unused")}
    if u.console:  # as the report: a password never used counts from when it was set
        since = u.password_last_used or u.password_created
        if since and now - _when(since) > UNUSED_CREDENTIAL_AGE:
            facts["unused"].append(UnusedCredential(u.name, "password", u.password_last_used, since,
                                                    _days(now - _when(since))))
    for n, k in enumerate(keys, 1):
        if k.status != "Active":
            facts["inactive"].append(KeyRef(u.name, n))
            continue
        created = _when(k.created) if k.created else now
        if now - created > OLD_KEY_AGE:
            facts["old"].append(OldKey(u.name, n, k.created or NA, _days(now - created)))
        if k.last_used is None:
            facts["never"].append(NeverUsedKey(u.name, n, k.created or NA))
        since = k.last_used or k.created
        if since and now - _when(since) > UNUSED_CREDENTIAL_AGE:
            facts["unused"].append(UnusedCredential(u.name, f"access_key_{n}", k.last_used, since,
                                                    _days(now - _when(since))))
    facts["active"] = [k for k in keys if k.status == "Active"]
    return facts


def live_analysis(state: AfterState) -> Analysis:
    """The after-state as the facts of a credential report read at ``state.read_at``, with
    the password policy and alternate contacts. A part not read gives empty facts (or
    None for a setting): ``open_findings`` marks the rules that read it unknown."""
    now = _when(state.read_at)
    users = state.users or ()
    per = {u.name: _user_facts(u, now) for u in users}
    console = [u for u in users if u.console]
    policy = None if state.policy_present is None else (state.password_policy or {}) if state.policy_present else {}
    return Analysis(
        account_id=state.account_id, user_count=len(users), root=_root_facts(state, now),
        console_users=tuple(u.name for u in console),
        console_users_without_mfa=tuple(u.name for u in console if not u.mfa_devices),
        users_with_mfa=tuple(u.name for u in users if u.mfa_devices),
        password_never_used=tuple(u.name for u in console if u.password_last_used is None),
        password_unused_over_90_days=tuple(
            UnusedPassword(u.name, u.password_last_used, _days(now - _when(u.password_last_used)))
            for u in console if u.password_last_used and now - _when(u.password_last_used) > UNUSED_PASSWORD_AGE),
        access_keys_active_count=sum(len(f["active"]) for f in per.values()),
        access_keys_older_than_90_days=tuple(x for f in per.values() for x in f["old"]),
        access_keys_never_used=tuple(x for f in per.values() for x in f["never"]),
        inactive_access_keys=tuple(x for f in per.values() for x in f["inactive"]),
        active_signing_certificates=tuple(CertRef(u.name, n) for u in users
                                          for n, _c in enumerate(u.signing_certificates or (), 1)),
        users_with_two_active_keys=tuple(name for name, f in per.items() if len(f["active"]) == 2),
        unused_credentials_over_45_days=tuple(x for f in per.values() for x in f["unused"]),
        password_policy=policy, alternate_contacts=state.alternate_contacts,
    )


# -- what could not be read ---------------------------------------------------------------------

# The permission that shows each part, when the after-state does not name it.
_PERMISSION = {"root": "iam:GetAccountSummary", "password_policy": "iam:GetAccountPasswordPolicy",
               "alternate_contacts": "account:GetAlternateContact", "users": "iam:ListUsers",
               "users.access_keys": "iam:ListAccessKeys", "users.access_keys.last_used": "iam:GetAccessKeyLastUsed",
               "users.signing_certificates": "iam:ListSigningCertificates"}


def _not_read(state: AfterState, part: str) -> bool:
    if part == "root":  # a summary without these keys (an emulator) says nothing about them
        return state.root is None or any(k not in state.root for k in (
            "AccountMFAEnabled", "AccountAccessKeysPresent", "AccountSigningCertificatesPresent"))
    if part == "password_policy":
        return state.policy_present is None
    if part == "alternate_contacts":
        return state.alternate_contacts is None
    if state.users is None:
        return True
    if part == "users.access_keys":
        return any(u.access_keys is None for u in state.users)
    if part == "users.signing_certificates":
        return any(u.signing_certificates is None for u in state.users)
    return False


def unknown_because(rule: Rule, state: AfterState) -> str | None:
    """Why ``rule`` cannot be judged from ``state`` (a part it reads was not read), or None."""
    for part in rule.reads:
        if part == "report":
            if state.report is None and state.root_credentials_removed is not True:
                return "not known: root's last use is shown only by a credential report, and none was read"
            continue
        denied = next((perm for p, perm in state.missing.items() if part == p or part.startswith(p + ".")), None)
        if denied is None and _not_read(state, part):
            denied = next((perm for p, perm in state.missing.items() if p.startswith(part)),
                          _PERMISSION.get(part, part))
        if denied is not None:
            return f"not readable: needs {denied}"
    return None


# -- the residual-risk list ---------------------------------------------------------------------


def open_findings(state: AfterState, checklist: Checklist | None = None) -> list[dict[str, Any]]:
    """Every finding open (or unknown: not readable) in ``state``, most severe first."""
    found = {f.id: f for f in evaluate(live_analysis(state))}
    out = []
    for rule in RULES:  # the table's order within a severity, as `audit`
        unknown = unknown_because(rule, state)
        if unknown is None and rule.id not in found:
            continue
        note = unknown or ""
        if rule.id == "root-used-recently" and state.report is not None:
            note = f"from the credential report generated {state.report.generated_time}"
        rec = checklist.step(rule.step) if checklist is not None and rule.step else None
        out.append({"id": rule.id, "severity": rule.severity, "title": rule.title, "cis": dict(rule.cis),
                    "step": rule.step, "subjects": list(found[rule.id].subjects) if rule.id in found else [],
                    "unknown": unknown is not None,
                    "skip_reason": rec.reason if rec is not None and rec.status == Status.SKIPPED else "",
                    "note": note})
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(out, key=lambda f: rank[f["severity"]])


def entry_note(entry: Mapping[str, Any]) -> str:
    """What a residual-risk entry says besides its subjects: why it is unknown, or where
    a fact came from ("not readable" for an entry of an older record without a note)."""
    note = entry.get("note")
    return str(note) if note else "not readable" if entry.get("unknown") else ""


def cis_shown(cis: Mapping[str, str] | None) -> str:
    """``CIS v5.0.0 1.9, v7.0.0 2.10`` for a residual-risk entry's numbers (as ``audit``)."""
    return cis_text(cis or {})
