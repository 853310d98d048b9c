import json
import os
import stat

from conftest import settle
from wizard.checklist import Status


async def test_connect_creates_session_and_shows_identity(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        text = str(screen.query_one("#identity").render())
        assert "123456789012" in text and "arn:aws:sts::123456789012:user/moto" in text
        assert screen.query_one("#root-warning").has_class("hidden")
        assert app.ctx.checklist.step("connect").status == Status.DONE
    path = tmp_path / "state" / "123456789012" / "session.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert doc["session"]["steps"][0]["evidence"]["account_id"] == "123456789012"


async def test_root_caller_warning(make_app, monkeypatch):
    from moto.sts.models import STSBackend

    monkeypatch.setattr(STSBackend, "get_caller_identity",
                        lambda self, key, region: ("123456789012", "arn:aws:iam::123456789012:root", "123456789012"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        warning = app.screen.query_one("#root-warning")
        assert not warning.has_class("hidden")
        assert "ROOT ACCESS KEYS" in str(warning.render())
        assert app.ctx.checklist.order()[-2] == "root_access_keys"
        steps = app.screen.query_one("#steps")  # the sidebar, rebuilt in the root caller's order
        assert [o.id for o in steps.options] == list(steps.labels) == app.ctx.checklist.order()
        assert "Root access keys" in steps.render_line(steps.get_option_index("root_access_keys") + 1).text


async def test_no_credentials_message_and_retry(tmp_path, monkeypatch):
    from screens.app import RootWizardApp
    from wizard.aws import AwsAccess, ConnectionSettings
    from wizard.context import WizardContext

    ctx = WizardContext(aws=AwsAccess(ConnectionSettings(region="us-east-1", max_attempts=1)),
                        state_dir=tmp_path / "state")
    app = RootWizardApp(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        err = app.screen.query_one("#error")
        assert not err.has_class("hidden")
        text = str(err.render())
        assert "No AWS credentials were found" in text and "--profile" in text
        assert not app.screen.query_one("#retry").has_class("hidden")
        assert "Connecting" not in str(app.screen.query_one("#connect-info").render())  # issue 17
        assert ctx.checklist is None
    assert not (tmp_path / "state").exists()
