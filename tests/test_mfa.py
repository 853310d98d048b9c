"""wizard.mfa against moto: choosing users, the first administrator, enrolment,
cleanup of unassigned devices, and `rootwizard mfa enroll` on a (faked) terminal."""

from __future__ import annotations

import time

import boto3
import pyotp
import pytest
from botocore.stub import Stubber
from keyring.backends import fail

from wizard import cli, mfa
from wizard.aws import AwsAccess, ConnectionSettings
from wizard.errors import AlreadyExistsError, InputError, InvalidCodeError, NotFoundError
from wizard.keystore import SeedBackup
from wizard.qr import HALF_BLOCK
from wizard.totp import CodeRejected, group4


@pytest.fixture
def iam(moto_endpoint):
    return boto3.client("iam", region_name="us-east-1", endpoint_url=moto_endpoint)


@pytest.fixture
def aws(moto_endpoint):
    return AwsAccess(ConnectionSettings(endpoint_url=moto_endpoint, region="us-east-1", max_attempts=2))


@pytest.fixture
def admin_policy(moto_endpoint):
    """moto loads no AWS managed policies by default: add AdministratorAccess, as the
    sandbox does, to the test account's IAM backend (the server runs in this process)."""
    from moto.iam.models import AWSManagedPolicy, iam_backends

    from wizard.sandbox.seed import _ADMIN_POLICY

    policy = AWSManagedPolicy.from_data("AdministratorAccess", "123456789012", "us-east-1", _ADMIN_POLICY)
    iam_backends["123456789012"]["global"].managed_policies[policy.arn] = policy


def seed_of(iam, serial: str) -> str:
    """moto (unlike AWS) returns the seed in ListVirtualMFADevices: the test's 'phone'."""
    for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]:
        if d["SerialNumber"] == serial:
            seed = d["Base32StringSeed"]
            return seed.decode() if isinstance(seed, bytes) else seed
    raise AssertionError(f"no device {serial}")


def two_codes(seed: str) -> tuple[str, str]:
    totp, now = pyotp.TOTP(seed), time.time()
    return totp.at(now), totp.at(now + 30)


def unassigned(iam) -> list[str]:
    return [d["SerialNumber"] for d in
            iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]]


def seed_users(iam) -> None:
    iam.create_user(UserName="zed-console")
    iam.create_login_profile(UserName="zed-console", Password="Xx1!xxxxxxxxxxxx")
    iam.create_user(UserName="bob-keys")
    iam.create_user(UserName="carol-mfa")
    iam.create_login_profile(UserName="carol-mfa", Password="Xx1!xxxxxxxxxxxx")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="carol")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="carol-mfa", SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="234567")


def test_candidates_console_users_without_mfa_first(iam, aws):
    seed_users(iam)
    users = mfa.candidate_users(aws)
    assert [u.name for u in users] == ["zed-console", "bob-keys", "carol-mfa"]
    assert users[0].console and not users[0].has_mfa and "NO MFA" in users[0].label
    assert users[2].has_mfa


def test_admin_plan_executes_each_action_then_is_empty(iam, aws, admin_policy):
    plan = mfa.plan_admin_user(aws, "admin")
    assert [a.kind for a in plan] == ["create_user", "create_group", "attach_policy", "add_member"]
    assert "AdministratorAccess" in plan[2].text and "'Admins'" in plan[1].text
    for action in plan:
        mfa.execute_admin_action(aws, action)
    assert mfa.plan_admin_user(aws, "admin") == []
    groups = iam.list_groups_for_user(UserName="admin")["Groups"]
    assert [g["GroupName"] for g in groups] == ["Admins"]
    policies = iam.list_attached_group_policies(GroupName="Admins")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in policies] == [mfa.ADMIN_POLICY_ARN]


def test_admin_plan_for_existing_user_and_group_without_policy(iam, aws):
    iam.create_user(UserName="ops")
    iam.create_group(GroupName="Admins")
    assert [a.kind for a in mfa.plan_admin_user(aws, "ops")] == ["attach_policy", "add_member"]


@pytest.mark.parametrize("name", ["", "bad name", "x" * 65, "é"])
def test_bad_user_names_are_refused_with_field(aws, name):
    with pytest.raises(InputError) as exc:
        mfa.plan_admin_user(aws, name)
    assert exc.value.field == "user"


def test_enrol_complete_and_verify(iam, aws):
    iam.create_user(UserName="alice")
    enrollment = mfa.start_enrollment(aws, "alice", "")
    assert enrollment.device_name == "alice"
    seed = seed_of(iam, enrollment.serial)
    assert seed not in repr(enrollment)
    assert enrollment.uri.startswith("otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=")
    assert group4(seed) == enrollment.secret_text()
    evidence = mfa.complete(aws, enrollment, *two_codes(seed))
    assert evidence == {"user": "alice", "serial": enrollment.serial, "verified_by": "iam:ListMFADevices"}
    assert not enrollment.active
    devices = iam.list_mfa_devices(UserName="alice")["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == [enrollment.serial]


def test_wrong_codes_are_rejected_locally_and_cancel_deletes_the_device(iam, aws):
    iam.create_user(UserName="alice")
    enrollment = mfa.start_enrollment(aws, "alice", "phone")
    code1, code2 = two_codes(seed_of(iam, enrollment.serial))
    wrong = f"{(int(code2) + 1) % 1_000_000:06d}"
    with pytest.raises(CodeRejected) as exc:
        mfa.complete(aws, enrollment, code1, wrong)
    assert exc.value.field == "code2"
    assert "enable_mfa_device" not in " ".join(aws.calls).lower()
    assert unassigned(iam) == [enrollment.serial]  # still there for another pair
    mfa.cancel(aws, enrollment)
    assert unassigned(iam) == [] and not enrollment.active and enrollment.deleted


def test_unknown_user_creates_nothing(iam, aws):
    with pytest.raises(NotFoundError):
        mfa.start_enrollment(aws, "ghost", "ghost")
    assert unassigned(iam) == []


def test_aws_rejecting_the_codes_deletes_the_device(iam, aws):
    iam.create_user(UserName="alice")
    enrollment = mfa.start_enrollment(aws, "alice", "phone")
    codes = two_codes(seed_of(iam, enrollment.serial))
    with Stubber(aws._client("iam")) as stub:  # moto accepts any codes
        stub.add_client_error("enable_mfa_device", "InvalidAuthenticationCode", "Authentication code for "
                              "the MFA device is not valid.", 403, expected_params={
                                  "UserName": "alice", "SerialNumber": enrollment.serial,
                                  "AuthenticationCode1": codes[0], "AuthenticationCode2": codes[1]})
        stub.add_response("delete_virtual_mfa_device", {}, {"SerialNumber": enrollment.serial})
        with pytest.raises(InvalidCodeError) as exc:
            mfa.complete(aws, enrollment, *codes)
        stub.assert_no_pending_responses()
    assert "rejected the two MFA codes" in str(exc.value)
    assert enrollment.deleted and not enrollment.active


def test_name_clash_offers_a_free_name(iam, aws):
    iam.create_user(UserName="alice")
    iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")
    iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-2")
    with pytest.raises(AlreadyExistsError):
        mfa.start_enrollment(aws, "alice", "alice")
    assert mfa.free_device_name(aws, "alice") == "alice-3"


def test_orphans_found_and_deleted(iam, aws):
    seed_users(iam)  # carol's device is assigned
    orphan = iam.create_virtual_mfa_device(VirtualMFADeviceName="crashed")["VirtualMFADevice"]["SerialNumber"]
    assert mfa.find_orphans(aws) == [orphan]
    assert mfa.delete_orphans(aws, [orphan]) == [orphan]
    assert mfa.find_orphans(aws) == []
    assert len(iam.list_virtual_mfa_devices()["VirtualMFADevices"]) == 1


def test_seed_backup_without_keyring_says_so(iam, aws):
    iam.create_user(UserName="alice")
    enrollment = mfa.start_enrollment(aws, "alice", "alice")
    result = enrollment.backup(SeedBackup(fail.Keyring()))
    assert not result.saved and "no usable keyring" in result.message
    mfa.cancel(aws, enrollment)


# --- rootwizard mfa enroll -----------------------------------------------------------------


class Terminal:
    """Answers the CLI's prompts; codes come from the 'phone' (moto's copy of the seed)."""

    def __init__(self, iam, answers: dict[str, list]) -> None:
        self.iam, self.answers, self.prompts = iam, answers, []

    def __call__(self, prompt: str = "") -> str:
        self.prompts.append(prompt)
        key = next(k for k in self.answers if prompt.startswith(k))
        answer = self.answers[key].pop(0) if len(self.answers[key]) > 1 else self.answers[key][0]
        if isinstance(answer, BaseException):
            raise answer
        if answer in ("code1", "code2"):
            serial = unassigned(self.iam)[-1]
            return two_codes(seed_of(self.iam, serial))[answer == "code2"]
        return answer


@pytest.fixture
def terminal(monkeypatch, iam, tmp_path):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("LINES", "30")

    def install(answers):
        term = Terminal(iam, answers)
        monkeypatch.setattr("builtins.input", term)
        return term

    return install


def run_cli(tmp_path, *extra):
    return cli.main(["mfa", "enroll", "--state-dir", str(tmp_path / "state"), *extra])


def test_cli_enrol_prints_qr_and_serial(iam, terminal, tmp_path, capsys):
    iam.create_user(UserName="alice")
    term = terminal({"Show the secret": ["n"], "Code 1": ["code1"], "Code 2": ["code2"]})
    assert run_cli(tmp_path, "--user", "alice", "--device-name", "alice-phone") == 0
    out = capsys.readouterr().out
    serial = "arn:aws:iam::123456789012:mfa/alice-phone"
    assert f"MFA enabled for alice: {serial}" in out
    assert HALF_BLOCK in out and "\x1b[48;5;231m" in out  # QR drawn, light quiet zone
    assert "Secret key" not in out
    assert term.prompts[-2:] == ["Code 1: ", "Code 2: "]
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="alice")["MFADevices"]] == [serial]


def test_cli_shows_secret_on_request_and_reprompts_after_a_rejected_pair(iam, terminal, tmp_path, capsys):
    iam.create_user(UserName="alice")
    terminal({"Show the secret": ["y"], "Code 1": ["12345", "code1"], "Code 2": ["000000", "code2"]})
    assert run_cli(tmp_path, "--user", "alice") == 0
    out = capsys.readouterr().out
    seed = None
    for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]:
        seed = d["Base32StringSeed"].decode()
    assert f"Secret key: {group4(seed)}" in out
    assert "Rejected: a code is 6 digits: got 5" in out
    assert out.count("Code 1") == 0  # prompts go through input(), not print


def test_cli_small_terminal_says_how_big_instead_of_drawing(iam, terminal, tmp_path, capsys, monkeypatch):
    iam.create_user(UserName="alice")
    terminal({"Show the secret": ["y"], "Code 1": ["code1"], "Code 2": ["code2"]})
    monkeypatch.setenv("LINES", "20")
    assert run_cli(tmp_path, "--user", "alice") == 0
    out = capsys.readouterr().out
    assert HALF_BLOCK not in out and "too small to show the QR code: it needs 49×25" in out
    assert "Secret key: " in out


def test_cli_refuses_without_a_terminal(iam, tmp_path, capsys, monkeypatch):
    iam.create_user(UserName="alice")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert run_cli(tmp_path, "--user", "alice") == 2
    assert "interactive terminal" in capsys.readouterr().err
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


@pytest.mark.parametrize("stop, code", [(EOFError(), 1), (KeyboardInterrupt(), 130)])
def test_cli_cancel_deletes_the_device(iam, terminal, tmp_path, capsys, stop, code):
    iam.create_user(UserName="alice")
    terminal({"Show the secret": ["n"], "Code 1": [stop]})
    assert run_cli(tmp_path, "--user", "alice") == code
    err = capsys.readouterr().err
    assert "cancelled; the unassigned device arn:aws:iam::123456789012:mfa/alice was deleted" in err
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


def test_cli_too_many_wrong_pairs_exits_1_without_orphan(iam, terminal, tmp_path, capsys):
    iam.create_user(UserName="alice")
    terminal({"Show the secret": ["n"], "Code 1": ["000000"], "Code 2": ["111111"]})
    assert run_cli(tmp_path, "--user", "alice") == 1
    captured = capsys.readouterr()
    assert captured.out.count("Rejected:") == 5
    assert "too many rejected codes" in captured.err and len(captured.err.strip().splitlines()) == 1
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


def test_cli_unknown_user_and_name_clash(iam, terminal, tmp_path, capsys):
    terminal({"Show the secret": ["n"], "Code 1": ["code1"], "Code 2": ["code2"], "A virtual": [""]})
    assert run_cli(tmp_path, "--user", "ghost") == 1
    assert capsys.readouterr().err.startswith("rootwizard: ")
    iam.create_user(UserName="alice")
    iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")
    assert run_cli(tmp_path, "--user", "alice") == 0
    assert "mfa/alice-2 (seen with iam:ListMFADevices)" in capsys.readouterr().out


def test_cli_bad_device_name_is_input_error(iam, terminal, tmp_path, capsys):
    terminal({})
    assert run_cli(tmp_path, "--user", "alice", "--device-name", "no spaces") == 2
    assert "device name" in capsys.readouterr().err


def test_pasted_root_key_is_checked_and_dropped():
    key = "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp"
    pasted = mfa.PastedKey(key, "123456789012")
    assert pasted.uri == ("otpauth://totp/Amazon%20Web%20Services:root@123456789012"
                          "?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services")
    assert "JBSW" not in repr(pasted)
    totp, now = pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"), time.time()
    pasted.check.check(totp.at(now), totp.at(now + 30))
    pasted.wipe()
    assert not pasted.active and "wiped" in repr(pasted)
    with pytest.raises(InputError) as exc:
        mfa.PastedKey("JBSWY3DPEHPK3PX1", "123456789012")
    assert exc.value.field == "secret" and "JBSW" not in str(exc.value)


def test_qr_label_uses_the_account_alias_like_aws(moto_endpoint):
    import boto3

    from wizard.aws import AwsAccess, ConnectionSettings

    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto_endpoint)
    iam.create_user(UserName="carol")
    iam.create_account_alias(AccountAlias="acme-prod")
    aws = AwsAccess(ConnectionSettings(endpoint_url=moto_endpoint, region="us-east-1"))
    enrollment = mfa.start_enrollment(aws, "carol", "carol-phone")
    try:
        assert "Amazon%20Web%20Services:carol-phone@acme-prod?secret=" in enrollment.uri
        assert enrollment.account_id == "123456789012"  # the keyring entry still names the account
    finally:
        mfa.cancel(aws, enrollment)


# --- the screen's side: the admin set-up and the enrolment holder -----------------------------


def test_admin_setup_is_walked_one_confirmed_action_at_a_time(aws, admin_policy):
    setup = mfa.plan_admin_setup(aws, "admin")
    assert [a.kind for a in setup.pending] == ["create_user", "create_group", "attach_policy", "add_member"]
    first = setup.next
    mfa.execute_admin_action(aws, first)
    setup.made(first)
    assert setup.next.kind == "create_group"
    assert setup.stop() == 3 and setup.next is None


def test_holder_deletes_a_device_created_after_the_screen_left(aws, iam):
    import threading

    iam.create_user(UserName="alice")
    holder, create = mfa.EnrollmentHolder(), aws.create_virtual_mfa_device
    entered, release = threading.Event(), threading.Event()

    def slow(name):
        entered.set()
        release.wait(10)
        return create(name)

    aws.create_virtual_mfa_device = slow
    worker = threading.Thread(target=lambda: holder.start(aws, "alice", "alice", account_id="123456789012"))
    worker.start()
    assert entered.wait(10)
    holder.close(aws)  # leaving while CreateVirtualMFADevice is in flight
    assert unassigned(iam) == []
    release.set()
    worker.join(10)
    assert unassigned(iam) == []  # the call that created it deleted it


def test_holder_close_deletes_the_idle_enrolment_and_keeps_an_enabled_one(aws, iam):
    iam.create_user(UserName="alice")
    iam.create_user(UserName="bob")
    left, done = mfa.EnrollmentHolder(), mfa.EnrollmentHolder()
    left.start(aws, "alice", "alice", account_id="123456789012")
    enrolled = done.start(aws, "bob", "bob", account_id="123456789012")
    done.complete(aws, enrolled, *two_codes(seed_of(iam, enrolled.serial)))
    left.close(aws)
    done.close(aws)
    done.cancel(aws, enrolled)  # too late: it is enabled, nothing is deleted
    assert unassigned(iam) == []
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="bob")["MFADevices"]] == [enrolled.serial]
