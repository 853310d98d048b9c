import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from wizard.after_state import AfterState, ReportFacts, UserState
from wizard.checklist import Checklist, Status
from wizard.errors import WizardError
from wizard.record import (
    RecordError,
    body_hash,
    build_record,
    canonical,
    md,
    parse_record,
    render,
    verify_record,
    write_export,
)
from wizard.residual import open_findings

README = Path(__file__).resolve().parents[1] / "README.md"
ACCOUNT = "123456789012"


def _state(**kw) -> AfterState:
    base = dict(account_id=ACCOUNT, read_at="2026-11-24T10:00:00+00:00",
                root={"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0, "AccountPasswordPresent": 1,
                      "AccountSigningCertificatesPresent": 0},
                password_policy={"MinimumPasswordLength": 14, "PasswordReusePrevention": 24},
                policy_present=True, alternate_contacts={"SECURITY": True, "OPERATIONS": True, "BILLING": True},
                users=(UserState("alice", True, "2026-11-23T00:00:00+00:00", ("arn:aws:iam::123456789012:mfa/alice",),
                                 (), signing_certificates=()),),
                # root's last use is known only from a credential report: long ago here
                report=ReportFacts("2026-11-24T09:00:00+00:00", False, "2026-01-01T00:00:00+00:00", ()))
    base.update(kw)
    return AfterState(**base)


def _cl(after: AfterState | None = None):
    cl = Checklist(account_id=ACCOUNT, caller_arn="arn:aws:iam::123456789012:user/ops")
    cl.set_status("root_mfa", Status.DONE, evidence={"AccountMFAEnabled": 1}, source="aws")
    cl.set_status("root_password", Status.CONFIRMED, note="changed by ops", source="operator")
    cl.set_status("contact_info", Status.SKIPPED, reason="handled by finance | <b>*urgent*</b>\nsee ticket")
    if after is not None:
        cl.after_state = after.to_json()
    return cl


def _record(cl, now="2026-11-24T00:00:00+00:00"):
    after = AfterState.from_json(cl.after_state) if cl.after_state else None
    return build_record(cl, now=now, residual=None if after is None else open_findings(after, cl))


def test_record_hash_detects_edits():
    rec = _record(_cl())
    assert rec["record_version"] == 2 and verify_record(rec)
    tampered = json.loads(json.dumps(rec))
    tampered["body"]["steps"][0]["status"] = "done"
    tampered["body"]["caller_arn"] = "x"
    assert not verify_record(tampered)
    body = rec["body"]
    assert {"account_id", "caller_arn", "tool_version", "started_at", "finished_at", "steps", "completion",
            "after_state", "residual_risk", "findings_before", "findings_after"} <= set(body)
    assert "exported_at" not in body and rec["exported_at"] == "2026-11-24T00:00:00+00:00"
    by_id = {s["id"]: s for s in body["steps"]}
    assert by_id["root_mfa"]["status"] == "done" and by_id["root_mfa"]["verified_by"] == "aws"
    assert by_id["root_password"]["status_label"] == "confirmed by operator"
    assert by_id["summary"]["status"] == "done"


def test_json_and_markdown_of_one_state_carry_one_hash_and_markdown_holds_the_record():
    cl = _cl(_state())
    first = _record(cl, now="2026-11-24T00:00:00+00:00")
    later = _record(cl, now="2026-11-25T09:30:00+00:00")  # another export time, another format
    assert first["body_sha256"] == later["body_sha256"]
    md_text = render(later, "markdown")
    assert f"`{first['body_sha256']}`" in md_text
    again = parse_record(md_text.encode())
    assert again == later and verify_record(again)
    # the export's own evidence on the summary step (its hash) stays out of the body
    cl.set_status("summary", Status.DONE, evidence={"body_sha256": first["body_sha256"]}, source="rootwizard")
    assert _record(cl)["body_sha256"] == first["body_sha256"]
    cl.set_status("root_usage", Status.CONFIRMED, source="operator")  # a new state: a new hash
    assert _record(cl)["body_sha256"] != first["body_sha256"]


def _readme_commands() -> list[str]:
    text = README.read_text()
    section = text[text.index("## Completion record"):text.index("## Security")]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [ln for b in blocks for ln in b.splitlines() if "sha256" in ln]


@pytest.mark.parametrize("tool", ["python3", "jq"])
def test_the_readme_command_reproduces_the_hash(tmp_path, tool):
    commands = [c for c in _readme_commands() if c.startswith(tool)]
    assert len(commands) == 1, commands
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    cl = _cl(_state())
    cl.set_status("root_usage", Status.CONFIRMED, note="naïve café ☕ 𝄞 \x7f tab\tquote\" back\\slash \x01",
                  source="operator")
    cl.findings_before = {"ratio": 1.0, "big": 2**60, "fraction": 0.25, "ünïcode": "x"}
    rec = _record(cl)
    (tmp_path / "record.json").write_text(render(rec, "json"), encoding="utf-8")
    out = subprocess.run(["bash", "-c", commands[0]], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == rec["body_sha256"]


def test_canonical_form_is_rfc8785_for_the_body_data_model():
    body = build_record(_cl(), residual=[])["body"]
    body["steps"][1]["evidence"] = {"b": 1, "a": [True, None, "é\u2028\x1f"], "Z": -5}
    assert body_hash(body) == hashlib.sha256(canonical(body)).hexdigest()
    # RFC 8785 3.2.3: keys sorted by UTF-16 code units (U+E000 sorts after an astral character)
    assert canonical({"\ue000": 1, "\U0001F600": 2, "a": 3}) == '{"a":3,"😀":2,"\ue000":1}'.encode()
    assert canonical({"s": "\x1f\n\"\\/"}) == b'{"s":"\\u001f\\n\\"\\\\/"}'


def test_version_1_records_still_verify():
    body = {"account_id": ACCOUNT, "caller_arn": "arn", "tool": "rootwizard", "tool_version": "0.1.0",
            "sandbox": False, "started_at": "s", "finished_at": None, "exported_at": "2026-11-01T00:00:00+00:00",
            "steps": [], "findings_before": None, "findings_after": None}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                       ensure_ascii=False).encode()).hexdigest()
    v1 = {"record_version": 1, "body": body, "body_sha256": digest}
    rec = parse_record(json.dumps(v1, indent=2).encode())
    assert rec["record_version"] == 1 and verify_record(rec)


@pytest.mark.parametrize("raw, message", [
    (b"\xff\xfe", "not UTF-8"),
    (b"hello", "not JSON"),
    (b'{"a": 1}', "not a rootwizard completion record"),
    (b'{"record_version": 3, "body": {"account_id": "1", "steps": []}}', "newer rootwizard"),
    (b'{"record_version": true, "body": {"account_id": "1", "steps": []}}', "invalid record_version"),
    (b"# A record\n\nno block here\n", "no machine-readable record"),
])
def test_what_is_not_a_record_says_why(raw, message):
    with pytest.raises(RecordError, match=message):
        parse_record(raw)


def test_markdown_escapes_untrusted_text():
    # wizard.text.md, the one Markdown escaping (tests/test_text.py renders it with a real parser)
    assert md("a|b") == "a\\|b"
    assert md("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert md("**bold** _it_ [x](http://e) `c` &amp;") == \
        "\\*\\*bold\\*\\* \\_it\\_ \\[x\\](http://e) \\`c\\` &amp;amp;"
    assert md("line\nbreak\x1b[31m\x7f") == "line\\\\nbreak\\\\x1b\\[31m\\\\x7f"
    text = render(_record(_cl()), "markdown")
    assert "Reason: handled by finance \\| &lt;b&gt;\\*urgent\\*&lt;/b&gt;\\\\nsee ticket" in text
    assert "<b>" not in text.split("## Machine-readable record")[0]


def test_markdown_reads_well():
    text = render(_record(_cl(_state())), "markdown")
    assert text.startswith("# AWS account security record: 123456789012")
    assert "| Root user MFA | done (verified) | aws |" in text
    assert "confirmed by operator" in text and "## After-state" in text and "## Residual risk" in text
    assert "does not show who" in text


def test_record_never_reads_all_done_while_a_serious_finding_is_open():
    cl = _cl()
    for sid in cl.steps:
        if sid != "summary":
            cl.set_status(sid, Status.CONFIRMED, source="operator")
    clean = _state()
    assert _record(_cl(clean))["body"]["residual_risk"] == []
    cl.after_state = clean.to_json()
    assert _record(cl)["body"]["completion"]["all_done"] is True
    bad = _state(users=(UserState("bob", True, None, (), ()),))
    cl.after_state = bad.to_json()
    cl.set_status("iam_user_mfa", Status.SKIPPED, reason="bob leaves on Friday")
    done = _record(cl)["body"]
    assert done["completion"]["all_done"] is False and "remain open" in done["completion"]["verdict"]
    risk = {f["id"]: f for f in done["residual_risk"]}
    assert risk["console-user-without-mfa"]["subjects"] == ["bob"]
    assert risk["console-user-without-mfa"]["skip_reason"] == "bob leaves on Friday"
    assert risk["console-user-without-mfa"]["cis"]["v5.0.0"] == "1.9"
    assert risk["console-user-without-mfa"]["cis"]["v7.0.0"] == "2.10"
    cl.after_state = None  # unknown after-state: never "all done"
    assert _record(cl)["body"]["completion"]["all_done"] is False


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


def test_policy_below_cis_is_labelled_in_the_record():
    cl = _cl()
    cl.set_status("password_policy", Status.DONE, source="aws", evidence={
        "after": {"MinimumPasswordLength": 8}, "cis_failing": ["CIS 1.7 (v5) / 2.8 (v7): minimum "
                                                                "password length of at least 14"]})
    rec = build_record(cl)
    by_id = {s["id"]: s for s in rec["body"]["steps"]}
    assert by_id["password_policy"]["status"] == "done"
    assert by_id["password_policy"]["status_label"] == "done (verified), below the CIS baseline"
    assert by_id["root_mfa"]["status_label"] == "done (verified)"
    assert "| IAM password policy | done (verified), below the CIS baseline | aws |" in render(rec, "markdown")
