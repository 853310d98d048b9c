"""The root MFA companion step through the TUI (Pilot)."""

from __future__ import annotations

import time

import pyotp
import pytest
from botocore.stub import Stubber

from conftest import open_step, simulate
from test_screen_iam_mfa import decode, press, text_of, widget_image
from wizard.checklist import Status

SIZE = (120, 40)
KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def status(app):
    return app.ctx.checklist.step("root_mfa")


async def test_guidance_and_current_state(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(app, pilot, "root_mfa")
        body = " ".join(str(w.render()) for w in screen.query("#body Static"))
        for text in ("Assign MFA device", "Show secret key", "https://console.aws.amazon.com/iam/home#/security_credentials",
                     "passkey", "up to eight", "35 days", "email and phone"):
            assert text in body
        for text in ("passkey", "eight", "35 days"):  # said once, by the guidance (issue 17)
            assert body.count(text) == 1, text
        assert "AccountMFAEnabled = 0" in text_of(screen, "#verify-result")
        assert status(app).status == Status.PENDING  # looking is not a claim


async def test_verify_without_mfa_claims_nothing_and_says_what_aws_showed(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(app, pilot, "root_mfa")
        await press(app, pilot, screen, "#verify")
        assert status(app).status == Status.PENDING
        assert "AccountMFAEnabled = 0" in text_of(screen, "#verify-result")
        await press(app, pilot, screen, "#console-done")  # the operator's word: waiting, with what AWS showed
        rec = status(app)
        assert rec.status == Status.WAITING and rec.evidence_source == "aws"
        assert rec.evidence["AccountMFAEnabled"] == 0
        assert "waiting for verification" in text_of(screen, "#status-line")


async def test_operator_word_is_waiting_never_done(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(app, pilot, "root_mfa")
        await press(app, pilot, screen, "#console-done")
        rec = status(app)
        assert rec.status == Status.WAITING and "operator" in rec.note


async def test_verify_done_when_aws_shows_mfa(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(app, pilot, "root_mfa")
        with Stubber(app.ctx.aws._client("iam")) as stub:  # moto's AccountMFAEnabled is always 0
            stub.add_response("get_account_summary", {"SummaryMap": {"AccountMFAEnabled": 1}})
            await press(app, pilot, screen, "#verify")
            stub.assert_no_pending_responses()
        rec = status(app)
        assert rec.status == Status.DONE
        assert rec.evidence == {"AccountMFAEnabled": 1, "source": "iam:GetAccountSummary"}


async def test_skip_needs_a_reason(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(app, pilot, "root_mfa")
        await press(app, pilot, screen, "#skip")  # the shared skip dialog of the root steps
        dialog = app.screen
        await press(app, pilot, dialog, "#skip-confirm")
        assert "Give a reason" in text_of(dialog, "#skip-reason-error")
        assert status(app).status == Status.PENDING
        dialog.query_one("#skip-reason").value = "root is managed by the organization"
        await press(app, pilot, dialog, "#skip-confirm")
        assert status(app).status == Status.SKIPPED and status(app).reason.startswith("root is managed")


async def test_pasted_key_is_validated_drawn_and_codes_checked(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(app, pilot, "root_mfa")
        assert screen.query_one("#secret").password
        screen.query_one("#secret").value = "ABCD 0EFG HIJK LMNO"
        await press(app, pilot, screen, "#check-key")
        assert "not base32" in text_of(screen, "#secret-error")
        assert screen.query_one("#key-check").has_class("hidden")
        screen.query_one("#secret").value = " ".join(KEY[i:i + 4] for i in range(0, len(KEY), 4)).lower()
        await press(app, pilot, screen, "#check-key")
        assert text_of(screen, "#secret-error") == ""
        assert screen.query_one("#secret").value == ""
        assert not screen.query_one("#key-check").has_class("hidden")
        uri = decode(widget_image(screen.query_one("#qr")))
        assert uri == [f"otpauth://totp/Amazon%20Web%20Services:root@123456789012?secret={KEY}"
                       "&issuer=Amazon%20Web%20Services"]
        totp, now = pyotp.TOTP(KEY), time.time()
        screen.query_one("#code1").value = totp.at(now)
        screen.query_one("#code2").value = totp.at(now + 90)
        await press(app, pilot, screen, "#check-codes")
        assert "does not match" in text_of(screen, "#code2-error") or \
            "not the one right after" in text_of(screen, "#code2-error")
        screen.query_one("#code1").value = totp.at(now)
        screen.query_one("#code2").value = totp.at(now + 30)
        await press(app, pilot, screen, "#check-codes")
        assert "Both codes match" in text_of(screen, "#key-result")
        assert screen._key is None and screen.query_one("#qr").cells is None
        assert screen.query_one("#key-check").has_class("hidden")
        assert status(app).status == Status.PENDING  # codes checked locally: still not seen by AWS


async def test_sandbox_simulated_console_action_is_verified(make_app):
    from wizard.sandbox import start_sandbox

    sandbox = start_sandbox()
    app = make_app(sandbox=sandbox)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(app, pilot, "root_mfa")
        assert status(app).status == Status.PENDING
        await simulate(app, pilot)
        assert status(app).status == Status.DONE
        assert "AccountMFAEnabled = 1" in text_of(screen, "#verify-result")


@pytest.mark.parametrize("field", ["#secret"])
async def test_key_never_reaches_the_session(make_app, tmp_path, field):
    from wizard.redact import secret_forms

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(app, pilot, "root_mfa")
        screen.query_one(field).value = KEY
        await press(app, pilot, screen, "#check-key")
        await press(app, pilot, screen, "#console-done")
        assert status(app).status == Status.WAITING
    forms = secret_forms(KEY)
    for path in (tmp_path / "state").rglob("*"):
        if path.is_file():
            content = path.read_bytes().decode("utf-8", "replace")
            assert not [f for f in forms if f in content]
