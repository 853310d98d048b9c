"""The demo sandbox: a moto server seeded as a neglected account, with AWS-format
credential report, root state in GetAccountSummary and simulated console actions."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from wizard.credreport import NA, NO_INFORMATION, NOT_SUPPORTED, REPORT_COLUMNS, ROOT_USER
from wizard.errors import WizardError
from wizard.sandbox import SIMULATABLE, Sandbox, start_sandbox

NOW = datetime(2026, 11, 23, 18, 2, 11, tzinfo=UTC)


def iso(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@pytest.fixture
def sandbox():
    with start_sandbox(now=NOW) as sb:
        yield sb


def clients(sb: Sandbox, *services: str):
    session = sb.session()
    return [session.client(s, endpoint_url=sb.endpoint_url) for s in services]


def report(sb: Sandbox) -> tuple[list[str], dict[str, dict[str, str]], datetime]:
    (iam,) = clients(sb, "iam")
    assert iam.generate_credential_report()["State"] in {"STARTED", "COMPLETE"}
    got = iam.get_credential_report()
    reader = csv.DictReader(io.StringIO(got["Content"].decode()))
    rows = list(reader)
    by_user = {r["user"]: r for r in rows} | {"#first": rows[0]}
    return list(reader.fieldnames or []), by_user, got["GeneratedTime"]


def summary(sb: Sandbox) -> dict[str, int]:
    (iam,) = clients(sb, "iam")
    return iam.get_account_summary()["SummaryMap"]


def test_handle_and_caller_identity(sandbox):
    assert sandbox.region == "us-east-1"
    assert sandbox.endpoint_url.startswith("http://127.0.0.1:")
    sts, iam = clients(sandbox, "sts", "iam")
    ident = sts.get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{sandbox.account_id}:user/ops-admin" == sandbox.operator_arn
    assert ident["Account"] == sandbox.account_id
    attached = iam.list_attached_user_policies(UserName="ops-admin")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AdministratorAccess"]
    assert 9 <= len(iam.list_users()["Users"]) <= 12


def test_report_has_aws_format(sandbox):
    header, rows, generated = report(sandbox)
    assert tuple(header) == REPORT_COLUMNS
    root = rows["#first"]
    assert root["user"] == ROOT_USER
    assert root["arn"] == f"arn:aws:iam::{sandbox.account_id}:root"
    for column in ("password_enabled", "password_last_changed", "password_next_rotation"):
        assert root[column] == NOT_SUPPORTED
    assert root["mfa_active"] == "false"
    assert root["access_key_1_active"] == "true"
    assert root["access_key_1_last_used_region"] == "us-east-1"
    assert root["access_key_2_active"] == "false" and root["access_key_2_last_rotated"] == NA
    assert root["cert_1_active"] == "false" and root["cert_1_last_rotated"] == NA


def test_report_placeholders_as_aws_uses_them(sandbox):
    _, rows, _ = report(sandbox)
    dave = rows["dave.okafor"]  # console password never used
    assert dave["password_enabled"] == "true" and dave["password_last_used"] == NO_INFORMATION
    assert dave["password_last_changed"] == iso(60) and dave["password_next_rotation"] == NA
    ops = rows["ops-admin"]  # no password
    assert ops["password_enabled"] == "false"
    assert ops["password_last_used"] == ops["password_last_changed"] == NA
    erin = rows["erin.walsh"]  # console password deleted; last use kept; key inactive
    assert erin["password_enabled"] == "false" and erin["password_last_used"] == iso(305)
    assert erin["password_last_changed"] == NA
    assert erin["access_key_1_active"] == "false"
    assert erin["access_key_1_last_rotated"] == iso(500)
    assert erin["access_key_1_last_used_date"] == iso(310)
    assert erin["access_key_1_last_used_service"] == "iam"
    bob = rows["bob.martin"]  # two active keys: the old one used on s3, the new one never
    assert bob["access_key_1_last_rotated"] == iso(400) and bob["access_key_2_last_rotated"] == iso(10)
    assert bob["access_key_1_last_used_region"] == NA and bob["access_key_1_last_used_service"] == "s3"
    assert bob["access_key_2_active"] == "true"
    assert [bob[f"access_key_2_last_used_{c}"] for c in ("date", "region", "service")] == [NA] * 3
    carol = rows["carol.diaz"]  # console user with MFA, unused for > 90 days
    assert carol["mfa_active"] == "true" and carol["password_last_used"] == iso(121)
    assert carol["access_key_1_active"] == "false" and carol["access_key_1_last_rotated"] == NA
    svc = rows["svc-backup"]  # IAM path: friendly name in `user`, path in the arn
    assert svc["arn"] == f"arn:aws:iam::{sandbox.account_id}:user/service/svc-backup"
    assert rows["svc-ci-deploy"]["cert_1_active"] == "true"
    assert rows["svc-ci-deploy"]["cert_1_last_rotated"] == iso(1400)
    ages = {r["access_key_1_last_rotated"] for r in rows.values()}
    assert {iso(10), iso(120), iso(400)} <= ages


def test_generated_time_is_recent():
    with start_sandbox() as sb:
        _, _, generated = report(sb)
    assert abs(datetime.now(UTC) - generated) < timedelta(minutes=1)


def test_report_follows_live_state(sandbox):
    (iam,) = clients(sandbox, "iam")
    with pytest.raises(ClientError) as err:
        iam.get_account_password_policy()
    assert err.value.response["Error"]["Code"] == "NoSuchEntity"
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="dave.okafor")["VirtualMFADevice"]
    serial = device["SerialNumber"]
    iam.enable_mfa_device(UserName="dave.okafor", SerialNumber=serial,
                          AuthenticationCode1="111111", AuthenticationCode2="222222")
    old = min(iam.list_access_keys(UserName="bob.martin")["AccessKeyMetadata"], key=lambda k: k["CreateDate"])
    iam.delete_access_key(UserName="bob.martin", AccessKeyId=old["AccessKeyId"])
    iam.update_account_password_policy(MinimumPasswordLength=14, MaxPasswordAge=90)
    _, rows, _ = report(sandbox)
    assert rows["dave.okafor"]["mfa_active"] == "true"
    assert rows["bob.martin"]["access_key_1_last_rotated"] == iso(10)
    assert rows["bob.martin"]["access_key_2_active"] == "false"
    assert rows["dave.okafor"]["password_next_rotation"] == iso(60 - 90)


def test_account_summary_and_simulated_root_mfa(sandbox):
    before = summary(sandbox)
    assert before["AccountMFAEnabled"] == 0
    assert before["AccountAccessKeysPresent"] == 1
    assert before["AccountPasswordPresent"] == 1
    assert before["Users"] == len(clients(sandbox, "iam")[0].list_users()["Users"])

    assert "MFA" in sandbox.simulate("root_mfa")
    assert summary(sandbox)["AccountMFAEnabled"] == 1
    assert sandbox.root_state.mfa_enabled
    _, rows, _ = report(sandbox)
    assert rows[ROOT_USER]["mfa_active"] == "true"
    (iam,) = clients(sandbox, "iam")
    devices = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [d["User"]["Arn"] for d in devices if d["User"]["Arn"].endswith(":root")] == [
        f"arn:aws:iam::{sandbox.account_id}:root"]


def test_simulated_root_keys_password_and_contact(sandbox):
    assert len(sandbox.root_state.access_keys) == 1
    sandbox.simulate("root_access_keys")
    assert summary(sandbox)["AccountAccessKeysPresent"] == 0
    _, rows, _ = report(sandbox)
    assert rows[ROOT_USER]["access_key_1_active"] == "false"
    assert rows[ROOT_USER]["access_key_1_last_rotated"] == NA

    sandbox.simulate("root_password")
    state = sandbox.root_state
    assert state.password_present and state.password_last_changed is not None
    assert state.password_last_changed >= NOW
    assert summary(sandbox)["AccountPasswordPresent"] == 1
    assert sandbox.simulate("contact_info")
    assert set(SIMULATABLE) == {"root_mfa", "root_access_keys", "root_password", "contact_info"}
    assert all(label.startswith("simulate the console action") for label in SIMULATABLE.values())
    with pytest.raises(WizardError):
        sandbox.simulate("root_email")


def test_account_contacts(sandbox):
    (account,) = clients(sandbox, "account")
    with pytest.raises(ClientError) as err:
        account.get_alternate_contact(AlternateContactType="SECURITY")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    info = account.get_contact_information()["ContactInformation"]
    assert info["CountryCode"] == "US" and info["FullName"]
    account.put_contact_information(ContactInformation=dict(info, PhoneNumber="+1-206-555-0199"))
    assert account.get_contact_information()["ContactInformation"]["PhoneNumber"] == "+1-206-555-0199"


def test_stop_unpatches_and_sequential_runs_work():
    from moto.account import urls as account_urls
    from moto.iam.responses import IamResponse

    stock = IamResponse.get_credential_report
    first = start_sandbox(now=NOW)
    assert IamResponse.get_credential_report is not stock
    first.simulate("root_mfa")
    first.stop()
    first.stop()  # idempotent
    assert IamResponse.get_credential_report is stock
    assert not any("ContactInformation" in p for p in account_urls.url_paths)
    with start_sandbox(now=NOW) as second:  # fresh state, same account
        assert second.account_id == first.account_id
        assert summary(second)["AccountMFAEnabled"] == 0
        assert len(clients(second, "iam")[0].list_virtual_mfa_devices()["VirtualMFADevices"]) == 3


def test_two_sandboxes_at_once_are_separate():
    with start_sandbox(now=NOW) as one, start_sandbox(now=NOW) as two:
        assert one.account_id != two.account_id
        one.simulate("root_mfa")
        assert summary(one)["AccountMFAEnabled"] == 1
        assert summary(two)["AccountMFAEnabled"] == 0
        (sts,) = clients(two, "sts")
        assert sts.get_caller_identity()["Account"] == two.account_id


def test_server_writes_nothing_to_the_terminal():
    # A fresh interpreter: under pytest, the logging plugin's root handler hides the fault.
    code = """if True:
        from wizard.sandbox import start_sandbox
        with start_sandbox() as sb:
            iam = sb.session().client("iam", endpoint_url=sb.endpoint_url)
            iam.list_users()
            try:
                iam.list_organizations_features()  # not in moto: a 500 from the server
            except Exception:
                pass
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == out.stderr == ""


def test_simulate_after_stop_is_refused():
    sb = start_sandbox(now=NOW)
    sb.stop()
    with pytest.raises(WizardError):
        sb.simulate("root_mfa")


def test_importing_the_module_loads_neither_moto_nor_textual():
    code = ("import sys, wizard.sandbox; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'moto', 'textual'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_report_younger_than_four_hours_is_returned_again_as_aws_does(sandbox):
    (iam,) = clients(sandbox, "iam")
    _, rows, generated = report(sandbox)
    assert rows["dave.okafor"]["mfa_active"] == "false"
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="dave.okafor")["VirtualMFADevice"]
    iam.enable_mfa_device(UserName="dave.okafor", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1="111111", AuthenticationCode2="222222")
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    _, again, generated_again = report(sandbox)
    assert generated_again == generated and again["dave.okafor"]["mfa_active"] == "false"
    with sandbox._lock:  # four hours on: the kept report is now old enough to be replaced
        sandbox._report = (sandbox._report[0], sandbox._report[1] - timedelta(hours=4))
    _, fresh, generated_fresh = report(sandbox)
    assert fresh["dave.okafor"]["mfa_active"] == "true" and generated_fresh >= generated
