"""The summary screen at 80x24: the after-state read live, the residual risk, the export
closing the step (and the sidebar saying so), verify of the last export, a read failure."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager

from conftest import settle
from screens.base import short_time
from walk import goto, press
from wizard.checklist import Status


@asynccontextmanager
async def on_summary(make_app):
    """The app at 80x24 on the summary screen, its after-state read."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await goto(app, pilot, "summary")
        yield app, pilot


async def test_summary_reads_after_state_exports_and_verifies_at_80x24(make_app, tmp_path):
    async with on_summary(make_app) as (app, pilot):
        cl = app.ctx.checklist
        assert cl.after_state is not None and cl.after_state["account_id"] == "123456789012"
        residual = str(app.screen.query_one("#residual").render())
        assert "[CRITICAL] Root user has no MFA (root-mfa-missing" in residual  # moto: AccountMFAEnabled 0
        shown = str(app.screen.query_one("#after-state").render())  # issue 17: compact, local
        assert shown == f"After-state read from AWS at {short_time(cl.after_state['read_at'])}."
        assert "Not complete" in str(app.screen.query_one("#progress").render())
        out = tmp_path / "rec.json"
        app.screen.query_one("#export-path").value = str(out)
        await press(app, pilot, "#export-json")
        record = json.loads(out.read_text())
        summary = cl.step("summary")
        assert summary.status == Status.DONE and summary.evidence["body_sha256"] == record["body_sha256"]
        assert record["body"]["completion"]["all_done"] is False
        label = app.screen.query_one("#steps").labels["summary"]
        assert "(exported " in label
        await press(app, pilot, "#verify-export")
        checked = str(app.screen.query_one("#verify-result").render())
        assert "Body hash: OK" in checked and "Every verifiable step still holds" in checked
        # a tampered file is what verify reports first
        record["body"]["caller_arn"] = "arn:aws:iam::123456789012:user/someone-else"
        out.write_text(json.dumps(record))
        await press(app, pilot, "#verify-export")
        checked = str(app.screen.query_one("#verify-result").render())
        assert "Body hash: MISMATCH" in checked and "changed after it was exported" in checked


async def test_an_export_to_an_existing_file_changes_nothing(make_app, tmp_path):
    async with on_summary(make_app) as (app, pilot):
        taken = tmp_path / "taken.json"
        taken.write_text("keep")
        app.screen.query_one("#export-path").value = str(taken)
        await press(app, pilot, "#export-json")
        assert taken.read_text() == "keep"
        assert "already exists" in str(app.screen.query_one("#error").render())
        assert app.ctx.checklist.step("summary").status == Status.PENDING


async def test_an_after_state_that_cannot_be_saved_is_said_and_changes_nothing(make_app, monkeypatch):
    import errno

    async with on_summary(make_app) as (app, pilot):
        cl = app.ctx.checklist
        kept = cl.after_state

        def full(_checklist):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(app.ctx.store, "save", full)
        await press(app, pilot, "#reread")
        assert app.is_running
        error = str(app.screen.query_one("#error").render())
        assert "read but not saved: No space left on device" in error
        assert cl.after_state == kept
