"""`rootwizard audit`: offline analysis of a downloaded report, the JSON interface, --now,
--strict, one-line errors for unreadable input, and the live path in the sandbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from synthetic import generate_synthetic_report
from wizard.cli import main
from wizard.credreport import (
    ROOT_USER,
    analyse,
    format_report_csv,
    parse_report,
    to_audit_json,
)

NOW = datetime(2026, 11, 23, 18, 2, 11, tzinfo=UTC)
NOW_TEXT = "2026-11-23T18:02:11Z"


def _row(user: str, arn: str, **values: str) -> dict[str, str]:
    from wizard.credreport import REPORT_COLUMNS

    row = dict.fromkeys(REPORT_COLUMNS, "N/A")
    row.update(user=user, arn=arn, user_creation_time="2020-01-01T00:00:00+00:00", password_enabled="false",
               mfa_active="false", access_key_1_active="false", access_key_2_active="false",
               cert_1_active="false", cert_2_active="false")
    row.update(values)
    return row


def clean_report() -> str:
    """Root with MFA and no keys, one console user with MFA: passes --strict."""
    return format_report_csv([
        _row(ROOT_USER, "arn:aws:iam::123456789012:root", password_enabled="not_supported",
             password_last_changed="not_supported", password_next_rotation="not_supported",
             password_last_used="2026-01-01T00:00:00+00:00", mfa_active="true"),
        _row("ana", "arn:aws:iam::123456789012:user/ana", password_enabled="true", mfa_active="true",
             password_last_used="2026-11-20T00:00:00+00:00", password_last_changed="2026-06-01T00:00:00+00:00"),
    ])


@pytest.fixture
def report_file(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text(generate_synthetic_report(20, NOW, seed=3))
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["audit", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_is_exactly_the_analysis(capsys, report_file):
    code, out, err = run(capsys, "--report", str(report_file), "--now", NOW_TEXT, "--json")
    assert code == 0
    doc = json.loads(out)
    expected = to_audit_json(analyse(parse_report(report_file.read_bytes()), NOW))
    assert doc == json.loads(json.dumps(expected))
    assert set(doc) == set(expected)  # no keys added
    assert err == ""


def test_now_changes_the_facts(capsys, report_file):
    _, early, _ = run(capsys, "--report", str(report_file), "--now", "2026-11-23T18:02:11+00:00", "--json")
    _, late, _ = run(capsys, "--report", str(report_file), "--now", "2027-11-23T19:02:11+01:00", "--json")
    age = json.loads(early)["root"]["password_last_used_days_ago"]
    assert json.loads(late)["root"]["password_last_used_days_ago"] == age + 365


def test_without_now_the_clock_is_current_utc(capsys, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(generate_synthetic_report(3, datetime.now(UTC), seed=1))
    code, out, _ = run(capsys, "--report", str(path), "--json")
    root = json.loads(out)["root"]
    assert code == 0 and 0 <= root["password_last_used_days_ago"] <= 200


@pytest.mark.parametrize("value", ["yesterday", "2026-11-23", "2026-11-23T18:02:11"])
def test_invalid_now_is_exit_2(capsys, report_file, value):
    code, out, err = run(capsys, "--report", str(report_file), "--now", value)
    assert code == 2 and out == ""
    assert err.startswith("rootwizard: invalid --now") and err.count("\n") == 1


def test_strict_fails_on_root_and_console_mfa(capsys, report_file):
    analysis = to_audit_json(analyse(parse_report(report_file.read_bytes()), NOW))
    assert analysis["console_users_without_mfa"]  # the synthetic report has some
    code, out, err = run(capsys, "--report", str(report_file), "--now", NOW_TEXT, "--json", "--strict")
    assert code == 1
    assert json.loads(out) == json.loads(json.dumps(analysis))  # the JSON is still printed
    assert "console user(s) without MFA" in err and "(console-user-without-mfa)" in err
    found = {f["id"]: f for f in json.loads(out)["findings"]}
    assert set(found["console-user-without-mfa"]) == {"id", "severity", "title", "cis", "step", "subjects"}
    assert found["console-user-without-mfa"]["subjects"] == analysis["console_users_without_mfa"]
    assert found["console-user-without-mfa"]["cis"] == {
        "v3.0.0": "1.10", "v4.0.1": "1.10", "v5.0.0": "1.9", "v6.0.0": "2.9", "v7.0.0": "2.10"}


def test_strict_passes_a_clean_report(capsys, tmp_path):
    path = tmp_path / "clean.csv"
    path.write_text(clean_report())
    code, out, err = run(capsys, "--report", str(path), "--now", NOW_TEXT, "--strict")
    assert code == 0 and err == ""
    assert "Root: MFA on; access keys 0 active of 0" in out


def test_strict_fails_on_root_key_alone(capsys, tmp_path):
    text = clean_report().replace(
        "root,2020-01-01T00:00:00+00:00,not_supported,2026-01-01T00:00:00+00:00,not_supported,not_supported,true,"
        "false,N/A",
        "root,2020-01-01T00:00:00+00:00,not_supported,2026-01-01T00:00:00+00:00,not_supported,not_supported,true,"
        "false,2025-01-01T00:00:00+00:00")
    assert "2025-01-01" in text
    path = tmp_path / "key.csv"
    path.write_text(text)
    assert run(capsys, "--report", str(path), "--now", NOW_TEXT)[0] == 0
    code, _, err = run(capsys, "--report", str(path), "--now", NOW_TEXT, "--strict")
    assert code == 1 and "root user has 1 access key" in err


def test_summary_text(capsys, report_file):
    code, out, _ = run(capsys, "--report", str(report_file), "--now", NOW_TEXT)
    assert code == 0
    assert out.startswith(f"Credential report file {report_file}")
    assert "20 IAM user(s)" in out and "Findings:" in out and "[HIGH] Console users without MFA" in out
    assert "    Rule console-user-without-mfa; CIS v5.0.0 1.9, v7.0.0 2.10\n" in out
    assert "    Rule access-key-never-used; CIS v5.0.0 1.10 (not in v7.0.0)\n" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


@pytest.mark.parametrize("content, message", [
    (b"", "The credential report is empty."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "Not a credential report"),
    (b"name,age\nbob,3\n", "the first line is not the report's header"),
    (b"user,arn,user_creation_time\n", "lacks required columns"),
])
def test_unreadable_input_is_one_line_exit_2(capsys, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    code, out, err = run(capsys, "--report", str(path), "--json")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("rootwizard: bad.csv: ") and message in err
    assert "Traceback" not in err


def test_header_only_names_the_line(capsys, tmp_path):
    path = tmp_path / "header.csv"
    path.write_text(clean_report().splitlines()[0] + "\n")
    code, _, err = run(capsys, "--report", str(path))
    assert code == 2 and "header but no rows" in err and "(line 1)" in err


def test_no_root_row_and_bad_date_name_line_and_column(capsys, tmp_path):
    lines = clean_report().splitlines()
    path = tmp_path / "noroot.csv"
    path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    code, _, err = run(capsys, "--report", str(path))
    assert code == 2 and "The first row must be <root_account>" in err and "(line 2, column user)" in err
    path.write_text(clean_report().replace("2026-11-20T00:00:00+00:00", "20/11/2026"))
    code, out, err = run(capsys, "--report", str(path), "--json")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "'20/11/2026' is not a date" in err and "(line 3, column password_last_used)" in err


def test_missing_file_and_directory(capsys, tmp_path):
    code, _, err = run(capsys, "--report", str(tmp_path / "absent.csv"))
    assert code == 2 and err.count("\n") == 1 and "No such file or directory" in err
    code, _, err = run(capsys, "--report", str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and "Cannot read" in err


def test_bom_and_crlf_analyse_a_truncated_last_line_is_unreadable(capsys, tmp_path):
    lines = generate_synthetic_report(5, NOW, seed=2).splitlines()
    path = tmp_path / "cut.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode())
    code, out, err = run(capsys, "--report", str(path), "--now", NOW_TEXT, "--json", "--strict")
    assert code == 1 and json.loads(out)["user_count"] == 5
    lines[-1] = lines[-1][: len(lines[-1]) // 3]  # cut mid-row, as an interrupted download
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode())
    code, out, err = run(capsys, "--report", str(path), "--now", NOW_TEXT, "--json", "--strict")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "The last row is truncated" in err and "(line 7, column " in err


def test_console_user_without_mfa_cut_after_60_characters_fails_even_strict(capsys, tmp_path):
    text = clean_report()
    nomfa = text.splitlines()[2].replace("ana", "bob").replace(",true,N/A,", ",false,N/A,")
    path = tmp_path / "cut.csv"
    path.write_text(text + nomfa[:60])
    code, out, err = run(capsys, "--report", str(path), "--now", NOW_TEXT, "--json", "--strict")
    assert code == 2 and out == "" and "truncated" in err and "(line 4, column " in err


@pytest.mark.parametrize("value", ["", "  "])
def test_empty_report_value_is_bad_input(capsys, value):
    code, out, err = run(capsys, "--report", value, "--json")
    assert code == 2 and out == "" and err.count("\n") == 1 and "--report" in err


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_endless_input_stops_at_the_cap(capsys):
    import time

    t0 = time.monotonic()
    code, out, err = run(capsys, "--report", "/dev/zero", "--json")
    assert code == 2 and out == "" and err.count("\n") == 1 and "not a regular file" in err  # never read
    assert time.monotonic() - t0 < 30


def test_big_file_is_refused_without_reading_it_all(tmp_path):
    from wizard.errors import InputError
    from wizard.report_flow import read_report_file

    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 2000)
    assert len(read_report_file(path, limit=2000)) == 2000
    with pytest.raises(InputError, match="larger than"):
        read_report_file(path, limit=1999)


def test_text_output_shows_control_characters(capsys, tmp_path):
    evil = "eve\x1b]0;OWNED\x07\x1b[2J"
    rows = [_row(ROOT_USER, "arn:aws:iam::123456789012:root", password_enabled="not_supported",
                 password_last_changed="not_supported", password_next_rotation="not_supported",
                 password_last_used="2026-01-01T00:00:00+00:00", mfa_active="true"),
            _row(evil, f"arn:aws:iam::123456789012:user/{evil}", password_enabled="true",
                 password_last_used="no_information", password_last_changed="2026-11-20T00:00:00+00:00")]
    path = tmp_path / "evil.csv"
    path.write_text(format_report_csv(rows))
    code, out, err = run(capsys, "--report", str(path), "--now", NOW_TEXT, "--strict")
    assert code == 1
    assert "\x1b" not in out and "\x07" not in out and "\x1b" not in err
    assert r"eve\x1b]0;OWNED\x07\x1b[2J" in out and r"eve\x1b]0;OWNED\x07\x1b[2J" in err
    code, out, _ = run(capsys, "--report", str(path), "--now", NOW_TEXT, "--json")
    assert json.loads(out)["console_users_without_mfa"] == [evil]  # JSON keeps the value, escaped


_ROOT = Path(__file__).resolve().parents[1]
EXTERNAL = next((d / "shared" / "fixtures" / "external-credential-reports" for d in (_ROOT.parent, _ROOT.parent.parent)
                 if (d / "shared" / "fixtures").is_dir()), _ROOT / "absent")


@pytest.mark.skipif(not (EXTERNAL / "prowler-root-nocreds").is_dir(), reason="shared fixtures absent")
def test_root_without_credentials_passes_strict(capsys):
    case = EXTERNAL / "prowler-root-nocreds"
    now = json.loads((case / "expected.json").read_text())["now"]
    code, out, err = run(capsys, "--report", str(case / "report.csv"), "--now", now, "--json", "--strict")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["root"]["credentials_removed"] is True and doc["root"]["password_enabled"] is False
    assert "root-mfa-missing" not in [f["id"] for f in doc["findings"]]


def test_redacted_report_warns_once_and_keeps_the_id_as_written(capsys, tmp_path):
    path = tmp_path / "redacted.csv"
    path.write_text(clean_report().replace("arn:aws:iam::123456789012:root", "arn:aws:iam::XXXXXXXXXXXX:root"))
    code, out, err = run(capsys, "--report", str(path), "--now", NOW_TEXT, "--json")
    assert code == 0 and json.loads(out)["account_id"] == "XXXXXXXXXXXX"
    assert err.count("\n") == 1 and err.startswith("rootwizard: warning: ") and "redacted" in err


def test_live_and_report_together_is_refused(capsys, report_file):
    code, out, err = run(capsys, "live", "--report", str(report_file))
    assert code == 2 and out == "" and "not both" in err


def test_live_in_the_sandbox(capsys, tmp_path):
    code, out, err = run(capsys, "live", "--demo", "--json", "--strict", "--state-dir", str(tmp_path / "s"))
    doc = json.loads(out)
    assert doc["account_id"] == "111122223333" and doc["root"]["mfa_active"] is False
    assert code == 1
    assert "credential report COMPLETE" in err and "at most every 4 hours" in err


def test_live_error_is_one_line(capsys, moto_endpoint, tmp_path):
    """Plain moto's report has no root row: a clear error, never a wrong fact."""
    code, out, err = run(capsys, "--json", "--state-dir", str(tmp_path / "s"))
    assert code == 2 and out == ""
    last = err.strip().splitlines()[-1]
    assert last.startswith("rootwizard: The report AWS returned cannot be analysed: ")
    assert "<root_account>" in last


def test_offline_audit_imports_only_what_it_needs(tmp_path):
    """`audit --report --json` loads neither AWS, session, logging, the user table nor the
    record (whose export formats the parser lists) nor typing."""
    import subprocess
    import sys

    path = tmp_path / "r.csv"
    path.write_text(generate_synthetic_report(20, NOW, seed=3))
    heavy = ("boto3", "botocore", "textual", "wizard.aws", "wizard.session", "logging",
             "socket", "email", "tempfile", "random", "wizard.credreport.table", "wizard.record",
             "wizard.checklist", "wizard.steps", "typing")
    code = ("import sys, io, contextlib; from wizard.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    rc = main(['audit', '--report', {str(path)!r}, '--now', {NOW_TEXT!r}, '--json'])\n"
            f"print(rc, sorted(m for m in {heavy!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split(None, 1) == ["0", "[]\n"]


def test_audit_ends_with_what_it_allocated_out_of_the_collectors_reach(tmp_path):
    """The collector is paused for the command; at its end what it allocated is frozen, so
    re-enabling the collector does not make it scan all of that just before the process
    exits (about 20 ms of a live audit: boto3's modules). The collector is enabled again."""
    import subprocess
    import sys

    path = tmp_path / "r.csv"
    path.write_text(generate_synthetic_report(20, NOW, seed=3))
    code = ("import gc, io, contextlib; from wizard.cli import main\n"
            "before = gc.get_freeze_count()\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    rc = main(['audit', '--report', {str(path)!r}, '--now', {NOW_TEXT!r}, '--json'])\n"
            "print(rc, gc.get_freeze_count() - before > 10000, gc.isenabled())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "True", "True"]


def test_pretty_is_the_same_object_indented(capsys, report_file):
    _, compact, _ = run(capsys, "--report", str(report_file), "--now", NOW_TEXT, "--json")
    _, pretty, _ = run(capsys, "--report", str(report_file), "--now", NOW_TEXT, "--json", "--pretty")
    assert compact.count("\n") == 1 and pretty.count("\n") > 100
    assert json.loads(compact) == json.loads(pretty)
