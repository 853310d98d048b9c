"""The IAM credential report as AWS writes it: its columns, writing one, and reading one
(strict validation; errors name the line and the column). No AWS access here."""

from __future__ import annotations

import csv
import io
import operator
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from functools import cached_property

from wizard.errors import ReportFormatError
from wizard.heap import gc_paused

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
_ROOT_ARN_RE = re.compile(r"arn:aws[a-z-]*:iam::([^:]*):root")
# A report shared with its account number blanked out ("test", "XXXXXXXXXXXX"): analysed
# as usual, with a warning. Digits of the wrong length are a damaged ARN, not a redaction.
_REDACTED_ACCOUNT_RE = re.compile(r"[A-Za-z0-9*_.<>#-]{1,32}")
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


# Positions in a record (a row's values in REPORT_COLUMNS order).
COL = {name: i for i, name in enumerate(REPORT_COLUMNS)}
_BOOL_POS = tuple(COL[c] for c in REPORT_COLUMNS if c in _BOOL_COLUMNS)
_DATE_POS = tuple((COL[c], placeholders) for c, placeholders in _DATE_ITEMS)
_ACTIVE_ROTATED_POS = tuple((COL[a], COL[r], r, label) for a, r, label in _ACTIVE_ROTATED)
_ROOT_NOT_SUPPORTED_POS = frozenset(COL[c] for c in _ROOT_NOT_SUPPORTED)
_TRUE_FALSE = frozenset({"true", "false"})
_bools = operator.itemgetter(*_BOOL_POS)
_fromisoformat = datetime.fromisoformat


class CredentialReport:
    """A validated credential report. ``records[i]`` holds the values of row ``i`` (the
    root row first) in REPORT_COLUMNS order, with booleans lower-cased and dates
    normalised to ``YYYY-MM-DDTHH:MM:SS+00:00``; ``line_numbers[i]`` is its 1-based file
    line; ``dates`` maps each normalised date string to its datetime (parsed once).
    ``rows`` gives the same rows as dicts keyed by column name. Read-only once parsed."""

    def __init__(self, records: list[list[str]], line_numbers: list[int], dates: dict[str, datetime],
                 extra_columns: list[str], warnings: list[str]) -> None:
        self.records = records
        self.line_numbers = line_numbers
        self.dates = dates
        self.extra_columns = extra_columns
        self.warnings = warnings

    @cached_property
    def rows(self) -> list[dict[str, str]]:
        return [dict(zip(REPORT_COLUMNS, r)) for r in self.records]

    @property
    def root(self) -> dict[str, str]:
        return self.rows[0]

    @property
    def users(self) -> list[dict[str, str]]:
        """The IAM user rows (everything but the root row), in report order."""
        return self.rows[1:]

    @property
    def account_id(self) -> str | None:
        match = _ROOT_ARN_RE.fullmatch(self.records[0][COL["arn"]])
        return match.group(1) if match else None

    def time(self, value: str) -> datetime | None:
        """The datetime of a column value, or None for a placeholder (N/A, no_information,
        not_supported)."""
        return None if value in _PLACEHOLDERS else self.dates[value]


_NOT_UTF8 = "Not a credential report: the file is not UTF-8 text."


def _lines(data: bytes | str) -> io.TextIOBase:
    """The report as text lines for csv.reader. Bytes are decoded as they are read (a
    whole-file str, or a StringIO of it, would hold the report two to four times over)."""
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
        if "\x00" in text:
            raise ReportFormatError("Not a credential report: the file contains binary data.")
        return io.StringIO(text, newline="")
    raw = bytes(data)
    if b"\x00" in raw:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ReportFormatError(_NOT_UTF8) from None
        raise ReportFormatError("Not a credential report: the file contains binary data.")
    return io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", errors="strict", newline="")


def _column_index(header: list[str], line: int) -> tuple[list[int], list[str]]:
    """The position of each of REPORT_COLUMNS in the file's header, and the other names."""
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
    return [index[c] for c in REPORT_COLUMNS], [n for n in names if n not in known]


def _check_root_arn(arn: str, line: int, warnings: list[str]) -> None:
    match = _ROOT_ARN_RE.fullmatch(arn)
    account = match.group(1) if match else ""
    if len(account) == 12 and account.isdigit() and account.isascii():
        return
    if account and not account.isdigit() and _REDACTED_ACCOUNT_RE.fullmatch(account):
        warnings.append(f"The account number in the root ARN is redacted ({_shorten(account)}); the report "
                        "is analysed as given.")
        return
    raise ReportFormatError(f"{_shorten(arn)} is not a root ARN (arn:aws:iam::ACCOUNT:root).", line=line,
                            column="arn")


def _blank(fields: list[str]) -> bool:
    return not fields or (len(fields) == 1 and not fields[0].strip())


def _date(value: str, pos: int, placeholders: frozenset[str], line: int, dates: dict[str, datetime],
          spellings: dict[str, str]) -> str:
    """The normal form of a date value not seen before (recorded in ``dates``)."""
    normal = spellings.get(value)
    if normal is not None:
        return normal
    try:
        when = _parse_date(value)
    except ValueError:
        allowed = "".join(f" or {p}" for p in sorted(placeholders))
        raise ReportFormatError(f"{_shorten(value)} is not a date ({_DATE_EXAMPLE}){allowed}", line=line,
                                column=REPORT_COLUMNS[pos]) from None
    normal = value if value.endswith("+00:00") else when.isoformat()
    dates[normal] = when
    if normal != value:
        spellings[value] = normal
    return normal


def _new_date(row: list[str], pos: int, line: int, is_root: bool, dates: dict[str, datetime],
              spellings: dict[str, str]) -> None:
    """Check a value of a date column that is not a date seen before: a placeholder this
    column allows, or a date (parsed once, normalised in ``row``)."""
    value = row[pos]
    placeholders = _DATE_PLACEHOLDERS[pos]
    if value in placeholders or (is_root and value == NOT_SUPPORTED and pos in _ROOT_NOT_SUPPORTED_POS):
        return
    if (len(value) == 25 and value[19:] == "+00:00" and value[10] == "T" and value[4] == value[7] == "-"
            and value[13] == value[16] == ":" and value.isascii()):
        # The form AWS writes, checked by position (a regex costs 10x fromisoformat here):
        # with the separators fixed, fromisoformat accepts only ASCII digits between them.
        try:
            dates[value] = _fromisoformat(value)
            return
        except ValueError:
            pass  # e.g. month 13: the message comes from _date
    row[pos] = _date(value, pos, placeholders, line, dates, spellings)


def _check_row(row: list[str], line: int, is_root: bool, dates: dict[str, datetime],
               spellings: dict[str, str]) -> None:
    """Check and normalise ``row`` (values in REPORT_COLUMNS order) in place. The common
    case (booleans as AWS writes them, dates seen before or placeholders) stays inline."""
    if not _TRUE_FALSE.issuperset(_bools(row)):
        for pos in _BOOL_POS:
            value = row[pos]
            if value not in _TRUE_FALSE:
                lowered = value.lower()
                if lowered in _TRUE_FALSE:
                    row[pos] = lowered
                elif not (is_root and value == NOT_SUPPORTED and pos in _ROOT_NOT_SUPPORTED_POS):
                    raise ReportFormatError(f"{_shorten(value)} is not true or false", line=line,
                                            column=REPORT_COLUMNS[pos])
    for pos in _DATE_ONLY_POS:  # no placeholder allowed
        if row[pos] not in dates:
            _new_date(row, pos, line, is_root, dates, spellings)
    for pos in _DATE_OR_NA_POS:
        value = row[pos]
        if value != NA and value not in dates:
            _new_date(row, pos, line, is_root, dates, spellings)
    if ((row[_K1_ACTIVE] == "true" and row[_K1_ROTATED] == NA) or (row[_K2_ACTIVE] == "true" and row[_K2_ROTATED] == NA)
            or (row[_C1_ACTIVE] == "true" and row[_C1_ROTATED] == NA)
            or (row[_C2_ACTIVE] == "true" and row[_C2_ROTATED] == NA)):
        for active, rotated, column, label in _ACTIVE_ROTATED_POS:
            if row[active] == "true" and row[rotated] == NA:
                raise ReportFormatError(f"an active {label} has no date", line=line, column=column)
    if not is_root and row[_PASSWORD_ENABLED] == "true":
        if row[_PASSWORD_LAST_USED] == NA:
            raise ReportFormatError("a user with a password has N/A (no password) here", line=line,
                                    column="password_last_used")
        if row[_PASSWORD_LAST_CHANGED] == NA:
            raise ReportFormatError("a user with a password has no password_last_changed date", line=line,
                                    column="password_last_changed")


_PASSWORD_ENABLED, _PASSWORD_LAST_USED, _PASSWORD_LAST_CHANGED = (
    COL["password_enabled"], COL["password_last_used"], COL["password_last_changed"])
_K1_ACTIVE, _K1_ROTATED, _K2_ACTIVE, _K2_ROTATED, _C1_ACTIVE, _C1_ROTATED, _C2_ACTIVE, _C2_ROTATED = (
    COL[f"{p}_{c}"] for p in ("access_key_1", "access_key_2", "cert_1", "cert_2") for c in ("active", "last_rotated"))
_DATE_PLACEHOLDERS = dict(_DATE_POS)
# Date columns in the order they are checked: those without a placeholder, those whose only
# placeholder is N/A (one comparison inline), then the rest (password_last_used).
_DATE_ONLY_POS = tuple(pos for pos, p in _DATE_POS if not p)
_DATE_OR_NA_POS = tuple(pos for pos, p in _DATE_POS if p)


def parse_report(data: bytes | str) -> CredentialReport:
    """Read and validate an IAM credential report (CSV as AWS writes it). Raises
    ReportFormatError for anything that cannot be analysed without guessing."""
    lines = _lines(data)
    try:
        with gc_paused():
            return _parse(lines)
    except UnicodeDecodeError:
        raise ReportFormatError(_NOT_UTF8) from None


def _parse(lines: Iterable[str]) -> CredentialReport:
    reader = csv.reader(lines)
    records: list[list[str]] = []
    line_numbers: list[int] = []
    warnings: list[str] = []
    dates: dict[str, datetime] = {}
    spellings: dict[str, str] = {}  # other spellings of a date (Z, offsets) -> normal form
    seen: set[str] = set()
    try:
        header = next((f for f in reader if not _blank(f)), None)
        if header is None:
            raise ReportFormatError("The credential report is empty.")
        header_line = reader.line_num
        positions, extra = _column_index(header, header_line)
        width = len(header)
        pick = None if positions == list(range(len(REPORT_COLUMNS))) else operator.itemgetter(*positions)
        exact = pick is None and width == len(REPORT_COLUMNS)  # AWS's own layout: rows used as read
        pending: tuple[int, list[str]] | None = None  # a short row: which error depends on what follows
        for fields in reader:
            if pending is not None:
                if _blank(fields):
                    continue
                raise ReportFormatError(f"The row has {len(pending[1])} fields, the header has {width}.",
                                        line=pending[0])
            line = reader.line_num
            if len(fields) != width:
                if _blank(fields):
                    continue
                if len(fields) < width and records:
                    pending = (line, fields)
                    continue
                raise ReportFormatError(f"The row has {len(fields)} fields, the header has {width}.", line=line)
            row = fields if exact else fields[:len(REPORT_COLUMNS)] if pick is None else list(pick(fields))
            number = len(records)
            user = row[0]
            if number == 0:
                if user != ROOT_USER:
                    raise ReportFormatError(f"The first row must be {ROOT_USER}, found {_shorten(user)}.",
                                            line=line, column="user")
                _check_root_arn(row[1], line, warnings)
            elif user == ROOT_USER:
                raise ReportFormatError(f"A second {ROOT_USER} row.", line=line, column="user")
            elif not user:
                raise ReportFormatError("The user name is empty.", line=line, column="user")
            elif user in seen:
                raise ReportFormatError(f"User {_shorten(user)} appears twice.", line=line, column="user")
            seen.add(user)
            _check_row(row, line, number == 0, dates, spellings)
            records.append(row)
            line_numbers.append(line)
    except csv.Error as err:
        raise ReportFormatError(f"Not a valid CSV file: {err}.", line=reader.line_num + 1) from None
    if pending is not None:  # the last row ends early (a cut download): the whole input is unreadable
        line, fields = pending
        raise ReportFormatError(f"The last row is truncated ({len(fields)} of {width} fields); the report is "
                                "incomplete.", line=line, column=header[len(fields)].strip() or None)
    if not records:
        raise ReportFormatError(
            f"The credential report has a header but no rows; AWS always writes the {ROOT_USER} row.",
            line=header_line)
    return CredentialReport(records, line_numbers, dates, extra, warnings)
