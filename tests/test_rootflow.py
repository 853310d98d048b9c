"""wizard.rootflow without a screen: moto for the Account Management API it has,
botocore's Stubber for what moto cannot do (contact information, a bad read-back)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.stub import Stubber

from wizard import rootflow
from wizard.aws import AwsAccess, ConnectionSettings
from wizard.checklist import StepRecord
from wizard.credreport import NA, NOT_SUPPORTED, REPORT_COLUMNS, ROOT_USER, analyse, format_report_csv, parse_report
from wizard.errors import AwsError
from wizard.verify import alternate_contacts

NOW = datetime(2026, 8, 1, 12, 0, tzinfo=timezone.utc)
SECURITY = {"Name": "Security Team", "Title": "SecOps", "EmailAddress": "security@example.com",
            "PhoneNumber": "+1 206 555 0100"}


def root_analysis(now, *, keys=(("true", 1800, 3),), password_used: int | str = 10):
    """Analysis of a one-row credential report: the root user with ``keys`` given as
    (active, days since created, days since last used or None) and its password use."""
    stamp = lambda days: (now - timedelta(days=days)).replace(microsecond=0).isoformat()  # noqa: E731
    root = dict.fromkeys(REPORT_COLUMNS, NA)
    root.update(user=ROOT_USER, arn="arn:aws:iam::123456789012:root", user_creation_time=stamp(2000),
                password_enabled=NOT_SUPPORTED, password_last_changed=NOT_SUPPORTED,
                password_next_rotation=NOT_SUPPORTED, mfa_active="false", access_key_1_active="false",
                access_key_2_active="false", cert_1_active="false", cert_2_active="false",
                password_last_used=stamp(password_used) if isinstance(password_used, int) else password_used)
    for n, (active, created, used) in enumerate(keys, 1):
        p = f"access_key_{n}_"
        root.update({p + "active": active, p + "last_rotated": stamp(created)})
        if used is not None:
            root.update({p + "last_used_date": stamp(used), p + "last_used_region": "eu-west-1",
                         p + "last_used_service": "ec2"})
    return analyse(parse_report(format_report_csv([root])), now)


@pytest.fixture
def aws(moto_endpoint):
    return AwsAccess(ConnectionSettings(endpoint_url=moto_endpoint, region="us-east-1", max_attempts=1))


def test_describe_evidence():
    assert rootflow.describe_evidence({"AccountAccessKeysPresent": 1, "source": "iam:GetAccountSummary"}) \
        == "AccountAccessKeysPresent = 1 (from iam:GetAccountSummary)"
    text = rootflow.describe_evidence({"present": {"SECURITY": True, "BILLING": False}})
    assert text == "SECURITY contact set, BILLING contact not set"


def test_write_reads_back_and_matches_the_verifier(aws):
    contacts = rootflow.read_alternate_contacts(aws)
    assert list(contacts) == ["SECURITY", "OPERATIONS", "BILLING"] and not any(contacts.values())
    contacts = rootflow.write_alternate_contact(aws, "SECURITY", SECURITY)
    assert contacts["SECURITY"]["EmailAddress"] == "security@example.com"
    ok, evidence = rootflow.contacts_verdict(contacts)
    assert not ok and evidence["present"] == {"SECURITY": True, "OPERATIONS": False, "BILLING": False}
    # The same facts the resume re-verification records.
    assert (ok, evidence) == alternate_contacts(aws, StepRecord("alternate_contacts"))
    for ctype in ("OPERATIONS", "BILLING"):
        contacts = rootflow.write_alternate_contact(aws, ctype, SECURITY)
    assert rootflow.contacts_verdict(contacts)[0]
    assert "security@example.com" in rootflow.contact_text(contacts["SECURITY"])
    assert rootflow.contact_text(None) == "Not set."


def test_write_refuses_a_different_read_back(aws):
    stub = Stubber(aws._client("account"))
    stub.add_response("put_alternate_contact", {})
    stub.add_response("get_alternate_contact",
                      {"AlternateContact": {**SECURITY, "EmailAddress": "old@example.com"}})
    for _ in range(2):
        stub.add_client_error("get_alternate_contact", "ResourceNotFoundException", http_status_code=404)
    with stub, pytest.raises(AwsError, match="reads back different values \\(EmailAddress\\)"):
        rootflow.write_alternate_contact(aws, "SECURITY", SECURITY)


def test_contact_information_answered_denied_and_unsupported(aws):
    unsupported = rootflow.read_contact_information(aws)  # moto lacks the API
    assert unsupported.info is None and "does not support account:GetContactInformation" in unsupported.problem
    stub = Stubber(aws._client("account"))
    stub.add_response("get_contact_information", {"ContactInformation": {
        "FullName": "Jordan Rivera", "AddressLine1": "1 Main St", "City": "Seattle", "PostalCode": "98101",
        "CountryCode": "US", "PhoneNumber": "+1 206 555 0142"}})
    stub.add_client_error("get_contact_information", "AccessDeniedException", http_status_code=403)
    stub.add_client_error("get_contact_information", "ValidationException", http_status_code=400)
    with stub:
        answered = rootflow.read_contact_information(aws)
        lines = rootflow.contact_information_lines(answered.info)
        assert lines[0] == "Full name: Jordan Rivera" and "City:      Seattle, 98101, US" in lines
        denied = rootflow.read_contact_information(aws)
        assert denied.info is None and "Access denied" in denied.problem
        with pytest.raises(AwsError, match="ValidationException"):  # not a fallback: the error panel shows it
            rootflow.read_contact_information(aws)


def test_root_key_and_usage_lines():
    analysis = root_analysis(NOW, keys=(("true", 1800, 3), ("false", 400, None)))
    lines = rootflow.root_key_lines(analysis, NOW)
    assert lines[0].startswith("Root key 1: active, created ") and "1800 days old" in lines[0]
    assert "(3 days ago) by ec2, eu-west-1." in lines[0]
    assert lines[1].startswith("Root key 2: inactive") and lines[1].endswith("never used.")
    usage = rootflow.root_usage_lines(analysis, NOW)
    # the latest use of any root credential first: key 1, 3 days ago, beats the password's 10
    assert usage[0].startswith("Root last used: access key 1 last used ") and "by ec2 in eu-west-1" in usage[0]
    assert usage[1].endswith("(10 days ago).") and usage[2:] == lines
    evidence = rootflow.root_usage_evidence(analysis)
    assert evidence["root_password_last_used"].startswith("2026-07-22")
    assert evidence["root_access_keys_last_used"][1] == "N/A"
    assert evidence["root_last_used"] == {"credential": "access_key_1", "at": lines[0].split("last used ")[1][:25],
                                          "days_ago": 3}


def test_no_keys_no_sign_in_and_no_report():
    analysis = root_analysis(NOW, keys=(), password_used="no_information")
    assert rootflow.root_key_lines(analysis, NOW) == ["The credential report shows no root access keys."]
    assert rootflow.root_usage_lines(analysis, NOW)[1] == "Root password last used: never (no sign-in recorded)."
    assert rootflow.root_usage_lines(analysis, NOW)[0].startswith("Root last used: never")
    assert rootflow.root_usage_evidence(None) == {"credential_report": "not analysed in this run"}


def test_write_reads_back_only_the_written_type_when_the_others_are_known(aws_env):
    from moto import mock_aws

    from wizard.aws import AwsAccess, ConnectionSettings

    params = {"Name": "Sec", "Title": "CISO", "EmailAddress": "sec@example.com", "PhoneNumber": "+1 555 0100"}
    with mock_aws():
        aws = AwsAccess(ConnectionSettings(region="us-east-1"))
        known = rootflow.read_alternate_contacts(aws)
        before = len(aws.calls)
        contacts = rootflow.write_alternate_contact(aws, "SECURITY", params, known)
        assert aws.calls[before:] == ["account:PutAlternateContact", "account:GetAlternateContact"]
        assert contacts["SECURITY"]["EmailAddress"] == "sec@example.com"
        assert contacts["BILLING"] is None and contacts["OPERATIONS"] is None
