"""Read-only means read-only: a wizard that opened the session read-only never sends an
operation that changes the account, whatever screen or button asks for it."""

from __future__ import annotations

import boto3
import pytest

from wizard.aws import AwsAccess, ConnectionSettings, is_read
from wizard.errors import ReadOnlyError
from wizard.policy import apply_policy, propose, read_policy

WRITES = [
    ("update_password_policy", ({"MinimumPasswordLength": 14},)),
    ("create_virtual_mfa_device", ("phone",)),
    ("enable_mfa_device", ("alice", "arn:aws:iam::123456789012:mfa/x", "123456", "234567")),
    ("delete_virtual_mfa_device", ("arn:aws:iam::123456789012:mfa/x",)),
    ("create_user", ("mallory",)),
    ("create_group", ("Admins",)),
    ("attach_group_policy", ("Admins", "arn:aws:iam::aws:policy/AdministratorAccess")),
    ("add_user_to_group", ("Admins", "alice")),
    ("put_alternate_contact", ("SECURITY", {"Name": "n", "Title": "t", "EmailAddress": "e@x.example",
                                            "PhoneNumber": "+1"})),
]


@pytest.fixture
def read_only(moto_endpoint):
    aws = AwsAccess(ConnectionSettings(endpoint_url=moto_endpoint, region="us-east-1", max_attempts=1))
    aws.read_only = True
    return aws


@pytest.mark.parametrize("method,args", WRITES, ids=[w[0] for w in WRITES])
def test_every_write_is_refused_before_it_is_sent(read_only, method, args):
    with pytest.raises(ReadOnlyError) as info:
        getattr(read_only, method)(*args)
    assert "read-only" in str(info.value) and info.value.action in str(info.value)
    assert read_only.calls == []  # never sent


def test_password_policy_apply_changes_nothing(read_only, moto_endpoint):
    current = read_policy(read_only)  # reads still work
    with pytest.raises(ReadOnlyError, match="iam:UpdateAccountPasswordPolicy"):
        apply_policy(read_only, propose(current), current)
    iam = boto3.client("iam", endpoint_url=moto_endpoint, region_name="us-east-1")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_account_password_policy()


def test_reads_pass():
    for op in ("GetAccountPasswordPolicy", "ListUsers", "GetCallerIdentity", "GenerateCredentialReport",
               "GetAlternateContact", "ListVirtualMFADevices"):
        assert is_read(op)
    for op in ("UpdateAccountPasswordPolicy", "PutAlternateContact", "CreateVirtualMFADevice",
               "EnableMFADevice", "DeleteVirtualMFADevice", "CreateUser", "AttachGroupPolicy",
               "DeleteAccessKey", "TagUser"):
        assert not is_read(op)


async def test_read_only_wizard_disables_every_write_and_says_why(make_app, tmp_path, moto_endpoint):
    from conftest import settle
    from screens.base import WriteButton
    from wizard.aws import READ_ONLY_REASON
    from wizard.session import SessionStore

    holder = SessionStore(tmp_path / "state", "123456789012")
    assert holder.lock()
    iam = boto3.client("iam", endpoint_url=moto_endpoint, region_name="us-east-1")
    try:
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            await pilot.click("#readonly")
            await settle(app, pilot)
            assert app.ctx.aws.read_only
            for step in ("password_policy", "alternate_contacts", "iam_user_mfa"):
                app.goto(step)
                await settle(app, pilot)
                buttons = list(app.screen.query(WriteButton))
                assert buttons, step
                for button in buttons:
                    assert button.disabled and button.tooltip == READ_ONLY_REASON, (step, button.id)
                    button.disabled = False  # a screen re-enabling it changes nothing
                    assert button.disabled
                assert "Read-only" in str(app.screen.query_one("#status-line").render())
            app.goto("password_policy")
            await settle(app, pilot)
            screen = app.screen
            screen._apply()  # even called directly, the AWS layer refuses it
            await settle(app, pilot)
            assert "read-only" in str(screen.query_one("#error").render())
        with pytest.raises(iam.exceptions.NoSuchEntityException):
            iam.get_account_password_policy()
    finally:
        holder.unlock()
