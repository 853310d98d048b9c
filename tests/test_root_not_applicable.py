"""Issue 15 item 3 (live and TUI): a root user without credentials (centralized root
access) makes the root MFA, root access keys and root password steps "not applicable
(verified)", with GetAccountSummary as evidence; when AWS later shows credentials again,
they go back to pending."""

from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber

from conftest import settle, simulate
from wizard.aws import AwsAccess, ConnectionSettings, Identity
from wizard.checklist import CLOSED, NO_LONGER_NOT_APPLICABLE, STATUS_LABELS, Checklist, Status, verdict
from wizard.context import WizardContext
from wizard.session import SessionStore
from wizard.steps import STEPS, RootCredentials
from wizard.verify import check, read_root_credentials, root_credentials_from

ACCOUNT = "123456789012"
ARN = f"arn:aws:iam::{ACCOUNT}:user/ops"
ROOT_STEPS = ("root_mfa", "root_access_keys", "root_password")
NO_CREDS = {"AccountPasswordPresent": 0, "AccountAccessKeysPresent": 0, "AccountSigningCertificatesPresent": 0,
            "AccountMFAEnabled": 0}


def creds(password, keys, certs) -> RootCredentials:
    return RootCredentials(password, keys, certs, "2026-11-30T12:00:00+00:00")


# --- checklist ----------------------------------------------------------------------------


def test_not_applicable_is_a_closed_verified_status():
    assert Status("not_applicable") is Status.NOT_APPLICABLE
    assert STATUS_LABELS[Status.NOT_APPLICABLE] == "not applicable (verified): root has no credentials"
    assert Status.NOT_APPLICABLE in CLOSED
    cl = Checklist(account_id=ACCOUNT, caller_arn=ARN)
    for sid in ("connect", "credential_report", "password_policy", "contact_info"):
        cl.set_status(sid, Status.DONE)
    cl.set_status("root_mfa", Status.NOT_APPLICABLE, evidence=creds(0, 0, 0).evidence(), source="aws")
    assert cl.next_open() == "root_access_keys"
    assert cl.progress()[0] == 5
    back = Checklist.from_json(json.loads(json.dumps(cl.to_json())))
    assert back.step("root_mfa").status == Status.NOT_APPLICABLE
    assert back.to_json() == cl.to_json()


def test_every_status_has_a_label_and_a_plain_sidebar_mark():
    from screens.base import STATUS_MARKS

    assert set(STATUS_LABELS) == set(Status) == set(STATUS_MARKS)
    assert STATUS_MARKS[Status.NOT_APPLICABLE] == "[n/a]"


def test_verdict_not_applicable_and_its_loss():
    assert verdict(Status.PENDING, False, not_applicable=True) == (Status.NOT_APPLICABLE, "")
    assert verdict(Status.DONE, True, not_applicable=True) == (Status.NOT_APPLICABLE, "")
    assert verdict(Status.NOT_APPLICABLE, False) == (Status.PENDING, NO_LONGER_NOT_APPLICABLE)
    assert verdict(Status.PENDING, False) == (None, "")  # nothing claimed without a reason


def test_a_session_written_before_the_status_existed_still_loads(tmp_path):
    """The file an earlier version wrote (no not_applicable anywhere) loads unchanged, and
    a session with the new status written now loads again."""
    store = SessionStore(tmp_path, ACCOUNT)
    store.prepare()
    old = {"schema_version": 1, "session": {
        "account_id": ACCOUNT, "caller_arn": ARN, "started_at": "2026-11-24T10:00:00+00:00",
        "updated_at": "2026-11-24T10:20:00+00:00", "finished_at": None, "tool_version": "0.1.0",
        "sandbox": False, "findings_before": None, "findings_after": None,
        "steps": [{"id": "root_mfa", "status": "done", "changed_at": "2026-11-24T10:20:00+00:00",
                   "changed_by": ARN, "evidence": {"AccountMFAEnabled": 1, "source": "iam:GetAccountSummary"},
                   "evidence_source": "aws", "note": "", "reason": "", "error": ""},
                  {"id": "root_password", "status": "confirmed", "changed_at": None, "changed_by": None,
                   "evidence": {}, "evidence_source": "operator", "note": "", "reason": "", "error": ""}]}}
    store.path.write_text(json.dumps(old))
    cl = store.load()
    assert cl.step("root_mfa").status == Status.DONE
    assert cl.step("root_password").status == Status.CONFIRMED
    assert cl.step("root_access_keys").status == Status.PENDING
    cl.set_status("root_access_keys", Status.NOT_APPLICABLE, evidence=creds(0, 0, 0).evidence(), source="aws")
    store.save(cl)
    assert json.loads(store.path.read_text())["session"]["steps"][5]["status"] == "not_applicable"
    assert store.load().step("root_access_keys").status == Status.NOT_APPLICABLE


# --- reading AWS --------------------------------------------------------------------------


def test_root_credentials_need_all_three_flags_at_zero():
    assert root_credentials_from(NO_CREDS).none
    # moto's summary has no AccountPasswordPresent: unknown, never "no credentials"
    moto_like = {"AccountAccessKeysPresent": 0, "AccountSigningCertificatesPresent": 0, "AccountMFAEnabled": 0}
    read = root_credentials_from(moto_like)
    assert read.password is None and not read.none
    for key in ("AccountPasswordPresent", "AccountAccessKeysPresent", "AccountSigningCertificatesPresent"):
        assert not root_credentials_from({**NO_CREDS, key: 1}).none
    ev = read.evidence()
    assert ev["source"] == "iam:GetAccountSummary" and ev["read_at"]
    assert set(ev) >= {"AccountPasswordPresent", "AccountAccessKeysPresent", "AccountSigningCertificatesPresent"}


@pytest.fixture
def stubbed_iam(aws_env):
    from moto import mock_aws

    with mock_aws():
        aws = AwsAccess(ConnectionSettings(region="us-east-1"))
        stub = Stubber(aws._client("iam"))
        stub.activate()
        yield aws, stub
        stub.deactivate()


def test_check_reads_the_summary_once_and_closes_the_root_steps(stubbed_iam):
    aws, stub = stubbed_iam
    cl = Checklist(account_id=ACCOUNT, caller_arn=ARN)
    for sid in ROOT_STEPS:
        stub.add_response("get_account_summary", {"SummaryMap": NO_CREDS})
        seen = check(aws, cl.step(sid))
        assert seen.not_applicable and seen.ok
        assert seen.evidence["AccountPasswordPresent"] == 0
        assert seen.evidence["source"] == "iam:GetAccountSummary"
    stub.assert_no_pending_responses()  # one GetAccountSummary per check, verifier included


def test_check_with_credentials_is_the_step_verifier(stubbed_iam):
    aws, stub = stubbed_iam
    cl = Checklist(account_id=ACCOUNT, caller_arn=ARN)
    present = {**NO_CREDS, "AccountPasswordPresent": 1, "AccountMFAEnabled": 1}
    stub.add_response("get_account_summary", {"SummaryMap": present})
    seen = check(aws, cl.step("root_mfa"))
    assert seen.ok and not seen.not_applicable and seen.evidence["AccountMFAEnabled"] == 1
    # root password: no verifier; nothing is seen done
    stub.add_response("get_account_summary", {"SummaryMap": present})
    seen = check(aws, cl.step("root_password"))
    assert not seen.ok and not seen.not_applicable and seen.evidence["AccountPasswordPresent"] == 1
    # a step recorded not applicable: AWS no longer shows it so -> seen not done
    cl.set_status("root_access_keys", Status.NOT_APPLICABLE)
    stub.add_response("get_account_summary", {"SummaryMap": present})
    seen = check(aws, cl.step("root_access_keys"))
    assert not seen.ok and not seen.not_applicable
    assert verdict(Status.NOT_APPLICABLE, seen.ok)[0] == Status.PENDING


def test_stock_moto_root_is_never_not_applicable(aws_env):
    from moto import mock_aws

    with mock_aws():
        aws = AwsAccess(ConnectionSettings(region="us-east-1"))
        read = read_root_credentials(aws)
        assert read.password is None and not read.none
        seen = check(aws, Checklist(account_id=ACCOUNT).step("root_mfa"))
        assert not seen.not_applicable and not seen.ok
        assert aws.calls.count("iam:GetAccountSummary") == 2


# --- the session: one saved change per step -------------------------------------------------


@pytest.fixture
def ctx(tmp_path):
    c = WizardContext(aws=AwsAccess(ConnectionSettings(region="us-east-1")), state_dir=tmp_path)
    c.open_session(Identity(ACCOUNT, ARN, "AIDA"))
    c.new_checklist()
    yield c
    c.close()


def test_apply_root_credentials_closes_and_reopens_the_root_steps(ctx):
    ctx.change("root_password", Status.CONFIRMED, source="operator", note="changed it")
    ctx.change("root_mfa", Status.DONE, evidence={"AccountMFAEnabled": 1}, source="aws")
    none = creds(0, 0, 0)
    found = ctx.apply_root_credentials(none)
    assert found.lost == () and found.unknown == ()
    saved = ctx.store.load()
    for sid in ROOT_STEPS:
        rec = saved.step(sid)
        assert rec.status == Status.NOT_APPLICABLE and rec.evidence_source == "aws"
        assert rec.evidence == none.evidence()
    assert saved.step("root_password").note == "changed it"  # the operator's note is kept
    # Only the steps the registry marks: nothing else changed.
    marked = {s.id for s in STEPS if s.not_applicable_when is not None}
    assert marked == set(ROOT_STEPS)
    assert saved.step("contact_info").status == Status.PENDING
    # Read again, unchanged: nothing is written again.
    stamp = saved.step("root_mfa").changed_at
    assert ctx.apply_root_credentials(none).lost == ()
    assert ctx.store.load().step("root_mfa").changed_at == stamp
    # Unknown (the read failed): left as they were, reported.
    assert set(ctx.apply_root_credentials(None).unknown) == set(ROOT_STEPS)
    # Root has a password again: back to pending, with the reason.
    found = ctx.apply_root_credentials(creds(1, 0, 0))
    assert set(found.lost) == set(ROOT_STEPS)
    for sid in ROOT_STEPS:
        rec = ctx.store.load().step(sid)
        assert rec.status == Status.PENDING and rec.error == NO_LONGER_NOT_APPLICABLE
        assert rec.evidence["AccountPasswordPresent"] == 1


def test_credentials_present_leave_open_steps_alone(ctx):
    ctx.change("root_mfa", Status.WAITING, source="operator")
    assert ctx.apply_root_credentials(creds(1, 1, 0)).lost == ()
    assert ctx.checklist.step("root_mfa").status == Status.WAITING
    assert ctx.apply_root_credentials(creds(None, 0, 0)).lost == ()  # unknown password: not "none"
    assert ctx.checklist.step("root_access_keys").status == Status.PENDING


# --- the TUI on the sandbox --------------------------------------------------------------------


def sidebar(app) -> str:
    from screens.base import StepList

    return "\n".join(app.screen.query_one(StepList).labels.values())


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_sandbox_removal_makes_the_root_steps_not_applicable(make_app, size):
    from screens.dialogs import Choice
    from wizard.sandbox import start_sandbox

    sandbox = start_sandbox()
    app = make_app(sandbox=sandbox)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        assert all(app.ctx.checklist.step(s).status == Status.PENDING for s in ROOT_STEPS)
        app.goto("root_access_keys")
        await settle(app, pilot)
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, Choice)
        offered = str(app.screen.query_one("#dialog-text").render())
        assert "centralized root access" in offered and "signing certificates" in offered
        await pilot.click("#remove_root_credentials")
        await settle(app, pilot)
        assert sandbox.root_state.password_present is False and sandbox.root_state.access_keys == []
        saved = app.ctx.store.load()
        for sid in ROOT_STEPS:
            rec = saved.step(sid)
            assert rec.status == Status.NOT_APPLICABLE, sid
            assert rec.evidence_source == "aws"
            assert rec.evidence["AccountPasswordPresent"] == 0
            assert rec.evidence["AccountAccessKeysPresent"] == 0
            assert rec.evidence["AccountSigningCertificatesPresent"] == 0
            assert rec.evidence["source"] == "iam:GetAccountSummary" and rec.evidence["read_at"]
        assert "not applicable (verified): root has no credentials" in text(app, "#status-line")
        assert "Not applicable (verified)" in text(app, "#verify-result")
        shown = sidebar(app)
        for title in ("Root user MFA", "Root access keys", "Root password"):
            assert f"[n/a] {title}" in shown

        # The root password step says so too; a simulated recovery (the management account
        # allows it, root sets a password) brings every root step back to pending.
        app.goto("root_password")
        await settle(app, pilot)
        assert "Not applicable (verified)" in text(app, "#verify-result")
        await simulate(app, pilot)  # the step's own action: password recovery
        assert sandbox.root_state.password_present
        for sid in ROOT_STEPS:
            rec = app.ctx.checklist.step(sid)
            assert rec.status == Status.PENDING and rec.error == NO_LONGER_NOT_APPLICABLE, sid
        assert "[ ] Root user MFA" in sidebar(app)


async def test_connect_closes_the_root_steps_of_a_root_without_credentials(make_app):
    """A new session on an account whose root has no credentials: the connect read closes
    the three root steps, says so, and a resumed session where AWS no longer shows it sets
    them back to pending (stock moto has no AccountPasswordPresent: not "none")."""
    # What AWS answers for such an account (moto cannot: it has no AccountPasswordPresent).
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("wizard.context.read_root_credentials",
                   lambda aws: root_credentials_from({**aws.account_summary(), **NO_CREDS}))
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            for sid in ROOT_STEPS:
                assert app.ctx.checklist.step(sid).status == Status.NOT_APPLICABLE
            assert "root user has no credentials" in text(app, "#account-position")
            assert app.ctx.checklist.next_open() == "credential_report"
    app2 = make_app(resume=True)
    async with app2.run_test(size=(120, 40)) as pilot:
        await settle(app2, pilot)
        for sid in ROOT_STEPS:
            assert app2.ctx.checklist.step(sid).status == Status.PENDING
        info = text(app2, "#connect-info")
        assert "no longer shows" in info and "Root password" in info
