"""The analysis of a parsed credential report: typed facts (frozen dataclasses), the
findings of the rules in wizard.rules, and the `audit --json` form made from them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from itertools import islice

from wizard.credreport.csvformat import (
    COL,
    NA,
    NO_INFORMATION,
    CredentialReport,
)
from wizard.errors import InputError
from wizard.heap import gc_paused
from wizard.rules import Finding, evaluate
from wizard.rules import strict_failures as _strict_failures

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing on the audit path
if TYPE_CHECKING:
    from typing import Any

OLD_KEY_AGE = timedelta(days=90)
UNUSED_PASSWORD_AGE = timedelta(days=90)
UNUSED_CREDENTIAL_AGE = timedelta(days=45)  # CIS "credentials unused for 45 days or more"
_DAY = timedelta(days=1)

_USER, _PASSWORD_ENABLED, _PASSWORD_LAST_USED, _PASSWORD_LAST_CHANGED, _MFA = (
    COL["user"], COL["password_enabled"], COL["password_last_used"], COL["password_last_changed"],
    COL["mfa_active"])
# (number, active, last_rotated, last_used_date, last_used_region, last_used_service, credential)
_KEYS: tuple[tuple[int, int, int, int, int, int, str], ...] = tuple(
    (n, COL[f"access_key_{n}_active"], COL[f"access_key_{n}_last_rotated"], COL[f"access_key_{n}_last_used_date"],
     COL[f"access_key_{n}_last_used_region"], COL[f"access_key_{n}_last_used_service"], f"access_key_{n}")
    for n in (1, 2))
_CERTS = ((1, COL["cert_1_active"]), (2, COL["cert_2_active"]))
_KEY_COLUMNS: tuple[tuple[int, int, int, int, str], ...] = tuple(
    (n, active, rotated, used, credential) for n, active, rotated, used, _, _, credential in _KEYS)


def _days(delta: timedelta) -> int:
    """Whole days: the floor of the duration."""
    return delta // _DAY


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise InputError("The time to measure from must include a time zone.", field="now")
    return now.astimezone(timezone.utc)


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
class RootUse:
    """The latest use of a root credential: its password or one of its access keys
    (CIS counts both as root use)."""

    credential: str  # password, access_key_1 or access_key_2
    at: str
    days_ago: int
    service: str | None = None  # for a key: where it was last used (N/A when AWS does not say)
    region: str | None = None

    def describe(self) -> str:
        """``access key 1 last used 2026-11-24T00:00:00+00:00 (3 d ago) by s3 in us-east-1``."""
        name = "password" if self.credential == "password" else self.credential.replace("_", " ")
        where = "".join(f" {word} {v}" for word, v in (("by", self.service), ("in", self.region))
                        if v and v != NA)
        return f"{name} last used {self.at} ({self.days_ago} d ago){where}"


@dataclass(frozen=True, slots=True)
class RootFacts:
    """The <root_account> row."""

    mfa_active: bool
    access_keys: tuple[RootKey, ...]
    password_last_used: str | None  # a date, None when never used / no password
    password_last_used_raw: str  # the report's value (a date, no_information or N/A)
    password_last_used_days_ago: int | None
    signing_certs: tuple[int, ...]  # numbers of the active signing certificates
    password_enabled_raw: str  # true, false or not_supported, as in the report
    unused: tuple[UnusedCredential, ...]  # root's credentials unused for more than 45 days
    last_used: RootUse | None  # the latest use of the password or a key; None: never used
    # No password, no access key (active or not) and no signing certificate: removed by
    # AWS Organizations' centralized root access, or never created (new member accounts).
    credentials_removed: bool

    @property
    def password_enabled(self) -> bool | None:
        """None when the report says not_supported (older reports for root)."""
        return {"true": True, "false": False}.get(self.password_enabled_raw)

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
    """A console password last used more than 90 days ago."""

    user: str
    password_last_used: str
    days: int


@dataclass(frozen=True, slots=True)
class OldKey:
    """An active access key created more than 90 days ago."""

    user: str
    key: int
    last_rotated: str
    age_days: int


@dataclass(frozen=True, slots=True)
class NeverUsedKey:
    """An active access key never used."""

    user: str
    key: int
    last_rotated: str


@dataclass(frozen=True, slots=True)
class KeyRef:
    """An access key of a user (inactive ones are listed so)."""

    user: str
    key: int


@dataclass(frozen=True, slots=True)
class CertRef:
    """An active signing certificate of a user."""

    user: str
    cert: int


@dataclass(frozen=True, slots=True)
class UnusedCredential:
    """A password or active key unused for more than 45 days (measured from its last use, else from when it was set)."""

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
    # Account settings a credential report does not hold (None: not read); set only for a
    # live read of the account (wizard.residual). {}: no password policy, AWS's default applies.
    password_policy: Mapping[str, Any] | None = None
    alternate_contacts: Mapping[str, bool] | None = None  # SECURITY/OPERATIONS/BILLING -> set


class _Scan:
    """The lists of an analysis, filled in one pass over the rows."""

    def __init__(self) -> None:
        self.console: list[str] = []
        self.without_mfa: list[str] = []
        self.with_mfa: list[str] = []
        self.password_never_used: list[str] = []
        self.password_unused_90: list[UnusedPassword] = []
        self.active_keys = 0
        self.old_keys: list[OldKey] = []
        self.never_used_keys: list[NeverUsedKey] = []
        self.inactive_keys: list[KeyRef] = []
        self.certs: list[CertRef] = []
        self.two_keys: list[str] = []
        self.unused: list[UnusedCredential] = []


def _scan(rows: Iterable[list[str]], dates: Mapping[str, datetime], now: datetime) -> _Scan:
    """The facts of ``rows`` (records in REPORT_COLUMNS order, validated) at ``now``."""
    out = _Scan()
    console, without_mfa, with_mfa, never_pw = out.console, out.without_mfa, out.with_mfa, out.password_never_used
    unused_90, unused, old_keys, never_keys = out.password_unused_90, out.unused, out.old_keys, out.never_used_keys
    inactive, certs, two = out.inactive_keys, out.certs, out.two_keys
    old_age, unused_age, unused_pw_age, day = OLD_KEY_AGE, UNUSED_CREDENTIAL_AGE, UNUSED_PASSWORD_AGE, _DAY
    user_at, enabled_at, used_at, changed_at, mfa_at = _USER, _PASSWORD_ENABLED, _PASSWORD_LAST_USED, \
        _PASSWORD_LAST_CHANGED, _MFA
    keys, cert_columns = _KEY_COLUMNS, _CERTS
    active_total = 0
    for row in rows:
        name = row[user_at]
        mfa = row[mfa_at] == "true"
        if mfa:
            with_mfa.append(name)
        if row[enabled_at] == "true":
            console.append(name)
            if not mfa:
                without_mfa.append(name)
            used = row[used_at]
            if used == NO_INFORMATION:  # never used: measured from when it was set
                never_pw.append(name)
                changed = row[changed_at]
                if changed in dates:
                    gap = now - dates[changed]
                    if gap > unused_age:
                        unused.append(UnusedCredential(name, "password", None, changed, gap // day))
            elif used in dates:
                gap = now - dates[used]
                if gap > unused_pw_age:
                    unused_90.append(UnusedPassword(name, used, gap // day))
                if gap > unused_age:
                    unused.append(UnusedCredential(name, "password", used, used, gap // day))
        active = 0
        for n, active_at, rotated_at, last_used_at, credential in keys:
            rotated = row[rotated_at]
            if rotated == NA:  # no such key
                continue
            if row[active_at] != "true":
                inactive.append(KeyRef(name, n))
                continue
            active += 1
            age = now - dates[rotated]
            if age > old_age:
                old_keys.append(OldKey(name, n, rotated, age // day))
            used = row[last_used_at]
            if used == NA:
                never_keys.append(NeverUsedKey(name, n, rotated))
                if age > unused_age:
                    unused.append(UnusedCredential(name, credential, None, rotated, age // day))
            else:
                gap = now - dates[used]
                if gap > unused_age:
                    unused.append(UnusedCredential(name, credential, used, used, gap // day))
        if active:
            active_total += active
            if active == 2:
                two.append(name)
        for n, at in cert_columns:
            if row[at] == "true":
                certs.append(CertRef(name, n))
    out.active_keys = active_total
    return out


def _root_facts(row: list[str], dates: Mapping[str, datetime], now: datetime) -> RootFacts:
    keys = []
    for n, active, rotated_at, used_at, region, service, _ in _KEYS:
        rotated = row[rotated_at]
        if rotated != NA:
            age = now - dates[rotated]
            keys.append(RootKey(n, row[active] == "true", rotated, _days(age), age > OLD_KEY_AGE, row[used_at],
                                row[region], row[service]))
    used = row[_PASSWORD_LAST_USED]
    when = dates.get(used)
    uses = [RootUse("password", used, _days(now - when))] if when is not None else []
    uses += [RootUse(f"access_key_{k.key}", k.last_used_date, _days(now - dates[k.last_used_date]),
                     k.last_used_service, k.last_used_region) for k in keys if k.last_used_date in dates]
    certs_present = [n for n, rotated in ((1, COL["cert_1_last_rotated"]), (2, COL["cert_2_last_rotated"]))
                     if row[rotated] != NA]
    return RootFacts(
        mfa_active=row[_MFA] == "true",
        access_keys=tuple(keys),
        password_last_used=used if when is not None else None,
        password_last_used_raw=used,
        password_last_used_days_ago=_days(now - when) if when is not None else None,
        signing_certs=tuple(n for n, at in _CERTS if row[at] == "true"),
        password_enabled_raw=row[_PASSWORD_ENABLED],
        unused=tuple(_scan((row,), dates, now).unused),
        last_used=max(uses, key=lambda u: dates[u.at], default=None),
        credentials_removed=row[_PASSWORD_ENABLED] == "false" and not keys and not certs_present)


def analyse(report: CredentialReport, now: datetime) -> Analysis:
    """The facts of ``report`` at ``now`` and the findings of every rule: one pass over
    the rows, the garbage collector paused (it would only rescan what is being built)."""
    now = _utc(now)
    records, dates = report.records, report.dates
    with gc_paused():
        users = _scan(islice(records, 1, None), dates, now)
        facts = Analysis(
            account_id=report.account_id,
            user_count=len(records) - 1,
            root=_root_facts(records[0], dates, now),
            console_users=tuple(users.console),
            console_users_without_mfa=tuple(users.without_mfa),
            users_with_mfa=tuple(users.with_mfa),
            password_never_used=tuple(users.password_never_used),
            password_unused_over_90_days=tuple(users.password_unused_90),
            access_keys_active_count=users.active_keys,
            access_keys_older_than_90_days=tuple(users.old_keys),
            access_keys_never_used=tuple(users.never_used_keys),
            inactive_access_keys=tuple(users.inactive_keys),
            active_signing_certificates=tuple(users.certs),
            users_with_two_active_keys=tuple(users.two_keys),
            unused_credentials_over_45_days=tuple(users.unused),
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
        "password_enabled": root.password_enabled,
        "credentials_removed": root.credentials_removed,
        "last_used": None if root.last_used is None else {
            "credential": root.last_used.credential, "at": root.last_used.at, "days_ago": root.last_used.days_ago,
            "service": root.last_used.service, "region": root.last_used.region},
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
    if root.credentials_removed:
        root_line = (f"Root: no credentials (no password, access key or signing certificate), MFA "
                     f"{'on' if root.mfa_active else 'off'}; password last used {used}")
    else:
        root_line = (f"Root: MFA {'on' if root.mfa_active else 'OFF'}; access keys {root.access_keys_active} "
                     f"active of {root.access_keys_present}; signing certificates {root.signing_certs_active}; "
                     f"password last used {used}")
    if root.last_used is not None and root.last_used.credential != "password":
        root_line += f"; root last used: {root.last_used.describe()}"
    lines = [
        f"Account {analysis.account_id}: {analysis.user_count} IAM user(s)",
        root_line,
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
