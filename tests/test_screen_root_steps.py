"""The root-user step screens, driven through the Pilot against a moto server (Stubber
only where moto lacks the API or cannot show the state)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from textual.widgets import Checkbox, Input

from conftest import open_step, settle, simulate
from test_rootflow import root_analysis
from wizard.checklist import Status, utcnow
from wizard.credreport import analyse, parse_report

ACCOUNT = "123456789012"


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def step(app, step_id: str):
    return app.ctx.checklist.step(step_id)


async def click(app, pilot, selector: str) -> None:
    """Scroll the widget into view and click it, then wait for any AWS work."""
    app.screen.query_one(selector).scroll_visible(animate=False)
    await pilot.pause()
    await pilot.click(selector)
    await settle(app, pilot)


def summary_stub(app, present: int, times: int) -> Stubber:
    stub = Stubber(app.ctx.aws._client("iam"))
    for _ in range(times):
        stub.add_response("get_account_summary",
                          {"SummaryMap": {"AccountAccessKeysPresent": present, "AccountMFAEnabled": 0}})
    stub.activate()
    return stub


# --- root access keys -------------------------------------------------------------------


async def test_root_keys_verified_by_moto_summary(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_step(app, pilot, "root_access_keys")
        # Opening the step shows what AWS has without recording anything.
        assert "AccountAccessKeysPresent = 0" in text(app, "#verify-result")
        assert step(app, "root_access_keys").status == Status.PENDING
        assert "credential report step" in text(app, "#key-usage")
        assert not app.screen.query("#self-warning")
        await click(app, pilot, "#verify")
        rec = step(app, "root_access_keys")
        assert rec.status == Status.DONE and rec.evidence_source == "aws"
        assert rec.evidence["AccountAccessKeysPresent"] == 0
        assert "Verified: done" in text(app, "#verify-result")


async def test_root_keys_present_stays_waiting(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        stub = summary_stub(app, present=1, times=3)
        app.ctx.analysis = root_analysis(utcnow())
        app.goto("root_access_keys")
        await settle(app, pilot)
        usage = text(app, "#key-usage")
        assert "Root key 1: active" in usage and "3 days ago" in usage and "ec2, eu-west-1" in usage
        # The operator says it is done; AWS still shows a key, so it is not "done".
        await click(app, pilot, "#console-done")
        rec = step(app, "root_access_keys")
        assert rec.status == Status.WAITING and rec.evidence["AccountAccessKeysPresent"] == 1
        assert "AccountAccessKeysPresent = 1" in text(app, "#verify-result")
        assert "waiting for verification" in text(app, "#verify-result")
        await click(app, pilot, "#verify")
        assert step(app, "root_access_keys").status == Status.WAITING
        stub.assert_no_pending_responses()


async def test_root_caller_is_told_deleting_keys_ends_the_session(make_app, monkeypatch):
    from moto.sts.models import STSBackend

    monkeypatch.setattr(STSBackend, "get_caller_identity",
                        lambda self, key, region: (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_step(app, pilot, "root_access_keys")
        warning = text(app, "#self-warning")
        assert "ends the wizard's own session" in warning and "ordered last" in warning
        assert app.ctx.checklist.order()[-2] == "root_access_keys"


async def test_sandbox_simulation_makes_verification_observable(make_app):
    from wizard.sandbox import start_sandbox

    app = make_app(sandbox=start_sandbox())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        content, _ = app.ctx.aws.fetch_credential_report()
        app.ctx.analysis = analyse(parse_report(content), utcnow())
        await open_step(app, pilot, "root_access_keys")
        assert "press F6" in text(app, "#sandbox-hint")
        # The sandbox root key was last used 2 days ago by EC2 in us-east-1.
        assert "Root key 1: active" in text(app, "#key-usage")
        assert "(2 days ago) by ec2, us-east-1" in text(app, "#key-usage")
        await click(app, pilot, "#verify")  # nothing done yet: nothing is claimed
        assert step(app, "root_access_keys").status == Status.PENDING
        assert "AccountAccessKeysPresent = 1" in text(app, "#verify-result")
        assert "Not done yet." in text(app, "#verify-result")
        await simulate(app, pilot)
        rec = step(app, "root_access_keys")
        assert rec.status == Status.DONE and rec.evidence["AccountAccessKeysPresent"] == 0


# --- root password -------------------------------------------------------------------------

CANDIDATE = "Tz9vQwLmN4pRx"


async def test_root_password_check_never_keeps_the_password(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_step(app, pilot, "root_password")
        assert app.screen.query_one("#candidate", Input).password
        await click(app, pilot, "#candidate")
        await pilot.press(*"abc", "enter")
        result = text(app, "#check-result")
        assert "Does not meet AWS's rules" in result and "8 to 128" in result
        assert app.screen.query_one("#candidate", Input).value == ""
        await click(app, pilot, "#candidate")
        await pilot.press(*CANDIDATE, "enter")
        await pilot.pause()
        assert "Meets AWS's rules" in text(app, "#check-result")
        assert app.screen.query_one("#candidate", Input).value == ""
        assert CANDIDATE not in repr(vars(app.screen))
        # Checking is not confirming: nothing was recorded.
        assert step(app, "root_password").status == Status.PENDING
        app.screen.query_one("#note", Input).value = "changed in 1Password vault"
        await click(app, pilot, "#console-done")
        rec = step(app, "root_password")
        assert rec.status == Status.CONFIRMED and rec.note == "changed in 1Password vault"
    saved = (tmp_path / "state" / ACCOUNT / "session.json").read_text()
    steps = {s["id"]: s for s in json.loads(saved)["session"]["steps"]}
    assert CANDIDATE not in saved and steps["root_password"]["status"] == "confirmed"


async def test_root_password_rule_uses_account_name(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_step(app, pilot, "root_password")
        app.screen.query_one("#account-name", Input).value = CANDIDATE
        app.screen.query_one("#candidate", Input).value = CANDIDATE
        await click(app, pilot, "#check")
        assert "must not be the account name" in text(app, "#check-result")
        await click(app, pilot, "#check")  # empty field: message next to it, nothing else
        assert "Type a candidate" in text(app, "#candidate-error")


async def test_note_with_control_character_is_refused_next_to_the_field(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_step(app, pilot, "root_password")
        app.screen.query_one("#note", Input).value = "bad\x07note"
        await click(app, pilot, "#console-done")
        assert "control characters" in text(app, "#note-error")
        assert step(app, "root_password").status == Status.PENDING


# --- alternate contacts -----------------------------------------------------------------

CONTACTS = {
    "security": ("Security Team", "SecOps", "security@example.com", "+1 206 555 0100"),
    "operations": ("Ops Team", "Operations", "ops@example.com", "+1 206 555 0101"),
    "billing": ("Billing Team", "Finance", "billing@example.com", "+1 206 555 0102"),
}


def fill(app, ctype: str, values) -> None:
    for field, value in zip(("name", "title", "email", "phone"), values):
        app.screen.query_one(f"#{ctype}-{field}", Input).value = value


async def test_alternate_contacts_written_and_read_back(make_app, moto_endpoint):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_step(app, pilot, "alternate_contacts")
        forms = [w.id for w in app.screen.query(".contact-form")]
        assert forms == ["form-security", "form-operations", "form-billing"]
        assert "Not set" in text(app, "#security-current")
        # A bad email is refused under its field and nothing is written.
        fill(app, "security", CONTACTS["security"][:2] + ("not-an-email", CONTACTS["security"][3]))
        await click(app, pilot, "#save-security")
        assert "email address" in text(app, "#security-email-error")
        client = boto3.client("account", endpoint_url=moto_endpoint, region_name="us-east-1")
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.get_alternate_contact(AlternateContactType="SECURITY")
        fill(app, "security", CONTACTS["security"])
        await click(app, pilot, "#save-security")
        assert app.screen.query_one("#security-email-error").has_class("hidden")
        assert "security@example.com" in text(app, "#security-current")
        assert "1 of 3 contacts are set" in text(app, "#verify-result")
        assert step(app, "alternate_contacts").status == Status.PENDING
        for ctype in ("operations", "billing"):
            fill(app, ctype, CONTACTS[ctype])
            await click(app, pilot, f"#save-{ctype}")
        rec = step(app, "alternate_contacts")
        assert rec.status == Status.DONE and rec.evidence_source == "aws"
        assert rec.evidence["present"] == {"SECURITY": True, "OPERATIONS": True, "BILLING": True}
    stored = client.get_alternate_contact(AlternateContactType="SECURITY")["AlternateContact"]
    assert stored["EmailAddress"] == "security@example.com" and stored["Name"] == "Security Team"


async def test_alternate_contacts_access_denied_falls_back_to_console(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        stub = Stubber(app.ctx.aws._client("account"))
        stub.add_client_error("get_alternate_contact", "AccessDeniedException", "not allowed",
                              http_status_code=403)
        stub.activate()
        app.goto("alternate_contacts")
        await settle(app, pilot)
        fallback = app.screen.query_one("#fallback")
        assert not fallback.has_class("hidden")
        shown = text(app, "#fallback")
        assert "console" in shown and "https://console.aws.amazon.com/billing/home#/account" in shown
        await click(app, pilot, "#console-done")
        rec = step(app, "alternate_contacts")
        assert rec.status == Status.CONFIRMED
        assert rec.evidence == {"set_in_console": True, "not_verifiable": "AccessDeniedException"}
        stub.assert_no_pending_responses()


# --- contact information --------------------------------------------------------------------


async def test_contact_information_shown_and_confirmed(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        stub = Stubber(app.ctx.aws._client("account"))
        stub.add_response("get_contact_information", {"ContactInformation": {
            "FullName": "Jordan Rivera", "AddressLine1": "1200 Example Avenue", "City": "Seattle",
            "PostalCode": "98101", "CountryCode": "US", "PhoneNumber": "+1-206-555-0142"}})
        stub.activate()
        app.goto("contact_info")
        await settle(app, pilot)
        shown = text(app, "#aws-contact")
        assert "Jordan Rivera" in shown and "+1-206-555-0142" in shown
        stub.assert_no_pending_responses()
        await click(app, pilot, "#console-done")  # boxes not ticked: refused next to them
        assert "Tick both" in text(app, "#reachable-error")
        assert step(app, "contact_info").status == Status.PENDING
        await click(app, pilot, "#email-ok")
        await click(app, pilot, "#phone-ok")
        assert app.screen.query_one("#phone-ok", Checkbox).value
        await click(app, pilot, "#console-done")
        rec = step(app, "contact_info")
        assert rec.status == Status.CONFIRMED and rec.evidence_source == "operator"
        assert rec.evidence["aws_contact_information"] == "read"


async def test_contact_information_unsupported_endpoint(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_step(app, pilot, "contact_info")
        shown = text(app, "#aws-contact")
        assert shown.startswith("AWS did not answer:") and "GetContactInformation" in shown
        assert app.screen.query_one("#error").has_class("hidden")


# --- skip, security questions, root usage ------------------------------------------------------


async def test_skip_requires_a_reason(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_step(app, pilot, "root_usage")
        await click(app, pilot, "#skip")
        await pilot.click("#skip-confirm")
        await pilot.pause()
        assert "Give a reason" in text(app, "#skip-reason-error")
        assert step(app, "root_usage").status == Status.PENDING
        await pilot.click("#skip-reason")
        await pilot.press(*"lab account", "enter")
        await settle(app, pilot)
        rec = step(app, "root_usage")
        assert rec.status == Status.SKIPPED and rec.reason == "lab account"
        assert "lab account" in text(app, "#status-line")


async def test_security_questions_retired(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_step(app, pilot, "security_questions")
        assert "5 January 2024" in text(app, "#why")
        assert not app.screen.query("#console-done")
        await click(app, pilot, "#retired")
        rec = step(app, "security_questions")
        assert rec.status == Status.RETIRED and rec.evidence["retired_by_aws_on"] == "2024-01-05"
        assert "retired by AWS" in text(app, "#status-line")
        await click(app, pilot, "#reviewed")
        assert step(app, "security_questions").status == Status.CONFIRMED


async def test_root_usage_shows_last_use_and_root_only_tasks(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.ctx.analysis = root_analysis(utcnow())
        app.goto("root_usage")
        await settle(app, pilot)
        usage = text(app, "#root-usage")
        assert "Root password last used:" in usage and "(10 days ago)" in usage
        assert "Close the AWS account" in text(app, "#root-tasks")
        await click(app, pilot, "#console-done")
        rec = step(app, "root_usage")
        assert rec.status == Status.CONFIRMED and rec.evidence["root_credentials_locked_away"]
        assert rec.evidence["root_password_last_used"] is not None


async def test_alternate_contacts_write_denied_still_verifies_by_reading(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        stub = Stubber(app.ctx.aws._client("account"))
        for _ in range(3):  # opening the step: nothing set yet
            stub.add_client_error("get_alternate_contact", "ResourceNotFoundException", http_status_code=404)
        stub.add_client_error("put_alternate_contact", "AccessDeniedException", http_status_code=403)
        for ctype in ("SECURITY", "OPERATIONS", "BILLING"):  # set in the console meanwhile
            stub.add_response("get_alternate_contact", {"AlternateContact": {
                "Name": "Team", "Title": "Lead", "EmailAddress": "team@example.com",
                "PhoneNumber": "+1 206 555 0100", "AlternateContactType": ctype}})
        stub.activate()
        app.goto("alternate_contacts")
        await settle(app, pilot)
        fill(app, "security", CONTACTS["security"])
        await click(app, pilot, "#save-security")
        assert "press Verify" in text(app, "#fallback")
        assert "Access denied" in text(app, "#error")
        await click(app, pilot, "#console-done")
        rec = step(app, "alternate_contacts")
        assert rec.status == Status.DONE and rec.evidence_source == "aws"
        stub.assert_no_pending_responses()


async def test_every_root_step_the_sandbox_simulates_says_so(make_app):
    """Issue 17: the root MFA page lacked the SANDBOX F6 line the other root pages show."""
    from screens.root_base import RootStepScreen
    from wizard.sandbox import start_sandbox
    from wizard.steps import SIMULATABLE

    sandbox = start_sandbox()
    try:
        app = make_app(sandbox=sandbox)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            shown = []
            for step_id in app.ctx.checklist.order():
                await open_step(app, pilot, step_id)
                if isinstance(app.screen, RootStepScreen) and step_id in SIMULATABLE:
                    assert "SANDBOX: press F6" in text(app, "#sandbox-hint"), step_id
                    shown.append(step_id)
            assert "root_mfa" in shown and len(shown) >= 4
    finally:
        sandbox.stop()
