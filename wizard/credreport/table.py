"""The user table of the credential report step: one display row per user, root first.
The flags come from the analysis (the same facts the findings use); only the display
text (days ago) is computed here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from wizard.credreport.analysis import (
    _KEYS,
    _MFA,
    _PASSWORD_ENABLED,
    _PASSWORD_LAST_USED,
    Analysis,
    _days,
    _utc,
    analyse,
)
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

    @property
    def cells(self) -> tuple[str, ...]:
        """The row as table cells, in CELL_COLUMNS order: who, what is wrong (the flags
        joined), then the details."""
        return (self.user, ", ".join(self.flags), self.console, self.mfa, self.password_last_used, self.key1,
                self.key2)


CELL_COLUMNS = ("User", "Flags", "Console", "MFA", "Password used", "Key 1", "Key 2")


_YES_NO = {"true": "yes", "false": "no", NOT_SUPPORTED: "n/a"}


def _ago_text(delta: timedelta) -> str:
    """``N d ago``; a time after ``now`` (clock skew) reads as 0 d ago."""
    return f"{max(0, _days(delta))} d ago"


def _texts(row: list[str], dates: dict[str, datetime], now: datetime) -> tuple[str, str, str]:
    """(password last used, key 1, key 2) as shown."""
    keys = ["—", "—"]
    for n, active, rotated_at, used_at, _, _, _ in _KEYS:
        rotated = row[rotated_at]
        if rotated != NA:
            used = row[used_at]
            used_text = "never used" if used == NA else f"used {_ago_text(now - dates[used])}"
            keys[n - 1] = (f"{'active' if row[active] == 'true' else 'inactive'}, "
                           f"{_days(now - dates[rotated])} d, {used_text}")
    used = row[_PASSWORD_LAST_USED]
    password = _ago_text(now - dates[used]) if used in dates else {NO_INFORMATION: "never", NA: "—"}.get(used, used)
    return password, keys[0], keys[1]


# The user table's flags: (label, what it means). The label is what the table shows and
# the filter matches; the meaning is said in the step's help and holds for root and users.
FLAGS: tuple[tuple[str, str], ...] = (
    ("no MFA", "no MFA device"),
    ("access key", "has an access key (active or not)"),
    ("key >90d", "an active access key older than 90 days"),
    ("unused >45d", "a password or active key unused for more than 45 days"),
    ("never used", "a console password or an active key never used"),
    ("2 keys", "two active access keys"),
    ("inactive key", "an inactive access key"),
    ("cert", "an active signing certificate"),
)
FLAG_LABELS = tuple(label for label, _ in FLAGS)


class _Flags:
    """Who each flag applies to, from an analysis (IAM users; root: _root_flags)."""

    def __init__(self, a: Analysis) -> None:
        self.with_mfa = set(a.users_with_mfa)
        self.old = {e.user for e in a.access_keys_older_than_90_days}
        self.unused = {e.user for e in a.unused_credentials_over_45_days}
        self.never = set(a.password_never_used) | {e.user for e in a.access_keys_never_used}
        self.two = set(a.users_with_two_active_keys)
        self.inactive = {e.user for e in a.inactive_access_keys}
        self.cert = {e.user for e in a.active_signing_certificates}

    def of(self, name: str, has_key: bool) -> list[str]:
        on = (name not in self.with_mfa, has_key, name in self.old, name in self.unused, name in self.never,
              name in self.two, name in self.inactive, name in self.cert)
        return [label for label, flag in zip(FLAG_LABELS, on) if flag]


def _root_flags(a: Analysis) -> list[str]:
    root = a.root
    keys = root.access_keys
    on = (
        not root.mfa_active,
        bool(keys),
        any(k.active and k.older_than_90_days for k in keys),
        bool(root.unused),
        any(k.active and k.last_used_date == NA for k in keys)
        or (root.password_enabled_raw == "true" and root.password_last_used_raw == NO_INFORMATION),
        root.access_keys_active == 2,
        any(not k.active for k in keys),
        bool(root.signing_certs),
    )
    return [label for label, flag in zip(FLAG_LABELS, on) if flag]


def user_table(report: CredentialReport, now: datetime, analysis: Analysis | None = None) -> list[UserRow]:
    """Display rows for a table: the root user first, then each IAM user in report order.
    ``analysis`` is ``analyse(report, now)`` when the caller has it already."""
    now = _utc(now)
    if analysis is None:
        analysis = analyse(report, now)
    flags = _Flags(analysis)
    dates = report.dates
    out = []
    for i, row in enumerate(report.records):
        name = row[0]
        password, key1, key2 = _texts(row, dates, now)
        has_key = any(row[rotated_at] != NA for _, _, rotated_at, *_ in _KEYS)
        out.append(UserRow(name, _YES_NO[row[_PASSWORD_ENABLED]], "yes" if row[_MFA] == "true" else "no",
                           password, key1, key2, _root_flags(analysis) if i == 0 else flags.of(name, has_key)))
    return out
