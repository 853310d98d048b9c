import json

import pytest

from wizard.checklist import Checklist, Status
from wizard.errors import WizardError
from wizard.record import build_record, render, verify_record, write_export


def _cl():
    cl = Checklist(account_id="123456789012", caller_arn="arn:aws:iam::123456789012:user/ops")
    cl.set_status("root_mfa", Status.DONE, evidence={"AccountMFAEnabled": 1}, source="aws")
    cl.set_status("root_password", Status.CONFIRMED, note="changed by ops", source="operator")
    cl.set_status("contact_info", Status.SKIPPED, reason="handled by finance")
    return cl


def test_record_hash_detects_edits():
    rec = build_record(_cl(), now="2026-11-24T00:00:00+00:00")
    assert verify_record(rec)
    tampered = json.loads(json.dumps(rec))
    tampered["body"]["steps"][0]["status"] = "done"
    tampered["body"]["caller_arn"] = "x"
    assert not verify_record(tampered)
    body = rec["body"]
    assert {"account_id", "caller_arn", "tool_version", "started_at", "finished_at", "steps",
            "findings_before", "findings_after"} <= set(body)
    by_id = {s["id"]: s for s in body["steps"]}
    assert by_id["root_mfa"]["status"] == "done" and by_id["root_mfa"]["verified_by"] == "aws"
    assert by_id["root_password"]["status_label"] == "confirmed by operator"
    assert by_id["contact_info"]["reason"] == "handled by finance"


def test_markdown_reads_well():
    md = render(build_record(_cl()), "markdown")
    assert md.startswith("# AWS account security record: 123456789012")
    assert "| Root user MFA | done (verified) | aws |" in md
    assert "confirmed by operator" in md and "Reason: handled by finance" in md
    assert "SHA-256" in md


def test_export_never_overwrites_without_force(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("keep")
    with pytest.raises(WizardError, match="--force"):
        write_export("new", out)
    assert out.read_text() == "keep"
    write_export("new", out, force=True)
    assert out.read_text() == "new"


@pytest.mark.parametrize("name", ["x" * 300 + ".json", "bad\x00name.json"])
def test_export_to_an_impossible_name_is_a_clear_error(tmp_path, name):
    with pytest.raises(WizardError, match="Cannot write|not a usable file name"):
        write_export("{}", tmp_path / name)
    assert not [p for p in tmp_path.iterdir() if p.is_file()]
