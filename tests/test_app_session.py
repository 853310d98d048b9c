"""Sessions through the app: quit and resume, a corrupt file, a session in use."""

import json

from conftest import settle
from screens.dialogs import Choice
from wizard.checklist import Status
from wizard.session import SessionStore

ACCOUNT = "123456789012"


async def _start(app, pilot):
    await settle(app, pilot)


async def test_quit_in_the_middle_and_resume(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.change_step("root_password", Status.CONFIRMED, note="changed in the console", source="operator")
        assert app.change_step("contact_info", Status.SKIPPED, reason="finance owns it")
        await pilot.press("ctrl+q")
    saved = SessionStore(tmp_path / "state", ACCOUNT).load()
    assert saved.step("root_password").status == Status.CONFIRMED

    app2 = make_app()
    async with app2.run_test(size=(120, 40)) as pilot:
        await settle(app2, pilot)
        assert isinstance(app2.screen, Choice)
        assert "Resume the saved session?" in str(app2.screen.query_one(".title").render())
        await pilot.click("#resume")
        await settle(app2, pilot)
        cl = app2.ctx.checklist
        assert cl.step("root_password").status == Status.CONFIRMED
        assert cl.step("root_password").note == "changed in the console"
        assert cl.step("contact_info").reason == "finance owns it"


async def test_resume_flag_resumes_without_asking_and_reverifies(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        # A step whose evidence came from AWS but that AWS no longer shows: set back on resume.
        app.change_step("root_mfa", Status.DONE, evidence={"AccountMFAEnabled": 1}, source="aws")
    app2 = make_app(resume=True)
    async with app2.run_test(size=(120, 40)) as pilot:
        await settle(app2, pilot)
        assert not isinstance(app2.screen, Choice)
        rec = app2.ctx.checklist.step("root_mfa")
        assert rec.status == Status.PENDING and "no longer shows" in rec.error
        info = str(app2.screen.query_one("#connect-info").render())
        assert "AWS no longer shows the result of: Root user MFA" in info  # the title, not the id
        assert "root_mfa" not in info


async def test_corrupt_session_is_moved_aside_never_overwritten(make_app, tmp_path):
    store = SessionStore(tmp_path / "state", ACCOUNT)
    store.prepare()
    store.path.write_text('{"schema_version": 1, "session": {"account_id": "1234')
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, Choice)
        assert "truncated" in str(app.screen.query_one("#dialog-text").render())
        assert store.path.read_text().endswith('"1234')  # untouched until the operator answers
        await pilot.click("#aside")
        await settle(app, pilot)
    aside = list(store.folder.glob("session.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text().endswith('"1234')
    assert json.loads(store.path.read_text())["session"]["account_id"] == ACCOUNT


async def test_future_schema_is_refused_and_kept(make_app, tmp_path):
    store = SessionStore(tmp_path / "state", ACCOUNT)
    store.prepare()
    store.path.write_text('{"schema_version": 7, "session": {"account_id": "123456789012"}}')
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "newer rootwizard" in str(app.screen.query_one("#dialog-text").render())
        await pilot.click("#quit")
        await pilot.pause()
    assert "schema_version\": 7" in store.path.read_text()


async def test_second_wizard_is_told_the_session_is_in_use(make_app, tmp_path):
    holder = SessionStore(tmp_path / "state", ACCOUNT)
    assert holder.lock()
    try:
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            assert isinstance(app.screen, Choice)
            assert "Another rootwizard" in str(app.screen.query_one("#dialog-text").render())
            await pilot.click("#readonly")
            await settle(app, pilot)
            assert app.ctx.store.read_only
            assert "READ-ONLY" in str(app.screen.query_one("#banner").render())
            assert not app.change_step("root_password", Status.CONFIRMED)
        assert not holder.path.exists()  # read-only: nothing written
    finally:
        holder.unlock()


async def test_resume_keeps_a_waiting_step_waiting(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.change_step("root_mfa", Status.WAITING, evidence={"AccountMFAEnabled": 0}, source="aws")
    app2 = make_app(resume=True)
    async with app2.run_test(size=(120, 40)) as pilot:
        await settle(app2, pilot)
        rec = app2.ctx.checklist.step("root_mfa")
        assert rec.status == Status.WAITING and not rec.error
