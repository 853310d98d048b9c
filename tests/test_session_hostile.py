"""Session files are untrusted input: every unreadable or ill-typed file is a
SessionError (reported, moved aside and kept), never a traceback, in `sessions`,
`export` and the store; evidence is checked on load; the exporter never writes NaN."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wizard import cli
from wizard.checklist import Checklist, Status
from wizard.errors import SessionError
from wizard.record import build_record, render
from wizard.session import SCHEMA_VERSION, SessionStore, list_sessions, parse_session

ACCOUNT = "123456789012"


def _doc(**session) -> dict:
    cl = Checklist(account_id=ACCOUNT, caller_arn=f"arn:aws:iam::{ACCOUNT}:user/ops")
    body = cl.to_json()
    body.update(session)
    return {"schema_version": SCHEMA_VERSION, "session": body}


def _step(**fields) -> dict:
    return {"id": "password_policy", "status": "done", **fields}


def _raw(doc) -> bytes:
    return json.dumps(doc).encode()


DEEP = 200_000
HOSTILE_FILES = {
    "int of 5,000 digits": _raw(_doc()).replace(b'"sandbox": false', b'"sandbox": ' + b"9" * 5000),
    "int of 5,000 digits in evidence": _raw(_doc(steps=[_step(evidence={"n": 0})])).replace(
        b'"n": 0', b'"n": ' + b"7" * 5000),
    "200,000-deep nesting": b'{"schema_version": 1, "session": ' + b"[" * DEEP + b"]" * DEEP + b"}",
    "deep evidence": _raw(_doc(steps=[_step(evidence={"a": json.loads("[" * 40 + "]" * 40)})])),
    "findings_before a list": _raw(_doc(findings_before=[1, 2])),
    "findings_before a string": _raw(_doc(findings_before="x")),
    "NaN": _raw(_doc()).replace(b'"sandbox": false', b'"sandbox": NaN'),
    "Infinity in findings": _raw(_doc(findings_before={"n": 0})).replace(b'"n": 0', b'"n": Infinity'),
    "-Infinity in evidence": _raw(_doc(steps=[_step(evidence={"n": 0})])).replace(b'"n": 0', b'"n": -Infinity'),
    "1e999 overflow": _raw(_doc(steps=[_step(evidence={"n": 0})])).replace(b'"n": 0', b'"n": 1e999'),
    "status [/]": _raw(_doc(steps=[_step(status="[/]")])),
    "status a number": _raw(_doc(steps=[_step(status=3)])),
    "step a string": _raw(_doc(steps=["connect"])),
    "steps an object": _raw(_doc(steps={"id": "connect"})),
    "step without id": _raw(_doc(steps=[{"status": "done"}])),
    "evidence a list": _raw(_doc(steps=[_step(evidence=[["after", 1]])])),
    "evidence a string": _raw(_doc(steps=[_step(evidence="after")])),
    "evidence.after a string": _raw(_doc(steps=[_step(evidence={"after": "x"})])),
    "evidence.user a number": _raw(_doc(steps=[{"id": "iam_user_mfa", "status": "done",
                                                "evidence": {"user": 5, "serial": "arn:x"}}])),
    "reason an object": _raw(_doc(steps=[_step(reason={"a": 1})])),
    "account_id a number": _raw({"schema_version": 1, "session": {"account_id": 123456789012}}),
    "schema_version true": _raw({"schema_version": True, "session": {"account_id": ACCOUNT}}),
    "sandbox a string": _raw(_doc(sandbox="yes")),
    "started_at a list": _raw(_doc(started_at=[])),
    "escape sequence status": _raw(_doc(steps=[_step(status="\x1b]0;TITLE\x07")])),
}


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_hostile_session_file_is_a_session_error(tmp_path, name):
    raw = HOSTILE_FILES[name]
    with pytest.raises(SessionError) as info:
        parse_session(raw, expected_account=ACCOUNT)
    message = str(info.value)
    assert "\x1b" not in message and "\x07" not in message and len(message) < 300
    store = SessionStore(tmp_path, ACCOUNT)
    store.prepare()
    store.path.write_bytes(raw)
    with pytest.raises(SessionError):
        store.load()
    assert list_sessions(tmp_path)[0].problem
    moved = store.move_aside("corrupt")
    assert moved.read_bytes() == raw  # kept, never deleted


@pytest.mark.parametrize("name", ["int of 5,000 digits", "200,000-deep nesting", "findings_before a list",
                                  "NaN", "status [/]", "evidence a string"])
def test_sessions_and_export_report_it_in_one_line(tmp_path, capsys, name):
    store = SessionStore(tmp_path, ACCOUNT)
    store.prepare()
    store.path.write_bytes(HOSTILE_FILES[name])
    assert cli.main(["sessions", "--state-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert ACCOUNT in out and "session file" in out
    assert cli.main(["export", "--state-dir", str(tmp_path), "--account", ACCOUNT]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rootwizard: ") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_the_message_says_where(tmp_path):
    with pytest.raises(SessionError, match=r"steps\[0\]\.status is '\[/\]', not one of pending"):
        parse_session(HOSTILE_FILES["status [/]"], expected_account=ACCOUNT)
    with pytest.raises(SessionError, match=r"findings_before is \[1, 2\], not an object or null"):
        parse_session(HOSTILE_FILES["findings_before a list"], expected_account=ACCOUNT)
    with pytest.raises(SessionError, match=r"steps\[0\]\.evidence\.after is 'x', not an object"):
        parse_session(HOSTILE_FILES["evidence.after a string"], expected_account=ACCOUNT)


def test_a_session_of_an_earlier_version_still_loads():
    """Written by 0.1.0 (nulls where strings are optional): loads as before."""
    doc = _doc(steps=[{"id": "root_mfa", "status": "done", "changed_at": None, "changed_by": None,
                       "evidence": {"AccountMFAEnabled": 1, "source": "iam:GetAccountSummary"},
                       "evidence_source": "aws", "note": "", "reason": "", "error": ""},
                      {"id": "root_password", "status": "skipped", "reason": "later", "evidence": None,
                       "note": None}],
               findings_before={"generated_time": None, "user_count": 3, "root": {"mfa_active": True}})
    cl = parse_session(_raw(doc), expected_account=ACCOUNT)
    assert cl.step("root_mfa").status == Status.DONE and cl.step("root_password").reason == "later"


def test_the_exporter_and_the_store_never_write_nan(tmp_path):
    def strict(text: str) -> object:
        return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} written"))

    cl = Checklist(account_id=ACCOUNT)
    cl.set_status("root_mfa", Status.DONE, evidence={"ratio": float("nan"), "big": float("inf")}, source="aws")
    strict(render(build_record(cl), "json"))  # the record holds no NaN or Infinity token
    store = SessionStore(tmp_path, ACCOUNT)
    with pytest.raises(ValueError):
        store.save(cl)
    assert not store.path.exists()


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3),
                    max_leaves=12)
KEYS = ["account_id", "caller_arn", "started_at", "updated_at", "finished_at", "tool_version", "sandbox",
        "steps", "findings_before", "findings_after"]
STEP_KEYS = ["id", "status", "changed_at", "changed_by", "evidence", "evidence_source", "note", "reason", "error"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), JSON, max_size=6),
       st.lists(st.dictionaries(st.sampled_from(STEP_KEYS), JSON | st.sampled_from(["done", "root_mfa"]),
                                max_size=6), max_size=3))
def test_any_json_session_loads_or_is_a_session_error(session, steps):
    """Whatever JSON a session holds, loading either succeeds (and the checklist can be
    saved and exported again) or raises SessionError."""
    body = {"account_id": ACCOUNT, **session}
    if steps:
        body["steps"] = steps
    body["account_id"] = ACCOUNT if not isinstance(session.get("account_id"), str) or \
        session.get("account_id") != ACCOUNT else ACCOUNT
    raw = json.dumps({"schema_version": 1, "session": body}).encode()
    try:
        cl = parse_session(raw, expected_account=ACCOUNT)
    except SessionError:
        return
    text = render(build_record(cl, now="2026-01-01T00:00:00+00:00"), "json")
    assert json.loads(text)["body"]["account_id"] == ACCOUNT
    render(build_record(cl, now="2026-01-01T00:00:00+00:00"), "markdown")
    cl.progress()


def test_sessions_shows_escape_sequences_from_the_file_as_text(tmp_path, capsys):
    store = SessionStore(tmp_path, ACCOUNT)
    store.prepare()
    store.path.write_bytes(_raw(_doc(started_at="\x1b]0;TITLE\x07\x1b[2J", updated_at="\u202eevil")))
    assert cli.main(["sessions", "--state-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "\\x1b]0;TITLE\\x07" in out and "\\u202e" in out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    # An error naming a path with an escape sequence: one visible line.
    bad = tmp_path / "out\x1b[2J"
    bad.mkdir()
    assert cli.main(["export", "--state-dir", str(tmp_path), "-o", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2J" in err and len(err.strip().splitlines()) == 1


def test_no_traceback_reaches_the_terminal(tmp_path, capsys, monkeypatch):
    """The CLI's last resort: one line on stderr, the traceback only in --log-file."""
    def boom(rt):
        raise TypeError("a bug [/] \x1b]0;T\x07")

    import logging

    monkeypatch.setitem(cli.COMMANDS, "sessions", boom)
    log = tmp_path / "debug.log"
    logger = logging.getLogger("rootwizard")
    monkeypatch.setattr(logger, "handlers", list(logger.handlers))  # the log file's handler goes after
    assert cli.main(["sessions", "--state-dir", str(tmp_path), "--log-file", str(log)]) == 2
    err = capsys.readouterr().err
    assert err == "rootwizard: unexpected error (TypeError); nothing more was done; details are in the --log-file.\n"
    text = log.read_text()
    assert "Traceback" in text and "TypeError: a bug [/] \\x1b]0;T\\x07" in text
    assert "\x1b" not in text and "\x07" not in text  # the log holds no escape sequence either


def test_without_a_log_file_no_traceback_either():
    import subprocess
    import sys

    code = ("import sys; from wizard import cli\n"
            "def boom(rt): raise TypeError('bug')\n"
            "cli.COMMANDS['sessions'] = boom\n"
            "sys.exit(cli.main(['sessions', '--state-dir', sys.argv[1]]))")
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run([sys.executable, "-c", code, d], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr == ("rootwizard: unexpected error (TypeError); nothing more was done; "
                          "run it again with --log-file FILE for details.\n")
