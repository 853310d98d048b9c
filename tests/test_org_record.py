"""The organization completion record on the sandbox organization: exported by `org audit
--record` / `org remediate --record`, re-checked by `rootwizard verify` (hash, signature,
then a fresh AssumeRoot audit of each member)."""

from __future__ import annotations

import json
import shutil

import pytest

from test_signing import allowed_signers, make_key
from wizard import cli
from wizard.org_record import build_org_record, compare_account, is_org_record
from wizard.record import parse_record, verify_record


def main(args, tmp_path, capsys):
    code = cli.main([*args, "--state-dir", str(tmp_path / "state")])
    out, err = capsys.readouterr()
    return code, out, err


def add_root_key(sb, account_id):
    """A member root access key created behind the tool's back (moto's IAM backend)."""
    from moto.iam.models import AccessKey, iam_backends

    key = AccessKey(user_name=None, prefix="AKIA", account_id=account_id, status="Active")
    iam_backends[account_id]["global"].access_keys[key.access_key_id] = key
    sb.roots[account_id].key_ids.append(key.access_key_id)
    return key.access_key_id


def test_audit_record_verifies_then_names_a_regressed_account(endpoint_org, tmp_path, capsys):
    path = tmp_path / "org.json"
    code, out, err = main(["org", "audit", "--record", str(path)], tmp_path, capsys)
    assert code == 1, err  # the audit has findings; the record is written anyway
    assert f"organization record written: {path}" in err
    record = json.loads(path.read_text())
    assert record["record_version"] == 2 and is_org_record(record) and verify_record(record)
    body = record["body"]
    assert body["kind"] == "organization" and body["steps"] == []
    assert body["account_id"] == endpoint_org.account_id and body["organization_id"] == endpoint_org.organization_id
    sections = {s["account_id"]: s for s in body["accounts"]}
    assert len(sections) == 21 and body["summary"]["counts"] == {
        "no_root_credentials": 11, "credentials_present": 6, "skipped": 2, "error": 2}
    skipped = {x["account_id"]: x["reason"] for x in body["summary"]["skipped"]}
    assert "management account" in skipped[endpoint_org.account_id]
    assert "SUSPENDED" in skipped[endpoint_org.account_id_of("closed-2023")]
    assert "service control policy" in {x["account_id"]: x["error"] for x in body["summary"]["not_read"]}[
        endpoint_org.account_id_of("locked-by-scp")]

    code, out, err = main(["verify", str(path)], tmp_path, capsys)
    assert code == 0, out + err
    assert "Every account the record makes a claim about still matches it." in out
    assert out.count("still true (recorded") == 17 and "no claim" in out

    network = endpoint_org.account_id_of("shared-network")
    key_id = add_root_key(endpoint_org, network)
    report = tmp_path / "drift.md"
    code, out, err = main(["verify", str(path), "--json", "--markdown", str(report)], tmp_path, capsys)
    assert code == 1, err
    doc = json.loads(out)
    assert doc["exit_code"] == 1 and doc["counts"]["changed"] == 1 and network in doc["outcome"]
    row = next(a for a in doc["accounts"] if a["account_id"] == network)
    assert row["verdict"] == "changed"
    keys = next(c for c in row["checks"] if c["what"] == "root access keys")
    assert keys["before"] == [] and keys["now"] == [f"{key_id} (Active)"]
    verdict = next(c for c in row["checks"] if c["what"] == "verdict")
    assert (verdict["before"], verdict["now"]) == ("no_root_credentials", "credentials_present")
    assert network in report.read_text() and "CHANGED" in report.read_text()


def test_remediation_record_markdown_signed_verifies_and_tampering_fails(endpoint_org, tmp_path, capsys):
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen not installed")
    web = endpoint_org.account_id_of("prod-web")
    key = make_key(tmp_path)
    path = tmp_path / "org.md"
    code, out, err = main(["org", "remediate", "--accounts", web, "--delete", "keys,password,certificates,mfa",
                           "--yes", "--record", str(path), "--sign", str(key)], tmp_path, capsys)
    assert code == 0, err
    text = path.read_text()
    assert text.startswith("# AWS organization security record") and "Before remediation" in text
    record = parse_record(path.read_bytes())  # the JSON record the Markdown carries
    (section,) = record["body"]["accounts"]
    assert section["account_id"] == web and section["verdict"] == "no_root_credentials"
    assert section["remediation"]["before"]["verdict"] == "credentials_present"
    assert section["remediation"]["verified"] is True

    signers = allowed_signers(tmp_path, key)
    code, out, err = main(["verify", str(path), "--allowed-signers", str(signers)], tmp_path, capsys)
    assert code == 0, out + err
    assert "good signature by ops@example.com" in out and f"{web} prod-web: still true" in out

    add_root_key(endpoint_org, web)  # the remediated account regresses
    code, out, err = main(["verify", str(path), "--allowed-signers", str(signers)], tmp_path, capsys)
    assert code == 1 and f"{web} prod-web: CHANGED" in out

    tampered = tmp_path / "tampered.md"
    tampered.write_text(text.replace('"verdict": "no_root_credentials"', '"verdict": "credentials_present"'))
    code, out, err = main(["verify", str(tampered)], tmp_path, capsys)
    assert code == 1 and out.startswith("FAILED: The record was changed after it was exported")


def test_verify_refuses_another_organization_and_existing_record_file(endpoint_org, tmp_path, capsys):
    audit = {"organization_id": "o-other", "management_account_id": "999999999999", "caller_arn": "x",
             "features": [], "accounts": [], "complete": True}
    path = tmp_path / "other.json"
    path.write_text(json.dumps(build_org_record(audit)))
    code, out, err = main(["verify", str(path)], tmp_path, capsys)
    assert code == 2 and "organization o-other" in err
    code, out, err = main(["org", "audit", "--record", str(path)], tmp_path, capsys)
    assert code == 2 and "already exists" in err and endpoint_org.calls.get("sts:AssumeRoot", 0) == 0


def test_compare_account_verdicts():
    claimed = {"account_id": "210000000002", "name": "a", "verdict": "no_root_credentials",
               "read": {"verdict": "no_root_credentials", "password_present": False, "mfa_devices": 0,
                        "access_keys": [], "signing_certificates": 0}}
    assert compare_account(claimed, dict(claimed["read"])).verdict == "still_true"
    error = compare_account(claimed, {"verdict": "error", "error": "AccessDenied: nope"})
    assert error.verdict == "cannot_verify" and "AccessDenied: nope" in error.note
    assert compare_account(claimed, None).verdict == "cannot_verify"
    skipped = {**claimed, "verdict": "skipped", "read": {"verdict": "skipped", "note": "SUSPENDED"}}
    assert compare_account(skipped, None).verdict == "no_claim"
