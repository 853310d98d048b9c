"""The connecting screen against an endpoint that accepts and never answers: it shows the
call, the attempt and the elapsed time, the operator can cancel at once, and the timeout
message names no command-line flag."""

from __future__ import annotations

import asyncio
import re

from conftest import settle
from test_aws_faults import Server, never_answers


def _app(url: str, state_dir, **timeouts):
    from screens.app import RootWizardApp
    from wizard.aws import AwsAccess, ConnectionSettings
    from wizard.context import WizardContext

    settings = ConnectionSettings(endpoint_url=url, region="us-east-1", access_key_id="a",
                                  secret_access_key="b", **timeouts)
    return RootWizardApp(WizardContext(aws=AwsAccess(settings), state_dir=state_dir))


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_progress_then_cancel(tmp_path):
    server = Server(never_answers)
    try:
        app = _app(server.url, tmp_path / "state", max_attempts=3, connect_timeout=0.5, read_timeout=1.5)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(100):  # the first second is quiet, then the wait is shown
                await asyncio.sleep(0.1)
                if not app.screen.query_one("#connect-progress").has_class("hidden"):
                    break
            progress = _text(app, "#connect-progress")
            assert re.search(r"Waiting for AWS \(sts:GetCallerIdentity\): attempt [12] of 3, \d+ s", progress)
            assert not app.screen.query_one("#cancel-connect").has_class("hidden")
            await pilot.click("#cancel-connect")
            await pilot.pause()
            assert "Cancelled" in _text(app, "#error")  # at once, not after the attempts
            assert not app.screen.query_one("#retry").has_class("hidden")
            assert app.screen.query_one("#connect-progress").has_class("hidden")
            assert app.ctx.checklist is None
    finally:
        server.close()


async def test_timeout_hint_names_no_cli_flag(tmp_path):
    server = Server(never_answers)
    try:
        app = _app(server.url, tmp_path / "state", max_attempts=1, connect_timeout=0.5, read_timeout=0.5)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            for _ in range(50):
                if not app.screen.query_one("#error").has_class("hidden"):
                    break
                await asyncio.sleep(0.1)
            shown = _text(app, "#error")
            assert "did not answer" in shown and "1 attempt" in shown
            assert not re.search(r"(^|\s)--[a-z]", shown)
    finally:
        server.close()
