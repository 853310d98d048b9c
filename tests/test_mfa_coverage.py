"""Issue 15 item 2: the IAM-user MFA step is done only when AWS shows no console user
without MFA, or every remaining one is skipped with a reason (against moto)."""

from __future__ import annotations

import pytest

from test_mfa import aws, iam, seed_users  # noqa: F401  (fixtures)
from wizard import mfa_coverage
from wizard.checklist import Status, StepRecord, status_label
from wizard.errors import InputError


def add_console_user(iam, name):  # noqa: F811
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Xx1!xxxxxxxxxxxx")


def give_mfa(iam, name):  # noqa: F811
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="234567")
    return serial


def test_live_read_lists_every_console_user_without_mfa(iam, aws):  # noqa: F811
    seed_users(iam)
    add_console_user(iam, "amy-console")
    aws.calls.clear()
    cov = mfa_coverage.read_coverage(aws)
    assert cov.without_mfa == ["amy-console", "zed-console"]
    assert sorted(cov.console_users) == ["amy-console", "carol-mfa", "zed-console"]
    assert not cov.done and cov.remaining == ["amy-console", "zed-console"]
    assert "iam:GetLoginProfile" in aws.calls and "iam:ListMFADevices" in aws.calls


def test_one_enrolment_is_not_done_while_others_lack_mfa(iam, aws):  # noqa: F811
    seed_users(iam)
    add_console_user(iam, "amy-console")
    serial = give_mfa(iam, "zed-console")
    evidence = mfa_coverage.with_enrolment({}, {"user": "zed-console", "serial": serial})
    status, evidence, note = mfa_coverage.outcome(mfa_coverage.read_coverage(aws), evidence)
    assert status == Status.PENDING
    assert evidence["remaining"] == ["amy-console"] and evidence["serial"] == serial
    assert "amy-console" in note

    serial2 = give_mfa(iam, "amy-console")
    evidence = mfa_coverage.with_enrolment(evidence, {"user": "amy-console", "serial": serial2})
    status, evidence, note = mfa_coverage.outcome(mfa_coverage.read_coverage(aws), evidence)
    assert status == Status.DONE and evidence["console_users_without_mfa"] == []
    assert [e["user"] for e in evidence["enrolled"]] == ["zed-console", "amy-console"]
    assert "no console user without MFA" in note
    assert status_label(StepRecord("iam_user_mfa", status, evidence=evidence)) == "done (verified)"


def test_done_when_every_remaining_user_is_skipped_with_a_reason(iam, aws):  # noqa: F811
    seed_users(iam)
    add_console_user(iam, "amy-console")
    with pytest.raises(InputError) as exc:
        mfa_coverage.skip({}, "amy-console", "   ")
    assert exc.value.field == "skip-reason"
    skipped = mfa_coverage.skip({}, "amy-console", "leaves on Friday; console access removed then")
    cov = mfa_coverage.read_coverage(aws, skipped)
    status, evidence, _ = mfa_coverage.outcome(cov, {})
    assert status == Status.PENDING and evidence["remaining"] == ["zed-console"]

    skipped = mfa_coverage.skip(evidence, "zed-console", "break-glass user, hardware token ordered")
    status, evidence, note = mfa_coverage.outcome(mfa_coverage.read_coverage(aws, skipped), evidence)
    assert status == Status.DONE and set(evidence["skipped"]) == {"amy-console", "zed-console"}
    assert "Skipped with a reason: 2" in note
    rec = StepRecord("iam_user_mfa", status, evidence=evidence)
    assert status_label(rec) == "done (verified), 2 console users skipped with a reason"


def test_verify_rereads_aws_and_a_new_console_user_reopens_the_step(iam, aws):  # noqa: F811
    add_console_user(iam, "amy-console")
    give_mfa(iam, "amy-console")
    ok, evidence = mfa_coverage.verify(aws, {})
    assert ok and evidence["console_users"] == 1
    add_console_user(iam, "new-hire")
    ok, evidence = mfa_coverage.verify(aws, evidence)
    assert not ok and evidence["remaining"] == ["new-hire"]


def test_a_skip_is_dropped_once_the_user_has_mfa(iam, aws):  # noqa: F811
    add_console_user(iam, "amy-console")
    skipped = mfa_coverage.skip({}, "amy-console", "on leave")
    give_mfa(iam, "amy-console")
    cov = mfa_coverage.read_coverage(aws, skipped)
    assert cov.done and cov.skipped == {}


def test_evidence_of_an_earlier_version_keeps_its_enrolment(iam, aws):  # noqa: F811
    old = {"user": "amy-console", "serial": "arn:aws:iam::123456789012:mfa/amy", "verified_by": "x"}
    _, evidence, _ = mfa_coverage.outcome(mfa_coverage.read_coverage(aws), old)
    assert evidence["enrolled"] == [{"user": "amy-console", "serial": "arn:aws:iam::123456789012:mfa/amy"}]


def test_a_skip_applies_to_the_last_read_without_reading_again(iam, aws):  # noqa: F811
    seed_users(iam)
    add_console_user(iam, "amy-console")
    cov = mfa_coverage.read_coverage(aws)
    aws.calls.clear()
    skipped = mfa_coverage.skip({}, "amy-console", "leaves on Friday")
    after = cov.with_skipped({**skipped, "carol-mfa": "has MFA: dropped", "nobody": "not a user"})
    assert aws.calls == []  # the operator's decision, not a change in AWS
    assert after.read_at == cov.read_at and after.users == cov.users
    assert after.skipped == {"amy-console": "leaves on Friday"} and after.remaining == ["zed-console"]
    assert cov.skipped == {}  # the read itself is unchanged
