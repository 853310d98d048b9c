"""WizardContext.change/finish: the one door for session changes (saved, or all undone)."""

from __future__ import annotations

import errno

import pytest

from wizard.aws import AwsAccess, ConnectionSettings, Identity
from wizard.checklist import Status
from wizard.context import WizardContext
from wizard.errors import InputError, SessionError

ARN = "arn:aws:iam::123456789012:user/ops"


@pytest.fixture
def ctx(tmp_path):
    c = WizardContext(aws=AwsAccess(ConnectionSettings(region="us-east-1")), state_dir=tmp_path)
    c.open_session(Identity("123456789012", ARN, "AIDA"))
    c.new_checklist()
    yield c
    c.close()


def disk_full(monkeypatch, ctx):
    def full(_checklist):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ctx.store, "save", full)


def test_change_saves_at_once(ctx):
    ctx.change("root_password", Status.CONFIRMED, note="done", source="operator")
    assert ctx.store.load().step("root_password").status == Status.CONFIRMED


def test_failed_save_rolls_back_the_whole_checklist(ctx, monkeypatch):
    ctx.change("contact_info", Status.SKIPPED, reason="finance owns it")
    before = ctx.checklist.to_json()
    disk_full(monkeypatch, ctx)
    with pytest.raises(OSError):
        ctx.change("credential_report", Status.DONE, source="aws", evidence={"rows": 3},
                   also=lambda cl: setattr(cl, "findings_before", {"findings": ["x"]}))
    assert ctx.checklist.to_json() == before  # the step, the findings and updated_at
    assert ctx.checklist.findings_before is None


def test_bad_change_changes_nothing(ctx):
    before = ctx.checklist.to_json()
    with pytest.raises(InputError):
        ctx.change("root_mfa", Status.SKIPPED, reason=" ")
    assert ctx.checklist.to_json() == before


def test_finish_stamps_once_when_every_step_is_closed(ctx, monkeypatch):
    assert ctx.finish() is False  # open steps: nothing to stamp
    for sid in ctx.checklist.order():
        if sid != "summary" and ctx.checklist.step(sid).status != Status.DONE:
            ctx.change(sid, Status.SKIPPED, reason="test")
    disk_full(monkeypatch, ctx)
    with pytest.raises(OSError):
        ctx.finish()
    assert ctx.checklist.finished_at is None
    monkeypatch.undo()
    assert ctx.finish() is True and ctx.store.load().finished_at == ctx.checklist.finished_at
    assert ctx.finish() is False


def test_read_only_session_refuses_changes(ctx):
    ctx.store.read_only = True
    with pytest.raises(SessionError):
        ctx.change("root_password", Status.CONFIRMED)
    assert ctx.finish() is False


def test_failed_save_restores_the_steps_and_shares_the_findings(ctx, monkeypatch):
    """The rollback copies the step records (a change sets them in place) but not the
    findings, which a change only ever replaces whole (a deep copy of 5,000 users' findings
    held the UI thread 0.1 to 0.2 s at every change)."""
    findings = {"user_count": 5000, "findings": [{"id": "x", "users": ["u"] * 100}]}
    ctx.change("credential_report", Status.CONFIRMED, source="file", evidence={"rows": 5001},
               also=lambda cl: setattr(cl, "findings_before", findings))
    before = ctx.checklist.to_json()
    disk_full(monkeypatch, ctx)
    with pytest.raises(OSError):
        ctx.change("credential_report", Status.DONE, source="aws", evidence={"rows": 3}, note="again",
                   also=lambda cl: setattr(cl, "findings_after", {"findings": []}))
    assert ctx.checklist.to_json() == before
    assert ctx.checklist.findings_before is findings and ctx.checklist.findings_after is None
    restored = ctx.checklist.step("credential_report")
    assert restored.status == Status.CONFIRMED and restored.evidence == {"rows": 5001}


def test_connecting_freezes_what_is_loaded_and_keeps_the_collector_on(tmp_path, moto_endpoint):
    import gc

    assert gc.get_freeze_count() == 0  # conftest unfreezes after every test
    c = WizardContext(aws=AwsAccess(ConnectionSettings(endpoint_url=moto_endpoint, region="us-east-1")),
                      state_dir=tmp_path)
    conn = c.connect_checked()
    assert conn.identity.account_id
    assert gc.isenabled() and gc.get_freeze_count() > 0
