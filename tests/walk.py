"""A full walk of the sandbox through the TUI, as an operator would do it: used by the
end-to-end test and by the benchmark (which counts its API calls and times it)."""

from __future__ import annotations

import time
from typing import Any

import pyotp

from conftest import settle, simulate

ROOT_PASSWORD_CANDIDATE = "Corr3ct-Horse-Battery-Staple!"
CONTACT = {"name": "Sec Team", "title": "CISO", "email": "security@example.com", "phone": "+1 206 555 0100"}


async def press(app, pilot, selector: str) -> None:
    app.screen.query_one(selector).press()
    await settle(app, pilot)


async def goto(app, pilot, step: str) -> None:
    app.goto(step)
    await settle(app, pilot)
    assert app.screen.STEP_ID == step


def two_codes(seed: str) -> tuple[str, str]:
    totp, now = pyotp.TOTP(seed), time.time()
    return totp.at(now), totp.at(now + 30)


async def walk(app, pilot, export_path) -> dict[str, Any]:
    """Connect, report, policy, every root step (simulating the console actions), an IAM
    user's MFA enrolment (the other console users without MFA skipped) and the export.
    Returns the secrets the operator handled."""
    secrets: dict[str, str] = {}
    await settle(app, pilot)  # connect
    await goto(app, pilot, "credential_report")
    await press(app, pilot, "#fetch")

    await goto(app, pilot, "password_policy")
    await press(app, pilot, "#expiry-nist")
    await press(app, pilot, "#apply")

    await goto(app, pilot, "contact_info")
    app.screen.query_one("#email-ok").value = True
    app.screen.query_one("#phone-ok").value = True
    await press(app, pilot, "#console-done")

    for step in ("root_mfa", "root_access_keys"):
        await goto(app, pilot, step)
        await simulate(app, pilot)  # SANDBOX: simulate the console action, then verify
        await press(app, pilot, "#verify")

    await goto(app, pilot, "root_password")
    await pilot.click("#candidate")
    await pilot.press(*ROOT_PASSWORD_CANDIDATE)
    await press(app, pilot, "#check")
    secrets["root_password"] = ROOT_PASSWORD_CANDIDATE
    await press(app, pilot, "#console-done")

    await goto(app, pilot, "alternate_contacts")
    for t in ("security", "operations", "billing"):
        for field, value in CONTACT.items():
            app.screen.query_one(f"#{t}-{field}").value = value
        await press(app, pilot, f"#save-{t}")

    await goto(app, pilot, "security_questions")
    await press(app, pilot, "#retired")

    await goto(app, pilot, "root_usage")
    await press(app, pilot, "#console-done")

    await goto(app, pilot, "iam_user_mfa")
    await press(app, pilot, "#start")
    seed = app.screen._enrollment.seed  # the test's "phone" scans the QR code
    secrets["seed"] = seed
    code1, code2 = two_codes(seed)
    secrets["code1"], secrets["code2"] = code1, code2
    await press(app, pilot, "#reveal")  # shown on screen, never written anywhere
    app.screen.query_one("#code1").value = code1
    app.screen.query_one("#code2").value = code2
    await press(app, pilot, "#submit")
    # The step closes only when no console user is left without MFA: skip the others.
    for user in app.ctx.checklist.step("iam_user_mfa").evidence["remaining"]:
        app.screen.query_one("#user").value = user
        await press(app, pilot, "#skip")
        app.screen.query_one("#skip-reason").value = "enrolled in person next week"
        await press(app, pilot, "#skip-confirm")

    await goto(app, pilot, "summary")
    app.screen.query_one("#export-path").value = str(export_path)
    await press(app, pilot, "#export-json")
    app.screen.query_one("#export-path").value = str(export_path.with_suffix(".md"))
    await press(app, pilot, "#export-markdown")
    return secrets
