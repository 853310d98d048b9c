"""The user table of the credential report step: one display row per user, root first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from wizard.credreport.analysis import _all_facts, _days, _Key, _User
from wizard.credreport.csvformat import (
    NA,
    NO_INFORMATION,
    NOT_SUPPORTED,
    CredentialReport,
)


@dataclass(slots=True)
class UserRow:
    """One line of the user table, display strings only."""

    user: str
    console: str
    mfa: str
    password_last_used: str
    key1: str
    key2: str
    flags: list[str]


_YES_NO = {"true": "yes", "false": "no", NOT_SUPPORTED: "n/a"}


def _ago_text(delta: timedelta) -> str:
    """``N d ago``; a time after ``now`` (clock skew) reads as 0 d ago."""
    return f"{max(0, _days(delta))} d ago"


def _key_text(key: _Key) -> str:
    used = "never used" if key.used_ago is None else f"used {_ago_text(key.used_ago)}"
    return f"{'active' if key.active else 'inactive'}, {_days(key.age)} d, {used}"


def _table_row(u: _User, is_root: bool) -> UserRow:
    key_text = ["—", "—"]
    old = unused = never = inactive = False
    active = 0
    for k in u.keys:
        key_text[k.n - 1] = _key_text(k)
        active += k.active
        inactive |= not k.active
        old |= k.old
        unused |= k.unused is not None
        never |= k.never_used
    if u.password_used_ago is not None:
        password = _ago_text(u.password_used_ago)
    else:
        password = {NO_INFORMATION: "never", NA: "—"}.get(u.password_last_used, u.password_last_used)
    tags = (
        (not u.mfa and (is_root or u.console), "no MFA"),
        (is_root and bool(u.keys), "access key"),
        (old, "key >90d"),
        (unused or u.password_unused is not None, "unused >45d"),
        (never or u.password_never_used, "never used"),
        (active == 2, "2 keys"),
        (inactive, "inactive key"),
        (bool(u.certs), "cert"),
    )
    return UserRow(u.name, _YES_NO[u.password_enabled], "yes" if u.mfa else "no", password,
                   key_text[0], key_text[1], [tag for on, tag in tags if on])


def user_table(report: CredentialReport, now: datetime) -> list[UserRow]:
    """Display rows for a table: the root user first, then each IAM user in report order."""
    root, users = _all_facts(report, now)
    return [_table_row(root, True), *(_table_row(u, False) for u in users)]
