"""IAM credential report: the format as AWS writes it, parsing and analysis.

Pure functions over text and data; no AWS access here (see wizard.aws for that).
"""

from __future__ import annotations

import csv
import io
import operator
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from wizard.errors import InputError, ReportFormatError
from wizard.rules import Finding, evaluate
from wizard.rules import strict_failures as _strict_failures

# The columns AWS writes, in order. Columns are looked up by name when reading.
REPORT_COLUMNS: tuple[str, ...] = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)

ROOT_USER = "<root_account>"
NOT_SUPPORTED = "not_supported"
NO_INFORMATION = "no_information"
NA = "N/A"


def format_report_csv(rows: Iterable[Mapping[str, str]]) -> str:
    """Write rows (dicts keyed by REPORT_COLUMNS) as AWS does: header line, one line a
    row, ``\\n`` line ends, no trailing quoting beyond what CSV needs."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


# --- parsing -------------------------------------------------------------------------

_BOOL_COLUMNS = frozenset({
    "password_enabled", "mfa_active", "access_key_1_active", "access_key_2_active",
    "cert_1_active", "cert_2_active",
})
# Columns holding a date or one of the given placeholders.
_DATE_COLUMNS: dict[str, frozenset[str]] = {
    "user_creation_time": frozenset(),
    "password_last_used": frozenset({NO_INFORMATION, NA}),
    "password_last_changed": frozenset({NA}),
    "password_next_rotation": frozenset({NA}),
    **{f"access_key_{n}_{c}": frozenset({NA}) for n in (1, 2) for c in ("last_rotated", "last_used_date")},
    **{f"cert_{n}_last_rotated": frozenset({NA}) for n in (1, 2)},
}
_DATE_ITEMS = tuple(_DATE_COLUMNS.items())
_ACTIVE_ROTATED = tuple((f"{p}_active", f"{p}_last_rotated", p.replace("_", " "))
                        for p in ("access_key_1", "access_key_2", "cert_1", "cert_2"))
# Only the root row may say not_supported, and only here (AWS-FACTS §2).
_ROOT_NOT_SUPPORTED = frozenset({"password_enabled", "password_last_changed", "password_next_rotation"})
_PLACEHOLDERS = frozenset({NA, NO_INFORMATION, NOT_SUPPORTED})

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2})")
_ROOT_ARN_RE = re.compile(r"arn:aws[a-z-]*:iam::([0-9]{12}):root")
_DATE_EXAMPLE = "ISO 8601 with an offset, like 2026-11-23T18:02:11+00:00"


def _parse_date(text: str) -> datetime:
    """A report timestamp as an aware UTC datetime. Strict: ``YYYY-MM-DDTHH:MM:SS`` and an
    offset (``Z`` or ``±HH:MM``); a time without an offset is refused, not guessed."""
    if _DATE_RE.fullmatch(text):
        try:
            when = datetime.fromisoformat(text)
            return when if text.endswith("+00:00") else when.astimezone(timezone.utc)
        except (ValueError, OverflowError):
            pass
    raise ValueError(text)


def _shorten(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")


@dataclass
class CredentialReport:
    """A validated credential report. ``rows`` hold only the known columns, with booleans
    lower-cased and dates normalised to ``YYYY-MM-DDTHH:MM:SS+00:00``; ``line_numbers[i]``
    is the 1-based file line of ``rows[i]``; ``dates`` maps each normalised date string
    to its datetime (parsed once)."""

    rows: list[dict[str, str]]
    root: dict[str, str] | None
    warnings: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    dates: dict[str, datetime] = field(default_factory=dict)
    # (now, root facts, user facts) of the last analysis; rows are read-only once parsed.
    _analysis_cache: tuple[datetime, _User, list[_User]] | None = field(
        default=None, init=False, repr=False, compare=False)

    @property
    def users(self) -> list[dict[str, str]]:
        """The IAM user rows (everything but the root row), in report order."""
        return self.rows[1:] if self.rows and self.rows[0] is self.root else self.rows

    @property
    def account_id(self) -> str | None:
        match = _ROOT_ARN_RE.fullmatch(self.root["arn"]) if self.root else None
        return match.group(1) if match else None

    def time(self, value: str) -> datetime | None:
        """The datetime of a column value, or None for a placeholder (N/A, no_information,
        not_supported)."""
        return None if value in _PLACEHOLDERS else self.dates.get(value) or self._parse(value)

    def _parse(self, value: str) -> datetime:
        try:
            when = self.dates[value] = _parse_date(value)
        except ValueError:
            raise ReportFormatError(f"{_shorten(value)} is not a date ({_DATE_EXAMPLE})") from None
        return when


def _decode(data: bytes | str) -> str:
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            text = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ReportFormatError("Not a credential report: the file is not UTF-8 text.") from None
    else:
        text = data.removeprefix("\ufeff")
    if "\x00" in text:
        raise ReportFormatError("Not a credential report: the file contains binary data.")
    if not text.strip():
        raise ReportFormatError("The credential report is empty.")
    return text


def _read_records(text: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) of each non-blank CSV record; the line is the record's last
    physical line, which is its only line in an AWS report."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records = []
    try:
        for fields in reader:
            if len(fields) > 1 or (fields and fields[0].strip()):
                records.append((reader.line_num, fields))
    except csv.Error as err:
        raise ReportFormatError(f"Not a valid CSV file: {err}.", line=reader.line_num + 1) from None
    return records


def _column_index(header: list[str], line: int) -> tuple[dict[str, int], list[str]]:
    names = [h.strip() for h in header]
    known = set(REPORT_COLUMNS)
    if not known.intersection(names):
        raise ReportFormatError(
            "Not a credential report: the first line is not the report's header "
            "(user,arn,user_creation_time,...).", line=line)
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in known and name in index:
            raise ReportFormatError("The header names a column twice.", line=line, column=name)
        index.setdefault(name, i)
    missing = [c for c in REPORT_COLUMNS if c not in index]
    if missing:
        raise ReportFormatError(
            f"The credential report lacks required column{'s' if len(missing) > 1 else ''}: "
            f"{', '.join(missing)}.", line=line, column=missing[0])
    return {c: index[c] for c in REPORT_COLUMNS}, [n for n in names if n not in known]


def _validate_row(row: dict[str, str], line: int, is_root: bool,
                  cache: dict[str, tuple[str, datetime]], dates: dict[str, datetime]) -> None:
    """Check and normalise ``row`` in place; ReportFormatError names line and column."""
    def fail(message: str, column: str) -> ReportFormatError:
        return ReportFormatError(message, line=line, column=column)

    for column in _BOOL_COLUMNS:
        value = row[column]
        if value == "true" or value == "false":
            continue
        lowered = value.lower()
        if lowered in ("true", "false"):
            row[column] = lowered
        elif not (is_root and value == NOT_SUPPORTED and column in _ROOT_NOT_SUPPORTED):
            raise fail(f"{_shorten(value)} is not true or false", column)
    for column, placeholders in _DATE_ITEMS:
        value = row[column]
        if value in dates or value in placeholders or (
                is_root and value == NOT_SUPPORTED and column in _ROOT_NOT_SUPPORTED):
            continue  # a date seen before in its normal form, or a placeholder allowed here
        parsed = cache.get(value)  # other spellings (Z, offsets) seen before
        if parsed is None:
            try:
                when = _parse_date(value)
            except ValueError:
                allowed = "".join(f" or {p}" for p in sorted(placeholders))
                raise fail(f"{_shorten(value)} is not a date ({_DATE_EXAMPLE}){allowed}", column) from None
            normal = value if value.endswith("+00:00") else when.isoformat()
            dates[normal] = when
            if normal == value:
                continue
            parsed = cache[value] = (normal, when)
        row[column] = parsed[0]
    for active, rotated, label in _ACTIVE_ROTATED:
        if row[active] == "true" and row[rotated] == NA:
            raise fail(f"an active {label} has no date", rotated)
    if not is_root and row["password_enabled"] == "true":
        if row["password_last_used"] == NA:
            raise fail("a user with a password has N/A (no password) here", "password_last_used")
        if row["password_last_changed"] == NA:
            raise fail("a user with a password has no password_last_changed date", "password_last_changed")


def parse_report(data: bytes | str) -> CredentialReport:
    """Read and validate an IAM credential report (CSV as AWS writes it). Raises
    ReportFormatError for anything that cannot be analysed without guessing."""
    records = _read_records(_decode(data))
    if not records:
        raise ReportFormatError("The credential report is empty.")
    (header_line, header), body = records[0], records[1:]
    index, extra = _column_index(header, header_line)
    if not body:
        raise ReportFormatError(
            f"The credential report has a header but no rows; AWS always writes the {ROOT_USER} row.",
            line=header_line)
    report = CredentialReport(rows=[], root=None, extra_columns=extra)
    cache: dict[str, tuple[str, datetime]] = {}
    seen: set[str] = set()
    width = len(header)
    pick = operator.itemgetter(*(index[c] for c in REPORT_COLUMNS))
    for number, (line, fields) in enumerate(body):
        if len(fields) != width:
            if len(fields) < width and number == len(body) - 1 and number > 0:
                report.warnings.append(
                    f"Line {line} is truncated ({len(fields)} of {width} fields); that row was skipped.")
                break
            raise ReportFormatError(f"The row has {len(fields)} fields, the header has {width}.", line=line)
        row = dict(zip(REPORT_COLUMNS, pick(fields)))
        user = row["user"]
        if number == 0 and user != ROOT_USER:
            raise ReportFormatError(f"The first row must be {ROOT_USER}, found {_shorten(user)}.",
                                    line=line, column="user")
        if number and user == ROOT_USER:
            raise ReportFormatError(f"A second {ROOT_USER} row.", line=line, column="user")
        if not user:
            raise ReportFormatError("The user name is empty.", line=line, column="user")
        if user in seen:
            raise ReportFormatError(f"User {_shorten(user)} appears twice.", line=line, column="user")
        seen.add(user)
        if number == 0 and not _ROOT_ARN_RE.fullmatch(row["arn"]):
            raise ReportFormatError(f"{_shorten(row['arn'])} is not a root ARN (arn:aws:iam::ACCOUNT:root).",
                                    line=line, column="arn")
        _validate_row(row, line, number == 0, cache, report.dates)
        report.rows.append(row)
        report.line_numbers.append(line)
    report.root = report.rows[0]
    return report


# --- analysis ------------------------------------------------------------------------

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


# --- table ---------------------------------------------------------------------------

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


# --- synthetic reports ---------------------------------------------------------------

def _stamp(when: datetime) -> str:
    return when.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def generate_synthetic_report(n_users: int, now: datetime, seed: int = 0) -> str:
    """A valid AWS-format credential report with a root row and ``n_users`` IAM users.
    Users cycle through eight profiles, so any ``n_users >= 8`` holds every kind of row:
    console with and without MFA, never-used passwords, removed passwords that keep a
    last-used date, 0/1/2 keys active and inactive, never-used keys, keys last used on a
    non-regional service (region N/A), IAM paths in ARNs, signing certificates."""
    if n_users < 0:
        raise InputError("The number of users cannot be negative.", field="n_users")
    now = _utc(now)
    rng = random.Random(seed)
    account = f"{rng.randrange(10**11, 10**12):012d}"

    def ago(low: int, high: int) -> datetime:
        return now - timedelta(days=low, seconds=rng.randrange((high - low) * 86400 + 1))

    def after(start: datetime) -> str:
        return _stamp(start + (now - start) * rng.random())

    def blank(user: str, arn: str) -> dict[str, str]:
        row = dict.fromkeys(REPORT_COLUMNS, NA)
        row.update(user=user, arn=arn, user_creation_time=_stamp(ago(1000, 1500)), password_enabled="false",
                   mfa_active="false", access_key_1_active="false", access_key_2_active="false",
                   cert_1_active="false", cert_2_active="false")
        return row

    def key(row: dict[str, str], n: int, active: bool, used: bool, region: str = "us-east-1",
            service: str = "iam") -> None:
        p = f"access_key_{n}_"
        rotated = ago(100, 900) if rng.random() < 0.5 else ago(0, 99)
        row.update({p + "active": "true" if active else "false", p + "last_rotated": _stamp(rotated)})
        if used:
            row.update({p + "last_used_date": after(rotated), p + "last_used_region": region,
                        p + "last_used_service": service})

    def password(row: dict[str, str], used: bool) -> None:
        changed = ago(0, 900)
        row.update(password_enabled="true", password_last_changed=_stamp(changed),
                   password_last_used=after(changed) if used else NO_INFORMATION)

    root = blank(ROOT_USER, f"arn:aws:iam::{account}:root")
    root.update(password_enabled=NOT_SUPPORTED, password_last_changed=NOT_SUPPORTED,
                password_next_rotation=NOT_SUPPORTED, password_last_used=_stamp(ago(0, 200)),
                mfa_active=rng.choice(("true", "false")))
    if rng.random() < 0.5:
        key(root, 1, rng.random() < 0.5, True)
    rows = [root]
    for i in range(n_users):
        kind = i % 8
        path = "service/" if kind == 6 else ("team/dev/" if rng.random() < 0.2 else "")
        name = f"{'svc' if kind == 6 else 'user'}-{i:05d}"
        row = blank(name, f"arn:aws:iam::{account}:user/{path}{name}")
        row["mfa_active"] = "true" if kind in (0, 7) or (kind == 4 and rng.random() < 0.5) else "false"
        if kind == 0:  # console, MFA, one key in use
            password(row, True)
            key(row, 1, True, True)
        elif kind == 1:  # console without MFA, password never used
            password(row, False)
        elif kind == 2:  # console password removed; the last-used date stays
            row["password_last_used"] = _stamp(ago(30, 400))
        elif kind == 4:  # two active keys, the second never used
            password(row, True)
            key(row, 1, True, True)
            key(row, 2, True, False)
        elif kind == 5:  # an inactive key beside a key last used on S3 (no region)
            key(row, 1, False, True)
            key(row, 2, True, True, region=NA, service="s3")
        elif kind == 6:  # a service user under an IAM path
            key(row, 1, True, True, service="sts")
        elif kind == 7:  # MFA without console, a signing certificate
            row.update(cert_1_active="true", cert_1_last_rotated=_stamp(ago(0, 700)))
        rows.append(row)
    return format_report_csv(rows)
