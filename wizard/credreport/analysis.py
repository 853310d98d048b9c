"""The analysis of a parsed credential report: typed facts (frozen dataclasses), the
findings of the rules in wizard.rules, and the `audit --json` form made from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from wizard.credreport.csvformat import (
    _PLACEHOLDERS,
    NA,
    NO_INFORMATION,
    ROOT_USER,
    CredentialReport,
)
from wizard.errors import InputError, ReportFormatError
from wizard.rules import Finding, evaluate
from wizard.rules import strict_failures as _strict_failures

OLD_KEY_AGE = timedelta(days=90)
UNUSED_PASSWORD_AGE = timedelta(days=90)
UNUSED_CREDENTIAL_AGE = timedelta(days=45)  # CIS "credentials unused for 45 days or more"
_DAY = timedelta(days=1)


def _days(delta: timedelta) -> int:
    """Whole days: the floor of the duration."""
    return delta // _DAY


@dataclass(slots=True)
class _Key:
    """An access key that exists (its last_rotated is a date), with the rules decided."""

    n: int
    active: bool
    last_rotated: str
    age: timedelta
    last_used: str  # a date or N/A, as in the CSV
    used_ago: timedelta | None
    region: str
    service: str
    old: bool = field(init=False)
    never_used: bool = field(init=False)
    unused: tuple[str, timedelta] | None = field(init=False)  # (measured from, duration) past 45 days

    def __post_init__(self) -> None:
        self.old = self.active and self.age > OLD_KEY_AGE
        self.never_used = self.active and self.used_ago is None
        since, gap = (self.last_rotated, self.age) if self.used_ago is None else (self.last_used, self.used_ago)
        self.unused = (since, gap) if self.active and gap > UNUSED_CREDENTIAL_AGE else None


@dataclass(slots=True)
class _User:
    name: str
    password_enabled: str  # true, false or (root only) not_supported
    mfa: bool
    password_last_used: str
    password_used_ago: timedelta | None
    password_unused: tuple[str, timedelta] | None  # the 45-day rule, console passwords only
    keys: tuple[_Key, ...]
    certs: tuple[int, ...]  # numbers of the active signing certificates

    @property
    def console(self) -> bool:
        return self.password_enabled == "true"

    @property
    def password_never_used(self) -> bool:
        return self.console and self.password_last_used == NO_INFORMATION


_KEY_COLUMNS = tuple(
    tuple(f"access_key_{n}_{c}" for c in ("active", "last_rotated", "last_used_date", "last_used_region",
                                          "last_used_service"))
    for n in (1, 2))
_CERT_COLUMNS = ((1, "cert_1_active"), (2, "cert_2_active"))


def _facts(report: CredentialReport, row: Mapping[str, str], now: datetime) -> _User:
    dates = report.dates

    def ago(value: str) -> timedelta | None:
        return None if value in _PLACEHOLDERS else now - (dates.get(value) or report._parse(value))

    keys = []
    for n, (active, rotated, used, region, service) in enumerate(_KEY_COLUMNS, 1):
        age = ago(row[rotated])
        if age is not None:
            keys.append(_Key(n, row[active] == "true", row[rotated], age, row[used], ago(row[used]),
                             row[region], row[service]))
    used = row["password_last_used"]
    used_ago = ago(used)
    unused = None
    if row["password_enabled"] == "true":
        since, gap = (used, used_ago) if used_ago is not None else (
            row["password_last_changed"], ago(row["password_last_changed"]))
        if gap is not None and gap > UNUSED_CREDENTIAL_AGE:
            unused = (since, gap)
    certs = tuple(n for n, column in _CERT_COLUMNS if row[column] == "true")
    return _User(row["user"], row["password_enabled"], row["mfa_active"] == "true", used, used_ago, unused,
                 tuple(keys), certs)


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise InputError("The time to measure from must include a time zone.", field="now")
    return now.astimezone(timezone.utc)


def _all_facts(report: CredentialReport, now: datetime) -> tuple[_User, list[_User]]:
    """Facts of the root row and of each IAM user row, computed once per clock time."""
    now = _utc(now)
    if report.root is None:
        raise ReportFormatError(f"The credential report has no {ROOT_USER} row.")
    cache = report._analysis_cache
    if cache is None or cache[0] != now:
        cache = report._analysis_cache = (
            now, _facts(report, report.root, now), [_facts(report, r, now) for r in report.users])
    return cache[1], cache[2]


@dataclass(frozen=True, slots=True)
class RootKey:
    """An access key of the root user (it exists: its last_rotated is a date)."""

    key: int
    active: bool
    last_rotated: str
    age_days: int
    older_than_90_days: bool
    last_used_date: str  # a date or N/A, as in the report
    last_used_region: str
    last_used_service: str


@dataclass(frozen=True, slots=True)
class RootFacts:
    mfa_active: bool
    access_keys: tuple[RootKey, ...]
    password_last_used: str | None  # a date, None when never used / no password
    password_last_used_raw: str  # the report's value (a date, no_information or N/A)
    password_last_used_days_ago: int | None
    signing_certs: tuple[int, ...]  # numbers of the active signing certificates

    @property
    def access_keys_active(self) -> int:
        return sum(k.active for k in self.access_keys)

    @property
    def access_keys_present(self) -> int:
        return len(self.access_keys)

    @property
    def signing_certs_active(self) -> int:
        return len(self.signing_certs)


@dataclass(frozen=True, slots=True)
class UnusedPassword:
    user: str
    password_last_used: str
    days: int


@dataclass(frozen=True, slots=True)
class OldKey:
    user: str
    key: int
    last_rotated: str
    age_days: int


@dataclass(frozen=True, slots=True)
class NeverUsedKey:
    user: str
    key: int
    last_rotated: str


@dataclass(frozen=True, slots=True)
class KeyRef:
    user: str
    key: int


@dataclass(frozen=True, slots=True)
class CertRef:
    user: str
    cert: int


@dataclass(frozen=True, slots=True)
class UnusedCredential:
    user: str
    credential: str  # password, access_key_1 or access_key_2
    last_used: str | None  # None: never used (measured from creation)
    since: str
    days: int


@dataclass(frozen=True, slots=True)
class Analysis:
    """The facts of one credential report at one clock time, and the findings of the
    rules (wizard.rules) over them. ``to_audit_json`` gives the `audit --json` form."""

    account_id: str | None
    user_count: int
    root: RootFacts
    console_users: tuple[str, ...]
    console_users_without_mfa: tuple[str, ...]
    users_with_mfa: tuple[str, ...]
    password_never_used: tuple[str, ...]
    password_unused_over_90_days: tuple[UnusedPassword, ...]
    access_keys_active_count: int
    access_keys_older_than_90_days: tuple[OldKey, ...]
    access_keys_never_used: tuple[NeverUsedKey, ...]
    inactive_access_keys: tuple[KeyRef, ...]
    active_signing_certificates: tuple[CertRef, ...]
    users_with_two_active_keys: tuple[str, ...]
    unused_credentials_over_45_days: tuple[UnusedCredential, ...]
    findings: tuple[Finding, ...] = ()


def analyse(report: CredentialReport, now: datetime) -> Analysis:
    """The facts of ``report`` at ``now`` and the findings of every rule."""
    root, users = _all_facts(report, now)
    unused: list[UnusedCredential] = []
    for u in users:
        if u.password_unused:
            unused.append(UnusedCredential(
                u.name, "password", u.password_last_used if u.password_used_ago is not None else None,
                u.password_unused[0], _days(u.password_unused[1])))
        for k in u.keys:
            if k.unused:
                unused.append(UnusedCredential(u.name, f"access_key_{k.n}",
                                               k.last_used if k.used_ago is not None else None,
                                               k.unused[0], _days(k.unused[1])))
    facts = Analysis(
        account_id=report.account_id,
        user_count=len(users),
        root=RootFacts(
            mfa_active=root.mfa,
            access_keys=tuple(
                RootKey(k.n, k.active, k.last_rotated, _days(k.age), k.age > OLD_KEY_AGE, k.last_used,
                        k.region, k.service) for k in root.keys),
            password_last_used=root.password_last_used if root.password_used_ago is not None else None,
            password_last_used_raw=root.password_last_used,
            password_last_used_days_ago=(
                _days(root.password_used_ago) if root.password_used_ago is not None else None),
            signing_certs=root.certs),
        console_users=tuple(u.name for u in users if u.console),
        console_users_without_mfa=tuple(u.name for u in users if u.console and not u.mfa),
        users_with_mfa=tuple(u.name for u in users if u.mfa),
        password_never_used=tuple(u.name for u in users if u.password_never_used),
        password_unused_over_90_days=tuple(
            UnusedPassword(u.name, u.password_last_used, _days(u.password_used_ago)) for u in users
            if u.console and u.password_used_ago is not None and u.password_used_ago > UNUSED_PASSWORD_AGE),
        access_keys_active_count=sum(k.active for u in users for k in u.keys),
        access_keys_older_than_90_days=tuple(
            OldKey(u.name, k.n, k.last_rotated, _days(k.age)) for u in users for k in u.keys if k.old),
        access_keys_never_used=tuple(
            NeverUsedKey(u.name, k.n, k.last_rotated) for u in users for k in u.keys if k.never_used),
        inactive_access_keys=tuple(KeyRef(u.name, k.n) for u in users for k in u.keys if not k.active),
        active_signing_certificates=tuple(CertRef(u.name, n) for u in users for n in u.certs),
        users_with_two_active_keys=tuple(u.name for u in users if sum(k.active for k in u.keys) == 2),
        unused_credentials_over_45_days=tuple(unused),
    )
    return replace(facts, findings=evaluate(facts))


def _root_json(root: RootFacts) -> dict[str, Any]:
    return {
        "mfa_active": root.mfa_active,
        "access_keys_active": root.access_keys_active,
        "access_keys_present": root.access_keys_present,
        "access_keys": [
            {"key": k.key, "active": k.active, "last_rotated": k.last_rotated, "age_days": k.age_days,
             "older_than_90_days": k.older_than_90_days, "last_used_date": k.last_used_date,
             "last_used_region": k.last_used_region, "last_used_service": k.last_used_service}
            for k in root.access_keys],
        "password_last_used": root.password_last_used,
        "password_last_used_raw": root.password_last_used_raw,
        "password_last_used_days_ago": root.password_last_used_days_ago,
        "signing_certs_active": root.signing_certs_active,
    }


def to_audit_json(a: Analysis) -> dict[str, Any]:
    """The `rootwizard audit --json` object (also kept in the session as the findings
    before/after): its keys are an interface, add keys rather than change them."""
    return {
        "account_id": a.account_id,
        "user_count": a.user_count,
        "root": _root_json(a.root),
        "console_users": list(a.console_users),
        "console_users_without_mfa": list(a.console_users_without_mfa),
        "users_with_mfa": list(a.users_with_mfa),
        "password_never_used": list(a.password_never_used),
        "password_unused_over_90_days": [
            {"user": e.user, "password_last_used": e.password_last_used, "days": e.days}
            for e in a.password_unused_over_90_days],
        "access_keys_active_count": a.access_keys_active_count,
        "access_keys_older_than_90_days": [
            {"user": e.user, "key": e.key, "last_rotated": e.last_rotated, "age_days": e.age_days}
            for e in a.access_keys_older_than_90_days],
        "access_keys_never_used": [
            {"user": e.user, "key": e.key, "last_rotated": e.last_rotated} for e in a.access_keys_never_used],
        "inactive_access_keys": [{"user": e.user, "key": e.key} for e in a.inactive_access_keys],
        "active_signing_certificates": [{"user": e.user, "cert": e.cert} for e in a.active_signing_certificates],
        "users_with_two_active_keys": list(a.users_with_two_active_keys),
        "unused_credentials_over_45_days": [
            {"user": e.user, "credential": e.credential, "last_used": e.last_used, "since": e.since,
             "days": e.days} for e in a.unused_credentials_over_45_days],
        "findings": [f.to_json() for f in a.findings],
    }


def strict_failures(analysis: Analysis) -> list[str]:
    """Why ``audit --strict`` fails (empty when it passes): the findings of the rules
    marked strict (root without MFA, a root access key, console users without MFA)."""
    return _strict_failures(analysis.findings)


def summary_text(analysis: Analysis) -> str:
    """A plain-text summary of an ``analyse`` result for the terminal."""
    root = analysis.root
    if root.password_last_used:
        used = f"{root.password_last_used} ({root.password_last_used_days_ago} d ago)"
    else:
        used = {NO_INFORMATION: "never", NA: "no password"}.get(root.password_last_used_raw,
                                                                root.password_last_used_raw)
    lines = [
        f"Account {analysis.account_id}: {analysis.user_count} IAM user(s)",
        f"Root: MFA {'on' if root.mfa_active else 'OFF'}; access keys {root.access_keys_active} active "
        f"of {root.access_keys_present}; signing certificates {root.signing_certs_active}; "
        f"password last used {used}",
        f"Console users: {len(analysis.console_users)}, without MFA: "
        f"{len(analysis.console_users_without_mfa)}; users with MFA: {len(analysis.users_with_mfa)}",
        f"Active access keys: {analysis.access_keys_active_count}, older than 90 days: "
        f"{len(analysis.access_keys_older_than_90_days)}, never used: "
        f"{len(analysis.access_keys_never_used)}; inactive keys: {len(analysis.inactive_access_keys)}",
        f"Credentials unused for more than 45 days: {len(analysis.unused_credentials_over_45_days)}",
        "",
    ]
    found = analysis.findings
    lines.append("Findings:" if found else "No findings.")
    for f in found:
        lines.append(f"  [{f.severity.upper()}] {f.title}: {f.detail}")
        lines.append(f"    Rule {f.id}; {f.rule.cis_text()}")
        lines.append(f"    Fix: {f.fix}")
    return "\n".join(lines)
