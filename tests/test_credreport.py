"""Credential report: parsing, validation, analysis, findings and the user table."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthetic import generate_synthetic_report
from wizard.credreport import (
    NA,
    NO_INFORMATION,
    NOT_SUPPORTED,
    REPORT_COLUMNS,
    ROOT_USER,
    Analysis,
    CredentialReport,
    analyse,
    format_report_csv,
    parse_report,
    strict_failures,
    summary_text,
    to_audit_json,
    user_table,
)
from wizard.credreport.csvformat import _DATE_RE
from wizard.errors import InputError, ReportFormatError
from wizard.rules import Finding

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=timezone.utc)
ACCOUNT = "123456789012"
DAY = timedelta(days=1)


def at(delta: timedelta) -> str:
    """The report stamp of NOW minus ``delta``."""
    return (NOW - delta).isoformat()


def user_row(name: str, path: str = "", **values: str) -> dict[str, str]:
    row = dict.fromkeys(REPORT_COLUMNS, NA)
    row.update(user=name, arn=f"arn:aws:iam::{ACCOUNT}:user/{path}{name}", user_creation_time=at(1000 * DAY),
               password_enabled="false", mfa_active="false", access_key_1_active="false",
               access_key_2_active="false", cert_1_active="false", cert_2_active="false")
    row.update(values)
    return row


def root_row(**values: str) -> dict[str, str]:
    row = user_row(ROOT_USER, password_enabled=NOT_SUPPORTED, password_last_changed=NOT_SUPPORTED,
                   password_next_rotation=NOT_SUPPORTED, password_last_used=NO_INFORMATION, mfa_active="true")
    row["arn"] = f"arn:aws:iam::{ACCOUNT}:root"
    row.update(values)
    return row


def console(name: str, used: timedelta | None, changed: timedelta = 400 * DAY, **values: str) -> dict[str, str]:
    """An IAM user with a console password last used ``used`` ago (None: never)."""
    return user_row(name, **{"password_enabled": "true", "password_last_changed": at(changed),
                             "password_last_used": NO_INFORMATION if used is None else at(used), **values})


def key(n: int, rotated: timedelta, used: timedelta | None, active: bool = True,
        region: str = "us-east-1", service: str = "iam") -> dict[str, str]:
    """Column values of access key ``n``."""
    p = f"access_key_{n}_"
    values = {p + "active": "true" if active else "false", p + "last_rotated": at(rotated)}
    if used is not None:
        values.update({p + "last_used_date": at(used), p + "last_used_region": region,
                       p + "last_used_service": service})
    return values


def report_of(*users: dict[str, str], root: dict[str, str] | None = None) -> CredentialReport:
    return parse_report(format_report_csv([root or root_row(), *users]))


def facts_of(*users: dict[str, str], root: dict[str, str] | None = None, now: datetime = NOW) -> Analysis:
    return analyse(report_of(*users, root=root), now)


def analysis_of(*users: dict[str, str], root: dict[str, str] | None = None, now: datetime = NOW) -> dict:
    """The audit JSON of a report of ``users``."""
    return to_audit_json(facts_of(*users, root=root, now=now))


def findings(analysis: Analysis) -> list[Finding]:
    return list(analysis.findings)


def csv_text(*users: dict[str, str]) -> str:
    return format_report_csv([root_row(), *users])


def format_error(data: bytes | str) -> ReportFormatError:
    with pytest.raises(ReportFormatError) as caught:
        parse_report(data)
    return caught.value


# --- parsing -------------------------------------------------------------------------

def test_parse_keeps_rows_in_order_with_line_numbers():
    report = report_of(user_row("alice"), user_row("bob"))
    assert [r["user"] for r in report.rows] == [ROOT_USER, "alice", "bob"]
    assert report.root is report.rows[0]
    assert [r["user"] for r in report.users] == ["alice", "bob"]
    assert report.line_numbers == [2, 3, 4]
    assert report.warnings == [] and report.extra_columns == []
    assert report.account_id == ACCOUNT


def test_bom_and_crlf_parse_like_plain_text():
    text = csv_text(console("alice", 3 * DAY))
    plain = parse_report(text)
    for variant in (b"\xef\xbb\xbf" + text.encode(), "\ufeff" + text, text.replace("\n", "\r\n").encode()):
        parsed = parse_report(variant)
        assert parsed.rows == plain.rows
        assert parsed.line_numbers == plain.line_numbers


def test_dates_are_normalised_to_utc_offset_form():
    text = csv_text(user_row("alice", password_last_used="2026-11-23T18:02:11Z"),
                    user_row("bob", password_last_used="2026-11-23T20:02:11+02:00"))
    rows = parse_report(text).users
    assert rows[0]["password_last_used"] == rows[1]["password_last_used"] == "2026-11-23T18:02:11+00:00"


@pytest.mark.parametrize("value", ["2026-11-23T18:02:11", "2026-13-01T00:00:00+00:00", "yesterday",
                                   "2026-11-23", "2026-11-23T18:02:11.5+00:00", "２０２６-11-23T18:02:11Z"])
def test_unparseable_date_names_line_and_column(value):
    err = format_error(csv_text(user_row("alice"), user_row("bob", **{"access_key_1_last_rotated": value})))
    assert (err.line, err.column) == (4, "access_key_1_last_rotated")
    assert "line 4" in str(err) and "access_key_1_last_rotated" in str(err)


def test_booleans_are_case_insensitive_and_normalised():
    row = parse_report(csv_text(user_row("alice", mfa_active="TRUE", password_enabled="False"))).users[0]
    assert (row["mfa_active"], row["password_enabled"]) == ("true", "false")
    err = format_error(csv_text(user_row("alice", mfa_active="yes")))
    assert (err.line, err.column) == (3, "mfa_active")


def test_not_supported_only_on_root_password_columns():
    assert parse_report(csv_text()).root["password_enabled"] == NOT_SUPPORTED
    assert format_error(csv_text(user_row("alice", password_enabled=NOT_SUPPORTED))).column == "password_enabled"
    with pytest.raises(ReportFormatError) as caught:
        report_of(root=root_row(mfa_active=NOT_SUPPORTED))
    assert caught.value.column == "mfa_active"


@pytest.mark.parametrize("enabled", ["true", "false", "TRUE"])
def test_root_password_enabled_may_be_boolean(enabled):
    report = report_of(root=root_row(password_enabled=enabled, password_last_used=at(DAY)))
    assert report.root["password_enabled"] == enabled.lower()


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"\xff\xfe\x00\x00garbage",
    "hello world\nthis is not a report\n",
    "a,b,c\n1,2,3\n",
    "{\"user\": \"alice\"}",
])
def test_not_a_report(data):
    assert "not" in str(format_error(data)).lower()


@pytest.mark.parametrize("data", [b"", "", " \n\n", "\ufeff"])
def test_empty_report(data):
    assert "empty" in str(format_error(data))


def test_header_only():
    err = format_error(",".join(REPORT_COLUMNS) + "\n")
    assert ROOT_USER in str(err) and err.line == 1


def test_root_row_must_be_first():
    text = format_report_csv([user_row("alice"), root_row()])
    err = format_error(text)
    assert (err.line, err.column) == (2, "user") and ROOT_USER in str(err)
    assert format_error(format_report_csv([user_row("alice")])).line == 2
    assert format_error(format_report_csv([root_row(), user_row("a"), root_row()])).line == 4


def test_root_arn_must_carry_the_account():
    with pytest.raises(ReportFormatError) as caught:
        report_of(root=root_row(arn="arn:aws:iam::12345:root"))
    assert caught.value.column == "arn"


def test_duplicate_user_is_an_error():
    assert format_error(csv_text(user_row("alice"), user_row("alice"))).line == 4


def test_truncated_last_line_makes_the_whole_report_unreadable():
    text = csv_text(user_row("alice"), console("bob", None))
    cut = text[: text.index("bob") + 60]  # a console user without MFA, cut after 60 characters
    err = format_error(cut)
    assert err.line == 4 and err.column == "password_enabled" and "truncated (3 of 22 fields)" in str(err)
    assert format_error(text[: text.rindex(",N/A,false")]).column == "cert_1_last_rotated"  # bob loses 3 fields


def test_short_line_in_the_middle_is_an_error():
    lines = csv_text(user_row("alice"), user_row("bob")).splitlines()
    lines[2] = lines[2].rsplit(",", 3)[0]
    assert format_error("\n".join(lines)).line == 3


def test_truncated_root_as_only_row_is_an_error():
    text = csv_text()
    assert format_error(text[: text.index(",false,N/A")]).line == 2


def test_missing_column_is_named():
    rows = [{k: v for k, v in r.items() if k != "mfa_active"} for r in (root_row(), user_row("alice"))]
    header = [c for c in REPORT_COLUMNS if c != "mfa_active"]
    text = "\n".join(",".join(r[c] for c in header) for r in [dict(zip(header, header)), *rows])
    err = format_error(text)
    assert err.column == "mfa_active" and "mfa_active" in str(err)


def test_extra_columns_are_ignored_and_columns_found_by_name():
    header = ["note", *reversed(REPORT_COLUMNS), "tags"]
    rows = [root_row(), console("alice", 3 * DAY)]
    lines = [",".join(header)] + [",".join(["x", *(r[c] for c in reversed(REPORT_COLUMNS)), "y"]) for r in rows]
    report = parse_report("\n".join(lines) + "\n")
    assert report.extra_columns == ["note", "tags"]
    assert report.users[0] == console("alice", 3 * DAY)
    assert "note" not in report.users[0]


def test_active_key_without_a_date_is_an_error():
    err = format_error(csv_text(user_row("alice", access_key_2_active="true")))
    assert err.column == "access_key_2_last_rotated"


def test_console_user_with_na_password_last_used_is_an_error():
    err = format_error(csv_text(console("alice", DAY, password_last_used=NA)))
    assert err.column == "password_last_used"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400)))
def test_random_input_returns_or_raises_report_errors(data):
    try:
        parse_report(data)
    except InputError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_truncation_errs_or_keeps_a_prefix(data):
    text = generate_synthetic_report(10, NOW, seed=data.draw(st.integers(0, 3)))
    full = parse_report(text).rows
    cut = data.draw(st.integers(0, len(text)))
    try:
        rows = parse_report(text[:cut]).rows
    except ReportFormatError:
        return
    assert rows == full[: len(rows)]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_corrupting_one_field_errs_or_reads_what_was_written(data):
    rows = [root_row(), console("alice", 10 * DAY, **key(1, 100 * DAY, 2 * DAY))]
    row = data.draw(st.sampled_from(rows))
    column = data.draw(st.sampled_from([c for c in REPORT_COLUMNS[2:] if not c.endswith(("region", "service"))]))
    row[column] = data.draw(st.text(alphabet="0123456789-:+TZNA/_truefalsno", max_size=30))
    try:
        parsed = parse_report(format_report_csv(rows)).rows
    except ReportFormatError as err:
        assert err.column is not None and err.line is not None
        return
    value = parsed[rows.index(row)][column]
    written = row[column]
    if value in (written, written.lower()):  # placeholders as written, booleans lower-cased
        return
    assert datetime.fromisoformat(value) == datetime.fromisoformat(written)  # a date, normalised


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from("0123456789-:T+Z ٣a."), min_size=25, max_size=25))
def test_aws_date_form_is_checked_as_strictly_as_the_pattern(chars):
    """The fast path for AWS's own date form accepts exactly what the strict pattern
    (and a real calendar) accepts."""
    value = "".join(chars)
    for i, c in ((4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":")):  # mostly the right shape
        value = value[:i] + c + value[i + 1:] if chars[0] != "Z" else value
    value = value[:19] + "+00:00"
    try:
        parsed = parse_report(csv_text(user_row("alice", password_last_used=value))).users[0]
    except ReportFormatError:
        accepted = False
    else:
        accepted = parsed["password_last_used"] == value
    try:
        datetime.fromisoformat(value)
        valid = _DATE_RE.fullmatch(value) is not None
    except ValueError:
        valid = False
    assert accepted == valid


# --- analysis ------------------------------------------------------------------------

ANALYSIS_KEYS = {
    "account_id", "user_count", "root", "console_users", "console_users_without_mfa", "users_with_mfa",
    "password_never_used", "password_unused_over_90_days", "access_keys_active_count",
    "access_keys_older_than_90_days", "access_keys_never_used", "inactive_access_keys",
    "active_signing_certificates", "users_with_two_active_keys", "unused_credentials_over_45_days",
    "findings",
}
ROOT_KEYS = {"mfa_active", "access_keys_active", "access_keys_present", "access_keys", "password_last_used",
             "password_last_used_raw", "password_last_used_days_ago", "signing_certs_active",
             "password_enabled", "credentials_removed", "last_used"}


def test_analysis_shape_and_json():
    result = to_audit_json(analyse(parse_report(generate_synthetic_report(40, NOW)), NOW))
    assert set(result) == ANALYSIS_KEYS
    assert set(result["root"]) == ROOT_KEYS
    assert json.loads(json.dumps(result)) == result
    assert result["account_id"] and len(result["account_id"]) == 12
    assert result["user_count"] == 40


def test_account_id_and_user_count():
    result = analysis_of(user_row("a"), user_row("b"), user_row("c"))
    assert (result["account_id"], result["user_count"]) == (ACCOUNT, 3)


def test_naive_now_is_refused():
    with pytest.raises(InputError):
        analysis_of(now=datetime(2026, 11, 24))


def test_other_time_zone_for_now_is_the_same_instant():
    users = [console("a", 45 * DAY + timedelta(seconds=1))]
    later = NOW.astimezone(timezone(timedelta(hours=-5)))
    assert analysis_of(*users, now=later) == analysis_of(*users)


def test_key_age_boundary_at_90_days():
    result = analysis_of(
        user_row("exact", **key(1, 90 * DAY, DAY)),
        user_row("over", **key(1, 90 * DAY + timedelta(seconds=1), DAY)),
        user_row("under", **key(1, 90 * DAY - timedelta(seconds=1), DAY)),
    )
    assert result["access_keys_older_than_90_days"] == [
        {"user": "over", "key": 1, "last_rotated": at(90 * DAY + timedelta(seconds=1)), "age_days": 90}]
    assert result["access_keys_active_count"] == 3


def test_days_are_floored():
    result = analysis_of(user_row("a", **key(2, 100 * DAY - timedelta(seconds=1), None)))
    assert result["access_keys_older_than_90_days"][0]["age_days"] == 99
    assert result["unused_credentials_over_45_days"][0]["days"] == 99


def test_password_unused_boundary_at_90_days_and_never_used_excluded():
    result = analysis_of(console("exact", 90 * DAY), console("over", 90 * DAY + timedelta(seconds=1)),
                         console("never", None))
    assert result["password_unused_over_90_days"] == [
        {"user": "over", "password_last_used": at(90 * DAY + timedelta(seconds=1)), "days": 90}]
    assert result["password_never_used"] == ["never"]


def test_unused_45_day_boundary_for_passwords_and_keys():
    just = timedelta(seconds=1)
    result = analysis_of(
        console("p-exact", 45 * DAY), console("p-over", 45 * DAY + just),
        user_row("k-exact", **key(1, 200 * DAY, 45 * DAY)), user_row("k-over", **key(2, 200 * DAY, 45 * DAY + just)),
    )
    assert result["unused_credentials_over_45_days"] == [
        {"user": "p-over", "credential": "password", "last_used": at(45 * DAY + just),
         "since": at(45 * DAY + just), "days": 45},
        {"user": "k-over", "credential": "access_key_2", "last_used": at(45 * DAY + just),
         "since": at(45 * DAY + just), "days": 45},
    ]


def test_never_used_credentials_are_measured_from_creation():
    result = analysis_of(
        console("p-new", None, changed=45 * DAY), console("p-old", None, changed=45 * DAY + timedelta(seconds=1)),
        user_row("k-new", **key(1, 45 * DAY, None)), user_row("k-old", **key(1, 46 * DAY, None)),
    )
    assert result["unused_credentials_over_45_days"] == [
        {"user": "p-old", "credential": "password", "last_used": None,
         "since": at(45 * DAY + timedelta(seconds=1)), "days": 45},
        {"user": "k-old", "credential": "access_key_1", "last_used": None, "since": at(46 * DAY), "days": 46},
    ]
    assert result["access_keys_never_used"] == [
        {"user": "k-new", "key": 1, "last_rotated": at(45 * DAY)},
        {"user": "k-old", "key": 1, "last_rotated": at(46 * DAY)}]
    assert result["password_never_used"] == ["p-new", "p-old"]


def test_inactive_keys_are_never_old_never_used_or_unused():
    result = analysis_of(
        user_row("old-unused", **key(1, 400 * DAY, 300 * DAY, active=False)),
        user_row("never", **key(2, 400 * DAY, None, active=False)),
    )
    assert result["inactive_access_keys"] == [{"user": "old-unused", "key": 1}, {"user": "never", "key": 2}]
    for name in ("access_keys_older_than_90_days", "access_keys_never_used", "unused_credentials_over_45_days",
                 "users_with_two_active_keys"):
        assert result[name] == []
    assert result["access_keys_active_count"] == 0


def test_key_used_on_a_non_regional_service_counts_as_used():
    result = analysis_of(user_row("s3user", **key(1, 10 * DAY, 2 * DAY, region=NA, service="s3")))
    assert result["access_keys_never_used"] == []
    assert result["unused_credentials_over_45_days"] == []
    old = analysis_of(user_row("s3user", **key(1, 100 * DAY, 50 * DAY, region=NA, service="s3")))
    assert old["unused_credentials_over_45_days"][0]["since"] == at(50 * DAY)


def test_removed_password_with_a_last_used_date_is_not_a_console_user():
    result = analysis_of(user_row("gone", password_last_used=at(300 * DAY)))
    for name in ("console_users", "console_users_without_mfa", "password_never_used",
                 "password_unused_over_90_days", "unused_credentials_over_45_days"):
        assert result[name] == []


def test_no_information_means_a_password_never_used_na_means_none():
    result = analysis_of(console("fresh", None, changed=DAY), user_row("nopass"))
    assert result["console_users"] == ["fresh"]
    assert result["password_never_used"] == ["fresh"]
    assert result["unused_credentials_over_45_days"] == []


def test_name_comes_from_the_user_column_not_the_arn():
    row = user_row("svc-backup", path="service/", **key(1, 100 * DAY, DAY))
    row["arn"] = f"arn:aws:iam::{ACCOUNT}:user/service/other-name"
    result = analysis_of(row)
    assert result["access_keys_older_than_90_days"][0]["user"] == "svc-backup"


def test_mfa_console_two_keys_and_certificates():
    result = analysis_of(
        console("c-mfa", DAY, mfa_active="true"),
        console("c-nomfa", DAY),
        user_row("api-mfa", mfa_active="true", **key(1, DAY, DAY), **key(2, DAY, DAY)),
        user_row("one-of-two", **key(1, DAY, DAY), **key(2, DAY, DAY, active=False)),
        user_row("certs", cert_1_active="false", cert_1_last_rotated=at(DAY), cert_2_active="true",
                 cert_2_last_rotated=at(DAY)),
    )
    assert result["console_users"] == ["c-mfa", "c-nomfa"]
    assert result["console_users_without_mfa"] == ["c-nomfa"]
    assert result["users_with_mfa"] == ["c-mfa", "api-mfa"]
    assert result["users_with_two_active_keys"] == ["api-mfa"]
    assert result["access_keys_active_count"] == 3
    assert result["active_signing_certificates"] == [{"user": "certs", "cert": 2}]


def test_root_fields():
    root = root_row(mfa_active="false", password_last_used=at(10 * DAY + timedelta(hours=23)),
                    cert_1_active="true", cert_1_last_rotated=at(DAY),
                    **key(2, 90 * DAY + timedelta(seconds=1), None, active=False),
                    **key(1, 30 * DAY, 3 * DAY, region=NA, service="s3"))
    result = analysis_of(root=root)
    assert result["user_count"] == 0
    assert result["root"] == {
        "mfa_active": False,
        "access_keys_active": 1,
        "access_keys_present": 2,
        "access_keys": [
            {"key": 1, "active": True, "last_rotated": at(30 * DAY), "age_days": 30, "older_than_90_days": False,
             "last_used_date": at(3 * DAY), "last_used_region": NA, "last_used_service": "s3"},
            {"key": 2, "active": False, "last_rotated": at(90 * DAY + timedelta(seconds=1)), "age_days": 90,
             "older_than_90_days": True, "last_used_date": NA, "last_used_region": NA, "last_used_service": NA},
        ],
        "password_last_used": at(10 * DAY + timedelta(hours=23)),
        "password_last_used_raw": at(10 * DAY + timedelta(hours=23)),
        "password_last_used_days_ago": 10,
        "signing_certs_active": 1,
        "password_enabled": None,
        "credentials_removed": False,
        "last_used": {"credential": "access_key_1", "at": at(3 * DAY), "days_ago": 3, "service": "s3",
                      "region": NA},
    }
    assert result["inactive_access_keys"] == [] and result["access_keys_active_count"] == 0


@pytest.mark.parametrize("raw", [NO_INFORMATION, NA])
def test_root_password_never_used(raw):
    result = analysis_of(root=root_row(password_last_used=raw))["root"]
    assert (result["password_last_used"], result["password_last_used_raw"],
            result["password_last_used_days_ago"]) == (None, raw, None)


def test_z_dates_come_out_normalised():
    result = analysis_of(user_row("a", **{**key(1, DAY, None), "access_key_1_last_rotated": "2026-01-02T03:04:05Z"}))
    assert result["access_keys_older_than_90_days"][0]["last_rotated"] == "2026-01-02T03:04:05+00:00"


def test_lists_follow_report_order():
    names = ["zed", "amy", "mo"]
    result = analysis_of(*(console(n, None) for n in names))
    assert result["console_users"] == result["password_never_used"] == names


# --- strict, findings, summary -------------------------------------------------------

def test_strict_failures():
    assert strict_failures(facts_of(console("ok", DAY, mfa_active="true"))) == []
    reasons = strict_failures(facts_of(
        console("bad", DAY), root=root_row(mfa_active="false", **key(1, DAY, None, active=False))))
    assert len(reasons) == 3
    assert "MFA" in reasons[0] and "access key" in reasons[1] and "bad" in reasons[2]


def test_clean_account_has_no_findings():
    clean = facts_of(console("ok", DAY, changed=10 * DAY, mfa_active="true"), user_row("api", **key(1, DAY, DAY)))
    assert findings(clean) == []
    assert "No findings." in summary_text(clean)


def test_findings_are_severity_ordered_root_first_and_point_at_steps():
    result = facts_of(
        console("nomfa", 100 * DAY),
        console("fresh", None, changed=DAY),
        user_row("api", **key(1, 200 * DAY, None), **key(2, DAY, DAY)),
        user_row("off", cert_1_active="true", cert_1_last_rotated=at(DAY), **key(1, DAY, DAY, active=False)),
        root=root_row(mfa_active="false", password_last_used=at(2 * DAY), cert_1_active="true",
                      cert_1_last_rotated=at(DAY), **key(1, 10 * DAY, DAY)),
    )
    found = findings(result)
    assert all(isinstance(f, Finding) and f.why and f.fix and f.detail for f in found)
    ranks = ["critical", "high", "medium", "low"]
    assert [ranks.index(f.severity) for f in found] == sorted(ranks.index(f.severity) for f in found)
    by_title = {f.title: f for f in found}
    assert [f.title for f in found[:2]] == ["Root user has no MFA", "Root user has an active access key"]
    assert by_title["Root user has no MFA"].step == "root_mfa"
    assert by_title["Root user has an active access key"].step == "root_access_keys"
    assert by_title["Root user used recently"].step == "root_usage"
    assert by_title["Root user has an active signing certificate"].severity == "high"
    assert by_title["Console users without MFA"].step == "iam_user_mfa"
    assert "nomfa" in by_title["Console users without MFA"].detail
    unused_90 = by_title["Console passwords unused for more than 90 days"]
    assert unused_90.step is None and "delete-login-profile" in unused_90.fix  # not a maximum password age
    assert "maximum password age" not in unused_90.fix
    rotate = by_title["Active access keys older than 90 days"]
    assert rotate.step is None and "aws iam" in rotate.fix and "api key 1 (200 d)" in rotate.detail
    assert "off key 1" in by_title["Inactive access keys"].detail
    assert "fresh" in by_title["Console passwords never used"].detail
    assert by_title["Users with two active access keys"].detail.endswith("api")
    text = summary_text(result)
    assert ACCOUNT in text and "MFA OFF" in text
    assert all(f.title in text for f in found)


def test_inactive_root_key_is_high_not_critical():
    found = findings(facts_of(root=root_row(**key(1, DAY, None, active=False))))
    assert [(f.severity, f.step) for f in found] == [("high", "root_access_keys")]


def test_long_lists_are_shortened_in_details():
    result = facts_of(*(console(f"u{i}", DAY) for i in range(30)))
    detail = findings(result)[0].detail
    assert detail.startswith("30: u0, u1") and "and 20 more" in detail


# --- root without credentials, root use by key, redacted reports (issue 15) ------------

def test_root_without_credentials_is_not_a_missing_mfa():
    removed = facts_of(root=root_row(password_enabled="false", mfa_active="false", password_last_used=NA))
    assert removed.root.credentials_removed and removed.root.password_enabled is False
    assert "root-mfa-missing" not in [f.id for f in removed.findings]
    assert strict_failures(removed) == []
    doc = to_audit_json(removed)["root"]
    assert (doc["password_enabled"], doc["credentials_removed"], doc["last_used"]) == (False, True, None)
    # any credential left, even an inactive key or certificate, and root MFA matters again
    for left in (key(1, DAY, None, active=False), {"cert_2_last_rotated": at(DAY)}, {"password_enabled": "true"}):
        kept = facts_of(root=root_row(**{"password_enabled": "false", "mfa_active": "false",
                                        "password_last_used": NA, **left}))
        assert not kept.root.credentials_removed
        assert "root-mfa-missing" in [f.id for f in kept.findings] and strict_failures(kept)
    # not_supported (older reports) says nothing about the password: never "removed"
    unknown = facts_of(root=root_row(mfa_active="false"))
    assert unknown.root.password_enabled is None and not unknown.root.credentials_removed
    assert to_audit_json(unknown)["root"]["password_enabled"] is None


def test_root_use_is_the_latest_of_password_and_both_keys():
    root = root_row(password_last_used=at(100 * DAY), **key(1, 400 * DAY, 200 * DAY),
                    **key(2, 300 * DAY, 5 * DAY, active=False, region="eu-west-1", service="s3"))
    result = facts_of(root=root)
    use = result.root.last_used
    assert (use.credential, use.at, use.days_ago, use.service, use.region) == (
        "access_key_2", at(5 * DAY), 5, "s3", "eu-west-1")
    [used] = [f for f in result.findings if f.id == "root-used-recently"]
    assert used.subjects == ("<root_account>:access_key_2",)
    assert used.detail == f"Root access key 2 last used {at(5 * DAY)} (5 d ago) by s3 in eu-west-1."
    assert to_audit_json(result)["root"]["last_used"] == {
        "credential": "access_key_2", "at": at(5 * DAY), "days_ago": 5, "service": "s3", "region": "eu-west-1"}
    assert "root last used: access key 2" in summary_text(result)
    # the password when it is the latest; nothing used: null
    pw = facts_of(root=root_row(password_last_used=at(2 * DAY), **key(1, 400 * DAY, 20 * DAY)))
    assert pw.root.last_used.credential == "password"
    assert [f.detail for f in pw.findings if f.id == "root-used-recently"] == [
        f"Root password last used {at(2 * DAY)} (2 d ago)."]
    assert facts_of().root.last_used is None and to_audit_json(facts_of())["root"]["last_used"] is None
    old = facts_of(root=root_row(**key(1, 400 * DAY, 100 * DAY)))
    assert old.root.last_used.days_ago == 100 and "root-used-recently" not in [f.id for f in old.findings]


@pytest.mark.parametrize("account", ["test", "XXXXXXXXXXXX", "xxxx-xxxx-xxxx"])
def test_redacted_account_is_analysed_with_one_warning(account):
    report = report_of(console("alice", DAY), root=root_row(arn=f"arn:aws:iam::{account}:root"))
    assert report.account_id == account
    assert len(report.warnings) == 1 and "redacted" in report.warnings[0] and account in report.warnings[0]
    assert analyse(report, NOW).console_users == ("alice",)


@pytest.mark.parametrize("arn", ["arn:aws:iam::12345:root", "arn:aws:iam::1234567890123:root",
                                 "arn:aws:iam:::root", "arn:aws:iam::a b:root", "arn:aws:iam::x:user/root"])
def test_damaged_root_arn_is_still_an_error(arn):
    with pytest.raises(ReportFormatError) as caught:
        report_of(root=root_row(arn=arn))
    assert caught.value.column == "arn"


# --- user table and synthetic reports ------------------------------------------------

def test_user_table_rows():
    report = report_of(
        console("alice", 3 * DAY, **key(1, 120 * DAY + timedelta(hours=5), 3 * DAY)),
        console("bob", None, **key(2, 10 * DAY, None), **key(1, 50 * DAY, 49 * DAY, active=False)),
        user_row("gone", password_last_used=at(5 * DAY)),
        root=root_row(mfa_active="false", **key(1, DAY, DAY, active=False)),
    )
    rows = user_table(report, NOW)
    assert [r.user for r in rows] == [ROOT_USER, "alice", "bob", "gone"]
    root, alice, bob, gone = rows
    assert (root.console, root.mfa, root.password_last_used) == ("n/a", "no", "never")
    assert root.flags == ["no MFA", "access key", "inactive key"]
    assert (alice.console, alice.mfa, alice.password_last_used) == ("yes", "no", "3 d ago")
    assert (alice.key1, alice.key2) == ("active, 120 d, used 3 d ago", "—")
    assert alice.flags == ["no MFA", "access key", "key >90d"]
    assert (bob.key1, bob.key2) == ("inactive, 50 d, used 49 d ago", "active, 10 d, never used")
    assert bob.password_last_used == "never"
    assert bob.flags == ["no MFA", "access key", "unused >45d", "never used", "inactive key"]
    assert (gone.console, gone.password_last_used, gone.flags) == ("no", "5 d ago", ["no MFA"])
    assert alice.cells[:2] == ("alice", "no MFA, access key, key >90d")  # who, then what is wrong


def user_flags(*users: dict[str, str], root: dict[str, str] | None = None) -> dict[str, list[str]]:
    return {r.user: r.flags for r in user_table(report_of(*users, root=root), NOW)}


@pytest.mark.parametrize(("label", "flagged", "not_flagged"), [
    # issue 17: "access key" matched only the root row
    ("access key", [user_row("active-key", **key(1, DAY, DAY)),
                    user_row("inactive-key", **key(2, DAY, DAY, active=False))],
     [console("password-only", DAY)]),
    ("no MFA", [console("console-no-mfa", DAY), user_row("api-no-mfa", **key(1, DAY, DAY))],
     [console("console-mfa", DAY, mfa_active="true"), user_row("api-mfa", mfa_active="true")]),
    ("key >90d", [user_row("old-active", **key(1, 91 * DAY, DAY))],
     [user_row("young-active", **key(1, 89 * DAY, DAY)),
      user_row("old-inactive", **key(1, 200 * DAY, DAY, active=False))]),
    ("unused >45d", [user_row("key-idle", **key(1, 100 * DAY, 46 * DAY)), console("password-idle", 46 * DAY)],
     [user_row("key-recent", **key(1, 100 * DAY, 44 * DAY)), console("password-recent", 44 * DAY)]),
    ("never used", [user_row("key-never", **key(1, 10 * DAY, None)), console("password-never", None)],
     [user_row("inactive-never", **key(1, 10 * DAY, None, active=False)), console("password-used", DAY)]),
    ("2 keys", [user_row("two-active", **key(1, DAY, DAY), **key(2, DAY, DAY))],
     [user_row("one-active", **key(1, DAY, DAY), **key(2, DAY, DAY, active=False))]),
    ("inactive key", [user_row("inactive", **key(2, DAY, DAY, active=False))],
     [user_row("active", **key(2, DAY, DAY))]),
    ("cert", [user_row("cert-on", cert_1_active="true", cert_1_last_rotated=at(DAY))],
     [user_row("cert-off", cert_1_active="false", cert_1_last_rotated=at(DAY))]),
])
def test_each_flag_matches_what_its_label_says(label, flagged, not_flagged):
    """Issue 17: every flag of the user table (and its filter) holds for exactly the users
    its label describes, IAM users as root."""
    from wizard.credreport.table import FLAG_LABELS

    assert label in FLAG_LABELS
    flags = user_flags(*flagged, *not_flagged)
    assert [u["user"] for u in flagged] == [name for name, tags in flags.items() if label in tags and name != ROOT_USER]
    assert all(label not in flags[u["user"]] for u in not_flagged)


def test_root_row_flags_follow_the_same_labels():
    both = root_row(mfa_active="true", **key(1, 100 * DAY, None), **key(2, DAY, DAY, active=False))
    assert user_flags(root=both)[ROOT_USER] == ["access key", "key >90d", "unused >45d", "never used",
                                                "inactive key"]
    assert user_flags(root=root_row(mfa_active="true"))[ROOT_USER] == []


def test_user_table_shows_a_future_time_as_zero_days_ago():
    (_, row) = user_table(report_of(console("skew", -DAY, **key(1, DAY, -2 * DAY))), NOW)
    assert (row.password_last_used, row.key1) == ("0 d ago", "active, 1 d, used 0 d ago")


def test_user_table_matches_analysis_on_a_large_report():
    report = parse_report(generate_synthetic_report(2000, NOW, seed=7))
    result = to_audit_json(analyse(report, NOW))
    rows = user_table(report, NOW)[1:]
    assert len(rows) == result["user_count"] == 2000
    no_mfa = [r.user for r in rows if "no MFA" in r.flags]
    with_mfa = set(result["users_with_mfa"])
    assert no_mfa == [r.user for r in rows if r.user not in with_mfa]
    assert set(result["console_users_without_mfa"]) <= set(no_mfa)
    keyed = [r.user for r in rows if "access key" in r.flags]
    assert keyed == [r.user for r in rows if r.key1 != "—" or r.key2 != "—"]
    old = [r.user for r in rows if "key >90d" in r.flags]
    assert old == list(dict.fromkeys(e["user"] for e in result["access_keys_older_than_90_days"]))
    unused = [r.user for r in rows if "unused >45d" in r.flags]
    assert unused == list(dict.fromkeys(e["user"] for e in result["unused_credentials_over_45_days"]))
    # the cached facts follow the clock
    later = to_audit_json(analyse(report, NOW + 400 * DAY))
    assert len(later["access_keys_older_than_90_days"]) > len(result["access_keys_older_than_90_days"])


def test_synthetic_report_holds_every_kind_of_row():
    text = generate_synthetic_report(8, NOW)
    assert text == generate_synthetic_report(8, NOW) != generate_synthetic_report(8, NOW, seed=1)
    report = parse_report(text)
    result = to_audit_json(analyse(report, NOW))
    assert result["user_count"] == 8
    for name in ("console_users", "console_users_without_mfa", "users_with_mfa", "password_never_used",
                 "access_keys_never_used", "inactive_access_keys", "active_signing_certificates",
                 "users_with_two_active_keys"):
        assert result[name], name
    users = report.users
    assert any(r["password_enabled"] == "false" and r["password_last_used"] not in (NA, NO_INFORMATION)
               for r in users)
    assert any(r["access_key_2_last_used_region"] == NA and r["access_key_2_last_used_date"] != NA for r in users)
    assert any(r["arn"].endswith(f":user/service/{r['user']}") for r in users)
    assert any(r["access_key_1_active"] == "false" and r["access_key_2_active"] == "false" and
               r["access_key_1_last_rotated"] == NA for r in users)
    for row in users:  # a key is never used before it was created
        for n in (1, 2):
            used, rotated = row[f"access_key_{n}_last_used_date"], row[f"access_key_{n}_last_rotated"]
            assert used == NA or used >= rotated


def test_negative_user_count_is_refused():
    with pytest.raises(InputError):
        generate_synthetic_report(-1, NOW)


def test_synthetic_reports_are_not_in_the_runtime_package():
    import wizard
    import wizard.credreport

    assert not hasattr(wizard.credreport, "generate_synthetic_report")
    sources = [p.read_text() for p in Path(wizard.__file__).parent.rglob("*.py")]
    assert not any("def generate_synthetic_report" in s for s in sources)


def test_domain_module_does_not_import_textual():
    code = "import sys, wizard.credreport; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
