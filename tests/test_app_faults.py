"""Faults from AWS on the connect step: a clear message naming the cause and the next
action, the step retryable, no session created or changed."""

import pytest
from botocore.stub import Stubber

from conftest import settle


@pytest.mark.parametrize("code,needle,hint", [
    ("ExpiredToken", "AWS rejected the credentials (ExpiredToken)", "Refresh them"),
    ("InvalidClientTokenId", "AWS rejected the credentials", "aws sso login"),
    ("AccessDenied", "may not call sts:GetCallerIdentity", "Grant sts:GetCallerIdentity"),
    ("Throttling", "throttling sts:GetCallerIdentity", "Wait a minute"),
])
async def test_connect_fault_is_shown_and_retryable(make_app, tmp_path, code, needle, hint):
    app = make_app()
    stub = Stubber(app.ctx.aws._client("sts"))
    stub.add_client_error("get_caller_identity", code, "injected")
    stub.activate()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        err = app.screen.query_one("#error")
        text = str(err.render())
        assert not err.has_class("hidden") and needle in text and hint in text
        assert app.ctx.checklist is None
        assert not (tmp_path / "state" / "123456789012" / "session.json").exists()
        stub.deactivate()  # the fault clears: Retry connects
        await pilot.click("#retry")
        await settle(app, pilot)
        assert app.screen.query_one("#error").has_class("hidden")
        assert app.ctx.checklist is not None
    assert (tmp_path / "state" / "123456789012" / "session.json").exists()


async def test_unreachable_endpoint_is_explained(tmp_path):
    from screens.app import RootWizardApp
    from wizard.aws import AwsAccess, ConnectionSettings
    from wizard.context import WizardContext

    settings = ConnectionSettings(endpoint_url="http://127.0.0.1:9", region="us-east-1", access_key_id="a",
                                  secret_access_key="b", max_attempts=1, connect_timeout=1, read_timeout=1)
    app = RootWizardApp(WizardContext(aws=AwsAccess(settings), state_dir=tmp_path / "state"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        text = str(app.screen.query_one("#error").render())
        assert "Cannot reach the AWS endpoint for sts" in text and "AWS_ENDPOINT_URL" in text
        assert not app.screen.query_one("#retry").has_class("hidden")


async def test_unusable_state_folder_is_explained(make_app, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder should be")
    app = make_app(state_dir=blocker / "state")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        text = str(app.screen.query_one("#error").render())
        assert "Cannot use the session folder" in text and "--state-dir" in text
        assert app.ctx.checklist is None
    assert blocker.read_text().startswith("a file")
