"""Issue 15 items 5 and 6: the sandbox hands out its credential report as AWS does, and
keeps its account state in the state folder, restored on the next --demo (no secret in
it); --reset starts a fresh one and says so."""

from __future__ import annotations

import json
import os
import stat

import pytest

from wizard.cli import main
from wizard.sandbox import DEMO_ACCOUNT_ID, REPORT_REUSE, start_sandbox
from wizard.sandbox.state import snapshot
from wizard.session import SandboxStore, SessionLock


def iam_of(sb):
    return sb.session().client("iam", endpoint_url=sb.endpoint_url)


def state_of(sb):
    """The snapshot without what moves by itself (the time of saving, the operator's own
    key use: every call of this test uses it)."""
    with sb._lock:
        doc = snapshot(sb)
    doc.pop("saved_at")
    for user in doc["users"]:
        if user["name"] == "ops-admin":
            for key in user["access_keys"]:
                key.update(last_used=None, last_used_service=None, last_used_region=None)
    return doc


def change_everything(sb):
    iam = iam_of(sb)
    iam.update_account_password_policy(MinimumPasswordLength=14, PasswordReusePrevention=24,
                                       RequireSymbols=True)
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="dave.okafor")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="dave.okafor", SerialNumber=serial,
                          AuthenticationCode1="482913", AuthenticationCode2="771204")
    iam.create_virtual_mfa_device(VirtualMFADeviceName="left-over")  # unassigned
    old = min(iam.list_access_keys(UserName="bob.martin")["AccessKeyMetadata"], key=lambda k: k["CreateDate"])
    iam.delete_access_key(UserName="bob.martin", AccessKeyId=old["AccessKeyId"])
    iam.create_group(GroupName="Admins")
    iam.attach_group_policy(GroupName="Admins", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_user(UserName="admin")
    iam.add_user_to_group(GroupName="Admins", UserName="admin")
    sb.session().client("account", endpoint_url=sb.endpoint_url).put_alternate_contact(
        AlternateContactType="SECURITY", EmailAddress="sec@example.com", Name="Sec", PhoneNumber="+1 206 555 0100",
        Title="CISO")
    sb.simulate("root_mfa")
    sb.simulate("root_access_keys")
    return serial


def test_report_younger_than_four_hours_is_returned_again():
    with start_sandbox() as sb:
        iam = iam_of(sb)
        assert iam.generate_credential_report()["State"] == "STARTED"
        first = iam.get_credential_report()
        iam.update_account_password_policy(MinimumPasswordLength=14)
        iam.delete_login_profile(UserName="bob.martin")
        assert iam.generate_credential_report()["State"] == "COMPLETE"
        again = iam.get_credential_report()
        assert again["GeneratedTime"] == first["GeneratedTime"] and again["Content"] == first["Content"]
        sb._epoch += REPORT_REUSE
        assert iam.generate_credential_report()["State"] == "COMPLETE"
        new = iam.get_credential_report()
        assert new["GeneratedTime"] > first["GeneratedTime"] and new["Content"] != first["Content"]


def test_state_is_restored_on_the_next_start_without_a_secret(tmp_path):
    with start_sandbox(state_dir=tmp_path) as sb:
        assert "New sandbox account" in sb.notice
        serial = change_everything(sb)
        iam = iam_of(sb)
        iam.generate_credential_report()
        report = iam.get_credential_report()
        before, rows = state_of(sb), sb.report_rows()
    path = tmp_path / DEMO_ACCOUNT_ID / "sandbox.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    for secret in ("Demo-password-1!", "482913", "771204", sb.secret_access_key, "Base32StringSeed"):
        assert secret not in text
    assert json.loads(text)["sandbox_state_version"] == 1

    with start_sandbox(state_dir=tmp_path) as again:
        assert "restored as saved at" in again.notice
        assert state_of(again) == before
        assert [r for r in again.report_rows() if r["user"] != "ops-admin"] == \
            [r for r in rows if r["user"] != "ops-admin"]
        iam = iam_of(again)
        assert iam.generate_credential_report()["State"] == "COMPLETE"  # the saved report, as AWS would
        assert iam.get_credential_report()["GeneratedTime"] == report["GeneratedTime"]
        summary = iam.get_account_summary()["SummaryMap"]
        assert summary["AccountMFAEnabled"] == 1 and summary["AccountAccessKeysPresent"] == 0
        assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="dave.okafor")["MFADevices"]] == [serial]
        assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 14
        seeds = {d["SerialNumber"]: d["Base32StringSeed"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]}
        assert serial in seeds and "left-over" in " ".join(seeds)
        sts = again.session().client("sts", endpoint_url=again.endpoint_url)
        assert sts.get_caller_identity()["Arn"].endswith(":user/ops-admin")
        assert again.secret_access_key != sb.secret_access_key  # a new secret, never saved


def test_reset_sets_the_state_and_session_aside_and_starts_fresh(tmp_path):
    with start_sandbox(state_dir=tmp_path) as sb:
        change_everything(sb)
    session = tmp_path / DEMO_ACCOUNT_ID / "session.json"
    session.write_text("{}")
    with start_sandbox(state_dir=tmp_path, reset=True) as fresh:
        assert fresh.notice.startswith("Fresh sandbox (--reset)")
        assert "sandbox.json.reset-" in fresh.notice and "session.json.reset-" in fresh.notice
        assert fresh.root_state.mfa_enabled is False
        assert not session.exists()
    kept = sorted(p.name for p in (tmp_path / DEMO_ACCOUNT_ID).iterdir())
    assert any(n.startswith("sandbox.json.reset-") for n in kept)
    assert any(n.startswith("session.json.reset-") for n in kept) and "sandbox.json" in kept


def test_a_damaged_state_is_set_aside_and_the_sandbox_starts_fresh(tmp_path):
    with start_sandbox(state_dir=tmp_path):
        pass
    path = tmp_path / DEMO_ACCOUNT_ID / "sandbox.json"
    doc = json.loads(path.read_text())
    del doc["users"][0]["access_keys"]
    path.write_text(json.dumps(doc))
    with start_sandbox(state_dir=tmp_path) as sb:
        assert "could not be restored" in sb.notice and "starts fresh" in sb.notice
        assert len(iam_of(sb).list_users()["Users"]) == 11
    path.write_text("{not json")
    with start_sandbox(state_dir=tmp_path) as sb:
        assert "not valid JSON" in sb.notice and "starts fresh" in sb.notice


def test_a_second_rootwizard_neither_restores_over_nor_resets_the_first(tmp_path):
    with start_sandbox(state_dir=tmp_path):
        pass
    holder = SessionLock(tmp_path / DEMO_ACCOUNT_ID, SandboxStore.LOCK)
    assert holder.acquire()
    try:
        before = (tmp_path / DEMO_ACCOUNT_ID / "sandbox.json").read_bytes()
        with start_sandbox(state_dir=tmp_path) as sb:
            assert "Another rootwizard is using the saved sandbox" in sb.notice
            iam_of(sb).update_account_password_policy(MinimumPasswordLength=20)
        assert (tmp_path / DEMO_ACCOUNT_ID / "sandbox.json").read_bytes() == before
        with pytest.raises(Exception, match="cannot be reset now"):
            start_sandbox(state_dir=tmp_path, reset=True)
    finally:
        holder.release()


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_demo_keeps_the_sandbox_and_reset_says_so(capsys, tmp_path):
    state = ("--state-dir", str(tmp_path))
    code, _, err = run(capsys, "password-policy", "--demo", *state, "--apply", "--yes")
    assert code == 0 and "SANDBOX: New sandbox account" in err
    code, out, err = run(capsys, "password-policy", "--demo", *state, "--json")
    assert code == 0 and "restored as saved at" in err
    assert json.loads(out)["current"]["MinimumPasswordLength"] == 14
    code, out, err = run(capsys, "password-policy", "--demo", "--reset", *state, "--json")
    assert code == 0 and "SANDBOX: Fresh sandbox (--reset)" in err
    assert json.loads(out)["current"] is None
    code, _, err = run(capsys, "password-policy", "--reset", *state)
    assert code == 2 and "use it with --demo" in err


def demo_app(state_dir, *, resume=False, reset=False):
    from screens.app import RootWizardApp
    from wizard.aws import AwsAccess, ConnectionSettings
    from wizard.context import WizardContext

    ctx = WizardContext(aws=AwsAccess(ConnectionSettings(max_attempts=2)), state_dir=state_dir,
                        demo=True, reset=reset)
    return RootWizardApp(ctx, resume=resume)


async def test_a_resumed_sandbox_session_keeps_its_verified_steps(tmp_path):
    """Issue 15 item 6 through the TUI: `--demo` twice; the second run resumes the session
    and AWS (the restored sandbox) still shows every verified step. Then --reset."""
    from conftest import settle, simulate
    from wizard.checklist import Status

    async def goto(app, pilot, step):
        app.goto(step)
        await settle(app, pilot)

    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "SANDBOX: New sandbox account" in str(app.screen.query_one("#sandbox-state").render())
        await goto(app, pilot, "password_policy")
        app.screen.query_one("#apply").press()
        await settle(app, pilot)
        await goto(app, pilot, "root_mfa")
        await simulate(app, pilot)  # F6: the step's own console action
        app.screen.query_one("#verify").press()
        await settle(app, pilot)
        verified = {sid for sid, rec in app.ctx.checklist.steps.items() if rec.status == Status.DONE}
        assert {"password_policy", "root_mfa"} <= verified
    assert app.ctx.sandbox is None  # stopped on exit

    app = demo_app(tmp_path, resume=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        info = str(app.screen.query_one("#connect-info").render())
        assert "every verified step was confirmed again in AWS" in info, info
        assert "restored as saved at" in str(app.screen.query_one("#sandbox-state").render())
        assert {sid for sid, rec in app.ctx.checklist.steps.items() if rec.status == Status.DONE} == verified

    app = demo_app(tmp_path, reset=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "Fresh sandbox (--reset)" in str(app.screen.query_one("#sandbox-state").render())
        assert app.ctx.checklist.step("password_policy").status == Status.PENDING
