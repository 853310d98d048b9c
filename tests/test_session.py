import json
import os
import stat
import subprocess
import sys

import pytest

from wizard.checklist import Checklist, Status
from wizard.errors import SessionError
from wizard.session import SCHEMA_VERSION, SessionStore, default_state_dir, list_sessions

ACCOUNT = "123456789012"


def test_save_load_roundtrip_modes(tmp_path):
    store = SessionStore(tmp_path / "state", ACCOUNT)
    cl = Checklist(account_id=ACCOUNT, caller_arn="arn:aws:iam::123456789012:user/ops")
    cl.set_status("password_policy", Status.DONE, evidence={"after": {"MinimumPasswordLength": 14}}, source="aws")
    store.save(cl)
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "state").st_mode) == 0o700
    loaded = store.load()
    assert loaded.step("password_policy").status == Status.DONE
    assert loaded.step("password_policy").evidence == {"after": {"MinimumPasswordLength": 14}}
    doc = json.loads(store.path.read_text())
    assert doc["schema_version"] == SCHEMA_VERSION
    assert not [p for p in store.folder.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("raw,needle", [
    (b'{"schema_version": 1, "sess', "truncated"),
    (b"hello", "not valid JSON"),
    (b'{"schema_version": 99, "session": {"account_id": "123456789012"}}', "newer rootwizard"),
    (b'{"schema_version": 1, "session": {"account_id": "210987654321"}}', "another account"),
    (b'[1,2]', "not a rootwizard session"),
    (b'\xff\xfe', "not UTF-8"),
])
def test_corrupt_session_is_reported_and_moved_aside(tmp_path, raw, needle):
    store = SessionStore(tmp_path, ACCOUNT)
    store.prepare()
    store.path.write_bytes(raw)
    with pytest.raises(SessionError, match=needle):
        store.load()
    dest = store.move_aside("corrupt")
    assert dest.read_bytes() == raw  # kept, never deleted
    assert not store.path.exists()


def test_list_sessions(tmp_path):
    store = SessionStore(tmp_path, ACCOUNT)
    cl = Checklist(account_id=ACCOUNT)
    cl.set_status("connect", Status.DONE)
    store.save(cl)
    bad = SessionStore(tmp_path, "210987654321")
    bad.prepare()
    bad.path.write_text("{")
    infos = {i.account_id: i for i in list_sessions(tmp_path)}
    assert infos[ACCOUNT].done == 1 and infos[ACCOUNT].total == 11
    assert "truncated" in infos["210987654321"].problem


def test_state_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("ROOTWIZARD_STATE_DIR", str(tmp_path / "env"))
    assert default_state_dir(None) == tmp_path / "env"
    assert default_state_dir(tmp_path / "flag") == tmp_path / "flag"
    monkeypatch.delenv("ROOTWIZARD_STATE_DIR")
    assert "rootwizard" in str(default_state_dir(None))


def test_lock_held_by_other_process_and_freed_when_it_dies(tmp_path):
    store = SessionStore(tmp_path, ACCOUNT)
    store.prepare()
    code = ("import sys,time; from pathlib import Path; from wizard.session import SessionStore;"
            f"s=SessionStore(Path({str(tmp_path)!r}), {ACCOUNT!r}); assert s.lock(); print('locked', flush=True);"
            "time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        assert store.lock() is False
    finally:
        proc.kill()
        proc.wait()
    assert store.lock() is True
    store.unlock()


def test_skip_requires_reason():
    cl = Checklist(account_id=ACCOUNT)
    from wizard.errors import InputError

    with pytest.raises(InputError):
        cl.set_status("root_password", Status.SKIPPED, reason="  ")
    assert cl.step("root_password").status == Status.PENDING


def test_session_bytes_are_jsons_compact_encoding_and_follow_replaced_findings(tmp_path):
    """The kept findings are encoded once per object (not at every save): the file is still
    byte for byte json.dumps of the session, and a replaced findings value is written."""
    from wizard.session import session_bytes

    def plain(cl):
        body = {"schema_version": SCHEMA_VERSION, "session": cl.to_json()}
        return json.dumps(body, separators=(",", ":"), allow_nan=False).encode() + b"\n"

    cl = Checklist(account_id="123456789012", caller_arn="arn:aws:iam::123456789012:user/é")
    cl.findings_before = {"user_count": 2, "findings": [{"id": "r", "users": ["a", "ü\u2028"]}]}
    assert session_bytes(cl) == plain(cl)
    assert session_bytes(cl) == plain(cl)  # from the cache
    cl.findings_after = {"user_count": 1, "findings": []}
    cl.findings_before = {"user_count": 3, "findings": []}  # replaced whole, as changes do
    assert session_bytes(cl) == plain(cl)
    store = SessionStore(tmp_path, "123456789012")
    store.save(cl)
    assert store.load().findings_before == {"user_count": 3, "findings": []}
    with pytest.raises(ValueError):  # never written: parse_session would refuse it
        cl.findings_after = {"x": float("nan")}
        session_bytes(cl)
