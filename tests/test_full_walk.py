"""The whole sandbox, connect to export, through the TUI; then no secret anywhere on disk."""

from __future__ import annotations

import json
import logging

import keyring
import pytest
from keyring.backends import fail

from walk import walk
from wizard.checklist import Status
from wizard.record import verify_record
from wizard.redact import secret_forms
from wizard.sandbox import start_sandbox


@pytest.fixture
def sandbox():
    sb = start_sandbox()
    yield sb
    sb.stop()


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """HOME, XDG folders, the state folder and the working directory all in tmp_path."""
    monkeypatch.chdir(tmp_path)
    keyring.set_keyring(fail.Keyring())
    yield tmp_path
    keyring.set_keyring(keyring.backends.chainer.ChainerBackend())
    logger = logging.getLogger("rootwizard")
    for handler in logger.handlers[:]:
        logger.removeHandler(handler)
        handler.close()


async def test_full_sandbox_walk_and_no_secret_on_disk(make_app, sandbox, isolated):
    from wizard.redact import setup_log_file

    log_path = isolated / "debug.log"
    setup_log_file(str(log_path))
    app = make_app(sandbox=sandbox)
    export = isolated / "record.json"
    async with app.run_test(size=(120, 40)) as pilot:
        secrets = await walk(app, pilot, export)
        assert "SANDBOX" in str(app.screen.query_one("#banner").render())
        cl = app.ctx.checklist
        status = {sid: cl.step(sid).status for sid in cl.order()}
    # every step closed, and each with the kind of outcome it can honestly have
    assert status["connect"] == status["credential_report"] == status["password_policy"] == Status.DONE
    assert status["root_mfa"] == status["root_access_keys"] == status["alternate_contacts"] == Status.DONE
    assert status["iam_user_mfa"] == Status.DONE
    assert status["contact_info"] == status["root_password"] == status["root_usage"] == Status.CONFIRMED
    assert status["security_questions"] == Status.RETIRED

    record = json.loads(export.read_text())
    assert verify_record(record)
    steps = {s["id"]: s for s in record["body"]["steps"]}
    assert steps["root_mfa"]["evidence"]["AccountMFAEnabled"] == 1
    assert steps["iam_user_mfa"]["evidence"]["serial"].startswith(f"arn:aws:iam::{sandbox.account_id}:mfa/")
    assert record["body"]["findings_before"]["root"]["mfa_active"] is False
    assert export.with_suffix(".md").read_text().startswith("# AWS account security record")

    # No secret, in any encoding, in any file under HOME, XDG, state dir, cwd, the log.
    secrets["aws_secret_access_key"] = sandbox.secret_access_key
    files = [p for p in isolated.rglob("*") if p.is_file()]
    assert log_path in files and any(p.name == "session.json" for p in files)
    assert any(p.name.startswith("credential-report-") for p in files)
    for name, value in secrets.items():
        forms = secret_forms(value)
        if name == "seed":
            forms |= secret_forms(" ".join(value[i:i + 4] for i in range(0, len(value), 4)))
        for path in files:
            text = path.read_bytes().decode("utf-8", "replace")
            hits = [f for f in forms if f in text]
            assert not hits, f"{name} found in {path} as {hits[:1]}"
