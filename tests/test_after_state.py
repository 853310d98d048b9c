"""The after-state from live reads (moto in-process), and verify's step comparison."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from wizard import after_state
from wizard.aws import AwsAccess, ConnectionSettings
from wizard.checklist import Checklist, Status
from wizard.errors import AccessDeniedError
from wizard.record import build_record
from wizard.record_verify import CANNOT_VERIFY, CHANGED, NO_CLAIM, STILL_TRUE, compare, compare_step
from wizard.residual import open_findings

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def iam(aws_env):
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_user(UserName="alice")
        client.create_login_profile(UserName="alice", Password="Xx-123456789012")
        serial = client.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]["SerialNumber"]
        client.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1="123456",
                                 AuthenticationCode2="654321")
        client.create_user(UserName="bob")
        client.create_login_profile(UserName="bob", Password="Xx-123456789012")
        client.create_user(UserName="svc")
        client.create_access_key(UserName="svc")
        client.update_account_password_policy(MinimumPasswordLength=14, PasswordReusePrevention=24)
        yield client


def test_live_read_of_users_policy_and_root(iam):
    aws = AwsAccess(ConnectionSettings(region="us-east-1"))
    state = after_state.read(aws, "123456789012", now=lambda: NOW)
    assert state.read_at == "2026-11-24T10:00:00+00:00"
    assert [u.name for u in state.users] == ["alice", "bob", "svc"]
    assert state.console_users_without_mfa == ["bob"]
    assert state.user("alice").mfa_devices[0].endswith(":mfa/alice")
    assert state.user("svc").console is False and state.user("svc").access_keys[0].status == "Active"
    assert state.password_policy["MinimumPasswordLength"] == 14 and state.policy_present is True
    # moto's summary has no AccountPasswordPresent: unknown, not 0, so "credentials removed" is unknown too
    assert set(state.root) == set(after_state.ROOT_SUMMARY_KEYS) - {"AccountPasswordPresent"}
    assert state.root_credentials_removed is None
    again = after_state.AfterState.from_json(state.to_json())
    assert again == state
    ids = {f["id"] for f in open_findings(state)}
    assert "console-user-without-mfa" in ids and "password-policy-length-below-14" not in ids


class DeniedUsers(AwsAccess):
    def list_users(self):
        raise AccessDeniedError("denied", code="AccessDenied", action="iam:ListUsers")


def test_a_denied_read_is_named_never_guessed(iam):
    state = after_state.read(DeniedUsers(ConnectionSettings(region="us-east-1")), "123456789012")
    assert state.users is None and state.console_users_without_mfa is None
    assert state.missing == {"users": "iam:ListUsers"}
    finding = {f["id"]: f for f in open_findings(state)}["console-user-without-mfa"]
    assert finding["unknown"] is True  # not readable counts as open, marked unknown
    step = {"id": "iam_user_mfa", "status": "done", "title": "Virtual MFA for an IAM user",
            "evidence": {"user": "alice", "serial": "arn:aws:iam::123456789012:mfa/alice"}}
    result = compare_step(step, None, state)
    assert result.verdict == CANNOT_VERIFY and "needs iam:ListUsers" in result.checks[0].detail


def test_report_facts_are_marked_older_than_the_changes():
    cl = Checklist(account_id="123456789012")
    cl.findings_before = {"generated_time": "2026-11-24T09:00:00+00:00",
                          "root": {"password_last_used": "2026-11-20T00:00:00+00:00", "access_keys": []}}
    cl.set_status("root_mfa", Status.DONE, evidence={"AccountMFAEnabled": 1}, source="aws",
                  at=datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    facts = after_state.report_facts(cl)
    assert facts.older_than_changes is True and facts.generated_time == "2026-11-24T09:00:00+00:00"
    cl.findings_before["generated_time"] = (NOW + timedelta(hours=1)).isoformat()
    assert after_state.report_facts(cl).older_than_changes is False
    # Both times are whole seconds: a report of the change's second may be from before it.
    cl.findings_before["generated_time"] = "2026-11-24T09:30:00+00:00"
    assert after_state.report_facts(cl).older_than_changes is True
    cl.findings_before["generated_time"] = "2026-11-24T09:30:01Z"
    assert after_state.report_facts(cl).older_than_changes is False


def test_a_report_of_the_same_second_as_a_change_is_not_evidence_of_it():
    """A report generated in the second of the session's last change may predate it (AWS's
    GeneratedTime and the session's times are whole seconds): it is not kept as "after",
    and the screen's stale note applies (this made a TUI test fail one run in three)."""
    from wizard import report_flow

    cl = Checklist(account_id="123456789012")
    change = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    cl.set_status("root_mfa", Status.DONE, evidence={"AccountMFAEnabled": 1}, source="aws", at=change)
    assert report_flow.may_predate(change, report_flow.last_change(cl))
    assert report_flow.may_predate(None, report_flow.last_change(cl))
    assert not report_flow.may_predate(change + timedelta(seconds=1), report_flow.last_change(cl))


def _state(**kw):
    base = dict(account_id="123456789012", read_at="2026-11-24T10:00:00+00:00",
                root={"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0, "AccountPasswordPresent": 1,
                      "AccountSigningCertificatesPresent": 0},
                password_policy={"MinimumPasswordLength": 14, "PasswordReusePrevention": 24},
                policy_present=True, alternate_contacts={"SECURITY": True, "OPERATIONS": True, "BILLING": True},
                users=())
    base.update(kw)
    return after_state.AfterState(**base)


def test_verify_compares_each_claim_with_what_aws_shows_now():
    cl = Checklist(account_id="123456789012")
    cl.set_status("root_mfa", Status.DONE, evidence={"AccountMFAEnabled": 1}, source="aws")
    cl.set_status("password_policy", Status.DONE, source="aws", evidence={
        "after": {"MinimumPasswordLength": 14, "PasswordReusePrevention": 24}})
    cl.set_status("root_password", Status.CONFIRMED, source="operator")
    cl.set_status("contact_info", Status.SKIPPED, reason="finance owns it")
    cl.after_state = _state().to_json()
    record = build_record(cl, residual=open_findings(_state(), cl))
    steps, findings = compare(record, _state(), open_findings)
    verdict = {s.id: s.verdict for s in steps}
    assert verdict["root_mfa"] == verdict["password_policy"] == STILL_TRUE and not findings
    assert verdict["root_password"] == CANNOT_VERIFY and verdict["contact_info"] == NO_CLAIM
    assert "finance owns it" in next(s.note for s in steps if s.id == "contact_info")
    now = _state(root={"AccountMFAEnabled": 0, "AccountPasswordPresent": 0, "AccountAccessKeysPresent": 1,
                       "AccountSigningCertificatesPresent": 0},
                 policy_present=False, password_policy=None)
    steps, findings = compare(record, now, open_findings)
    by_id = {s.id: s for s in steps}
    assert by_id["root_mfa"].verdict == CHANGED and by_id["root_mfa"].checks[0].now == 0
    assert by_id["password_policy"].verdict == CHANGED
    assert by_id["root_password"].verdict == CHANGED  # the password AWS showed is gone
    assert {f.what.split("[")[1][:-1] for f in findings} >= {"root-mfa-missing", "password-policy-length-below-14"}
    # root without any credential (centralized root access) has nothing for MFA to protect
    removed = _state(root={k: 0 for k in after_state.ROOT_SUMMARY_KEYS})
    assert "root-mfa-missing" not in {f["id"] for f in open_findings(removed)}


def test_a_version_1_record_is_compared_by_its_step_evidence():
    body = {"account_id": "123456789012", "exported_at": "x", "steps": [
        {"id": "root_access_keys", "title": "Root access keys", "status": "done", "status_label": "done (verified)",
         "evidence": {"AccountAccessKeysPresent": 0, "source": "iam:GetAccountSummary"}}]}
    now = _state(root={**_state().root, "AccountAccessKeysPresent": 1})
    steps, findings = compare({"record_version": 1, "body": body}, now, open_findings)
    assert steps[0].verdict == CHANGED and (steps[0].checks[0].before, steps[0].checks[0].now) == (0, 1)
    assert findings == []  # a v1 record holds no residual-risk list to compare with
