"""Shared fixtures: an isolated environment, AWS dummy credentials, a moto server."""

from __future__ import annotations

import sys

import pytest


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """No test reads the developer's AWS config or writes to the real state folder."""
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "ROOTWIZARD_STATE_DIR"):
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "aws-config-absent"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials-absent"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for var in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))


@pytest.fixture(autouse=True)
def _unfrozen_heap():
    """The app freezes what is alive once connected and once a report is loaded
    (wizard.heap.freeze_long_lived): in one long test process that would keep every
    earlier test's garbage, so each test ends with the collector's usual generations and
    the collector enabled."""
    import gc

    yield
    gc.unfreeze()
    assert gc.isenabled(), "a test left the garbage collector disabled"


@pytest.fixture
def aws_env(monkeypatch):
    """Dummy credentials for in-process moto (mock_aws)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.fixture(scope="session")
def moto_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto_endpoint(moto_server, monkeypatch):
    """A reset moto server reached through AWS_ENDPOINT_URL, as the app runs it."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).read()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return moto_server


@pytest.fixture
def make_app(tmp_path, moto_endpoint):
    """Build the app against the moto server (AWS calls run in worker threads)."""

    def _make(*, sandbox=None, resume=False, state_dir=None):
        from screens.app import RootWizardApp
        from wizard.aws import AwsAccess, ConnectionSettings
        from wizard.context import WizardContext

        if sandbox is not None:
            settings = sandbox.connection_settings(max_attempts=2)
        else:
            settings = ConnectionSettings(endpoint_url=moto_endpoint, region="us-east-1", max_attempts=2)
        ctx = WizardContext(aws=AwsAccess(settings), state_dir=state_dir or tmp_path / "state", sandbox=sandbox)
        return RootWizardApp(ctx, resume=resume)

    return _make


async def settle(app, pilot, rounds: int = 5):
    """Wait for thread workers and the messages they post (a result may start another)."""
    from textual.worker import WorkerCancelled, WorkerFailed

    for _ in range(rounds):
        try:
            await app.workers.wait_for_complete()
        except (WorkerCancelled, WorkerFailed):
            pass
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            await pilot.pause()
            if not any(w.is_running for w in app.workers):
                return


async def open_step(app, pilot, step_id: str):
    """Let the app settle, open the step ``step_id`` and settle again: its screen."""
    await settle(app, pilot)
    app.goto(step_id)
    await settle(app, pilot)
    return app.screen


async def wait_until(predicate, pilot, seconds: float = 20.0):
    """Pause the app until ``predicate()`` holds (a worker or a debounce timer on a loaded
    machine can take a while); fail after ``seconds``."""
    import time

    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.1)


async def simulate(app, pilot, action: str | None = None) -> None:
    """SANDBOX: press F6 on the current step and, when it offers more than one simulation,
    choose ``action`` (default: the step's own console action); then wait for the reads."""
    from screens.dialogs import Choice

    step_id = app.screen.STEP_ID
    await pilot.press("f6")
    await pilot.pause()
    if isinstance(app.screen, Choice):
        await pilot.click(f"#{action or step_id}")
    await settle(app, pilot)


@pytest.fixture
def endpoint_org(monkeypatch):
    """A sandbox organisation the CLI reaches like AWS: AWS_ENDPOINT_URL and the
    management account operator's keys in the environment."""
    from wizard.org_sandbox import start_org_sandbox

    sb = start_org_sandbox()
    monkeypatch.setenv("AWS_ENDPOINT_URL", sb.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", sb.management.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sb.management.secret_access_key)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    yield sb
    sb.stop()
