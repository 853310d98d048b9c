"""End to end: walk the sandbox through the TUI, export the record (JSON and Markdown), sign
it from the command line, then `rootwizard verify` it: clean, tampered, signed with the right
and the wrong key, and after the account has been regressed behind the wizard's back."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest

from screens.base import short_time
from test_signing import allowed_signers, make_key
from walk import press, walk
from wizard.cli import main
from wizard.record import parse_record, verify_record
from wizard.sandbox import AccessKeyInfo, start_sandbox


@pytest.fixture
def sandbox():
    sb = start_sandbox()
    yield sb
    sb.stop()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def verify_json(capsys, record, *extra: str) -> tuple[int, dict]:
    code, out, err = run(capsys, "verify", str(record), "--json", *extra)
    assert out.count("\n") == 1, (out, err)  # exactly one JSON object
    return code, json.loads(out)


async def test_walk_export_sign_and_verify_names_every_regression(make_app, sandbox, tmp_path, capsys,
                                                                   monkeypatch):
    state = tmp_path / "state"
    app = make_app(sandbox=sandbox, state_dir=state)
    export = tmp_path / "record.json"
    async with app.run_test(size=(120, 40)) as pilot:
        await walk(app, pilot, export)
        summary = app.ctx.checklist.step("summary")
        sidebar = app.screen.query_one("#steps").labels["summary"]
        # the summary offers verify on its last export: nothing drifted yet
        await press(app, pilot, "#verify-export")
        checked = str(app.screen.query_one("#verify-result").render())
        residual = str(app.screen.query_one("#residual").render())
        app.ctx.sandbox = None  # the app's exit would stop it; the fixture does, after verify
    assert "Every verifiable step still holds" in checked and "record.md" in checked
    assert "[HIGH] Console users without MFA (console-user-without-mfa; CIS v5.0.0 1.9, v7.0.0 2.10)" in residual
    record = json.loads(export.read_text())
    markdown = parse_record(export.with_suffix(".md").read_bytes())
    # one state, two formats, one hash; the summary closed with it; the after-state is live
    assert record["record_version"] == 2 and verify_record(record)
    assert markdown["body_sha256"] == record["body_sha256"] and markdown["body"] == record["body"]
    assert summary.status == "done" and summary.evidence["body_sha256"] == record["body_sha256"]
    assert summary.evidence["format"] == "markdown"
    assert f"(exported {short_time(summary.evidence['exported_at'])})" in sidebar  # local, compact
    body = record["body"]
    assert body["after_state"]["root"]["AccountMFAEnabled"] == 1
    assert body["after_state"]["root"]["AccountAccessKeysPresent"] == 0
    read_at = datetime.fromisoformat(body["after_state"]["read_at"])
    assert read_at >= datetime.fromisoformat(body["steps"][-2]["changed_at"] or body["started_at"])
    assert body["after_state"]["report"]["older_than_changes"] is True  # the report came before the changes
    risk = {f["id"] for f in body["residual_risk"]}
    assert "console-user-without-mfa" in risk and "root-mfa-missing" not in risk
    assert body["completion"]["all_done"] is False  # console users without MFA remain: never "all done"

    # verify runs against this very sandbox through AWS_ENDPOINT_URL
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.secret_access_key)
    code, clean = verify_json(capsys, export)
    verdicts = {s["id"]: s["verdict"] for s in clean["steps"]}
    assert code == 0 and clean["integrity"]["hash_ok"], clean["outcome"]
    assert verdicts["root_mfa"] == verdicts["root_access_keys"] == verdicts["password_policy"] == "still_true"
    assert verdicts["alternate_contacts"] == verdicts["iam_user_mfa"] == "still_true"
    assert verdicts["root_password"] == verdicts["contact_info"] == verdicts["root_usage"] == "cannot_verify"
    assert verdicts["credential_report"] == verdicts["security_questions"] == "no_claim"
    code, _out, _err = run(capsys, "verify", str(export.with_suffix(".md")))
    assert code == 0  # the Markdown export verifies too

    # signed from the command line: the same state, so the same hash as the TUI's export
    key, other = make_key(tmp_path), make_key(tmp_path, "other", "eve@example.com")
    signed = tmp_path / "signed.json"
    code, _out, err = run(capsys, "export", "--state-dir", str(state), "-o", str(signed), "--sign", str(key))
    assert code == 0, err
    assert json.loads(signed.read_text())["body_sha256"] == record["body_sha256"]
    assert (tmp_path / "signed.json.sig").read_text().startswith("-----BEGIN SSH SIGNATURE-----")
    code, good = verify_json(capsys, signed, "--allowed-signers", str(allowed_signers(tmp_path, key)))
    assert code == 0 and good["integrity"]["signature"]["principal"] == "ops@example.com"
    wrong = allowed_signers(tmp_path, other, "eve@example.com", "eve_signers")
    code, bad = verify_json(capsys, signed, "--allowed-signers", str(wrong))
    assert code == 1 and not bad["integrity"]["signature"]["ok"]
    code, _out, err = run(capsys, "export", "--state-dir", str(state), "-o", str(tmp_path / "u.json"),
                          "--sign", str(tmp_path / "absent-key"))
    assert code == 2 and "not a file" in err and not (tmp_path / "u.json").exists()

    # a tampered body: reported first, exit 1
    tampered = json.loads(export.read_text())
    tampered["body"]["steps"][0]["status"] = "skipped"
    (tmp_path / "tampered.json").write_text(json.dumps(tampered))
    code, out, _err = run(capsys, "verify", str(tmp_path / "tampered.json"))
    assert code == 1 and out.splitlines()[0] == ("FAILED: The record was changed after it was exported: "
                                                 "its body does not match its hash.")
    assert out.splitlines()[2].startswith("Body hash: MISMATCH")

    # regress the account behind the wizard's back
    session = sandbox.session()
    iam = session.client("iam", endpoint_url=sandbox.endpoint_url)
    enrolled = body["steps"][[s["id"] for s in body["steps"]].index("iam_user_mfa")]["evidence"]
    iam.deactivate_mfa_device(UserName=enrolled["user"], SerialNumber=enrolled["serial"])
    iam.update_account_password_policy(MinimumPasswordLength=8)
    session.client("account", endpoint_url=sandbox.endpoint_url).delete_alternate_contact(
        AlternateContactType="BILLING")
    with sandbox._lock:  # root creates an access key in the console: no API in the sandbox for it
        sandbox._root.access_keys.append(AccessKeyInfo("AKIAROOTREGRESSED001", True, datetime.now(UTC)))
    report = tmp_path / "drift.md"
    code, drift = verify_json(capsys, export, "--markdown", str(report))
    assert code == 1 and drift["exit_code"] == 1
    steps = {s["id"]: s for s in drift["steps"]}
    changed = {sid: {c["what"]: (c["before"], c["now"]) for c in s["checks"] if c["verdict"] == "changed"}
               for sid, s in steps.items() if s["verdict"] == "changed"}
    assert set(changed) == {"root_access_keys", "iam_user_mfa", "password_policy", "alternate_contacts"}
    assert changed["root_access_keys"]["root access keys present (AccountAccessKeysPresent)"] == (0, 1)
    assert changed["iam_user_mfa"][f"{enrolled['user']}'s MFA device {enrolled['serial']}"] == \
        ("assigned", "not assigned")
    assert changed["password_policy"]["password policy MinimumPasswordLength"] == (14, 8)
    assert changed["alternate_contacts"]["billing alternate contact set"] == (True, False)
    assert {f["what"].split("[")[1].rstrip("]") for f in drift["findings"]} >= {
        "root-access-key-active", "password-policy-length-below-14", "alternate-contact-missing"}
    text = report.read_text()
    assert text.startswith("# Drift report: AWS account") and "MinimumPasswordLength: 14 → 8" in text
    code, out, _err = run(capsys, "verify", str(export))
    assert code == 1 and "CHANGED" in out and "Drift" in out.splitlines()[-1]


def test_verify_refuses_bad_input_with_one_line(tmp_path, capsys, moto_endpoint):
    junk = tmp_path / "junk.json"
    junk.write_text("not json")
    code, out, err = run(capsys, "verify", str(junk))
    assert code == 2 and out == "" and err.count("\n") == 1 and "not JSON" in err
    code, _out, err = run(capsys, "verify", str(tmp_path))
    assert code == 2 and "is a folder" in err
    code, _out, err = run(capsys, "verify", str(tmp_path / "absent.json"))
    assert code == 2 and "no such file" in err
    # a genuine record of another account than the credentials'
    from wizard.checklist import Checklist
    from wizard.record import build_record, render

    other = tmp_path / "other.json"
    other.write_text(render(build_record(Checklist(account_id="999999999999")), "json"))
    code, _out, err = run(capsys, "verify", str(other))
    assert code == 2 and err.count("\n") == 1 and "account 999999999999" in err and "123456789012" in err


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen not installed")
def test_export_sign_without_a_file_or_with_a_bad_key_writes_nothing(tmp_path, capsys):
    from wizard.checklist import Checklist
    from wizard.session import SessionStore

    state = tmp_path / "state"
    SessionStore(state, "123456789012").save(Checklist(account_id="123456789012"))
    key = make_key(tmp_path)
    code, out, err = run(capsys, "export", "--state-dir", str(state), "--sign", str(key))
    assert code == 2 and out == "" and "-o FILE" in err
    bad = tmp_path / "bad"
    bad.write_text("nope")
    bad.chmod(0o600)
    code, _out, err = run(capsys, "export", "--state-dir", str(state), "-o", str(tmp_path / "r.json"),
                          "--sign", str(bad))
    assert code == 2 and "Cannot sign" in err
    assert not (tmp_path / "r.json").exists() and not (tmp_path / "r.json.sig").exists()


def test_export_live_reads_the_after_state_and_closes_the_summary(tmp_path, capsys, moto_endpoint):
    from wizard.checklist import Checklist
    from wizard.session import SessionStore

    state = tmp_path / "state"
    store = SessionStore(state, "123456789012")
    store.save(Checklist(account_id="123456789012"))
    out = tmp_path / "live.md"
    code, _out, err = run(capsys, "export", "--state-dir", str(state), "--live", "--format", "markdown",
                          "-o", str(out))
    assert code == 0, err
    record = parse_record(out.read_bytes())
    saved = store.load()
    assert record["body"]["after_state"]["read_at"] == saved.after_state["read_at"]
    assert saved.step("summary").status == "done"
    assert saved.step("summary").evidence["body_sha256"] == record["body_sha256"] in err
    # another account's session with these credentials: refused before anything is read or written
    other = SessionStore(state, "999999999999")
    other.save(Checklist(account_id="999999999999"))
    code, _out, err = run(capsys, "export", "--state-dir", str(state), "--account", "999999999999", "--live",
                          "-o", str(tmp_path / "other.json"))
    assert code == 2 and "999999999999" in err and not (tmp_path / "other.json").exists()
    assert other.load().after_state is None
