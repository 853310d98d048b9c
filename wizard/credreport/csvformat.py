"""The IAM credential report as AWS writes it: its columns, writing one, and reading one
(strict validation; errors name the line and the column). No AWS access here."""

from __future__ import annotations

import csv
import io
import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from wizard.errors import ReportFormatError

if TYPE_CHECKING:
    from wizard.credreport.analysis import _User

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
