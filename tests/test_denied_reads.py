"""One denied read does not block a step: with iam:GetLoginProfile (or
iam:ListMFADevices) denied and no credential report this run, the IAM-user MFA step
still lists every user and says what is missing and which permission would show it.
AccessDenied comes from moto's own IAM policy enforcement."""

from __future__ import annotations

import json

import boto3
import pytest

from wizard import mfa
from wizard.aws import AwsAccess, ConnectionSettings


def _iam(endpoint: str, **kw):
    return boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", **kw)


@pytest.fixture
def operator_denied(moto_endpoint, monkeypatch):
    """An operator allowed everything except the given actions, moto enforcing IAM."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    def make(*actions: str) -> AwsAccess:
        admin = _iam(moto_endpoint)
        for name, console, with_mfa in (("zed-console", True, False), ("bob-keys", False, False),
                                        ("carol-mfa", True, True)):
            admin.create_user(UserName=name)
            if console:
                admin.create_login_profile(UserName=name, Password="Xx1!xxxxxxxxxxxx")
            if with_mfa:
                serial = admin.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
                admin.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="123456",
                                        AuthenticationCode2="234567")
        admin.create_user(UserName="operator")
        admin.put_user_policy(UserName="operator", PolicyName="partial", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                          {"Effect": "Deny", "Action": list(actions), "Resource": "*"}]}))
        key = admin.create_access_key(UserName="operator")["AccessKey"]
        monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
        monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
        return AwsAccess(ConnectionSettings(endpoint_url=moto_endpoint, region="us-east-1", max_attempts=1,
                                            access_key_id=key["AccessKeyId"],
                                            secret_access_key=key["SecretAccessKey"]))

    return make


def test_denied_get_login_profile_still_lists_every_user(operator_denied):
    aws = operator_denied("iam:GetLoginProfile")
    users = mfa.candidate_users(aws)
    assert {u.name for u in users} == {"zed-console", "bob-keys", "carol-mfa", "operator"}
    assert all(u.console is None for u in users)
    assert users[-1].name == "carol-mfa" and users[-1].has_mfa is True  # MFA still known
    assert "console password unknown" in users[0].label and "NO MFA" in users[0].label
    assert aws.calls.count("iam:GetLoginProfile") == 1  # asked once, not once per user
    note = mfa.missing_facts(users)
    assert "iam:GetLoginProfile" in note and "sign in with a password" in note and "Grant" in note


def test_denied_list_mfa_devices_too(operator_denied):
    aws = operator_denied("iam:GetLoginProfile", "iam:ListMFADevices")
    users = mfa.candidate_users(aws)
    assert len(users) == 4 and all(u.console is None and u.has_mfa is None for u in users)
    assert all("MFA unknown" in u.label for u in users)
    note = mfa.missing_facts(users)
    assert "iam:GetLoginProfile" in note and "iam:ListMFADevices" in note


def test_complete_list_has_no_note(operator_denied):
    users = mfa.candidate_users(operator_denied("iam:DeleteAccountAlias"))
    assert [u.name for u in users][:2] == ["zed-console", "bob-keys"] and mfa.missing_facts(users) == ""


async def test_the_mfa_step_lists_users_and_says_what_is_missing(operator_denied, make_app, monkeypatch):
    from textual.widgets import OptionList

    from conftest import settle

    aws = operator_denied("iam:GetLoginProfile")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", aws.settings.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", aws.settings.secret_access_key)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.ctx.checklist is not None and app.ctx.analysis is None  # no report this run
        app.goto("iam_user_mfa")
        await settle(app, pilot)
        screen = app.screen
        assert screen.query_one("#error").has_class("hidden")  # no "Access denied" for the step
        options = screen.query_one("#users", OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert len(labels) == 4 and any(label.startswith("zed-console") for label in labels)
        note = str(screen.query_one("#users-note").render())
        assert not screen.query_one("#users-note").has_class("hidden")
        assert "iam:GetLoginProfile" in note and "Grant" in note
        assert not screen.query_one("#start").disabled  # enrolment stays possible
