"""The whole sandbox walk with the keyboard alone, at 80x24 (a jump host's terminal): no
click, no focus or value set by the test; every key counted (tests/keyboard.py).

Before the keys of issue 17 (Tab or shift+Tab to every button, ctrl+n) this walk took 265
keys, 83 of them navigation (182 typed characters); with them, 229 keys, 47 navigation.
NAVIGATION_BUDGET holds it there."""

from __future__ import annotations

import pytest

from keyboard import Keyboard
from walk import CONTACT, ROOT_PASSWORD_CANDIDATE, two_codes
from wizard.checklist import Status
from wizard.sandbox import start_sandbox

NAVIGATION_BUDGET = 50  # navigation keys (not typed text) for the whole walk


@pytest.fixture
def sandbox():
    sb = start_sandbox()
    yield sb
    sb.stop()


async def keyboard_walk(app, pilot) -> Keyboard:
    kb = Keyboard(app, pilot)
    await kb.pilot.pause()
    from conftest import settle

    await settle(app, pilot)
    await kb.button("continue")
    assert app.screen.STEP_ID == "credential_report"
    await kb.button("fetch")

    await kb.next_step("password_policy")
    await kb.button("expiry-nist")
    await kb.button("apply")

    await kb.next_step("contact_info")
    await kb.tick("email-ok")
    await kb.tick("phone-ok")
    await kb.button("console-done")

    for step in ("root_mfa", "root_access_keys"):
        await kb.next_step(step)
        await kb.press("f6")  # SANDBOX: simulate; F6 on a root step offers its console action first
        await kb.press("enter")  # ... or removing all root credentials: Enter takes the first

    await kb.next_step("root_password")
    await kb.fill("candidate", ROOT_PASSWORD_CANDIDATE)
    await kb.press("enter")
    await kb.button("console-done")

    await kb.next_step("alternate_contacts")
    for t in ("security", "operations", "billing"):
        for name, value in CONTACT.items():
            await kb.fill(f"{t}-{name}", value)
        await kb.button(f"save-{t}")

    await kb.next_step("security_questions")
    await kb.button("retired")
    await kb.next_step("root_usage")
    await kb.button("console-done")

    await kb.next_step("iam_user_mfa")
    await kb.button("start")
    code1, code2 = two_codes(app.screen._enrollment.seed)  # the phone scans the QR code
    await kb.fill("code1", code1)
    await kb.press("enter")
    await kb.type(code2)
    await kb.press("enter")

    await kb.next_step("summary")
    await kb.button("export-json")
    await kb.button("export-markdown")
    return kb


async def test_keyboard_only_sandbox_walk(make_app, sandbox, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(sandbox=sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        kb = await keyboard_walk(app, pilot)
        written = app.screen.query_one("#export-result").render()
        cl = app.ctx.checklist
        status = {sid: cl.step(sid).status for sid in cl.order()}
        enrolled = cl.step("iam_user_mfa").evidence.get("enrolled")
    print(f"\nkeyboard walk: {len(kb.keys)} keys, {kb.navigation} navigation, {kb.typed} typed;",
          kb.navigation_by_step())
    assert status["credential_report"] == status["password_policy"] == Status.DONE
    assert status["root_mfa"] == status["root_access_keys"] == status["alternate_contacts"] == Status.DONE
    assert enrolled  # one user enrolled (the step closes when no console user is left without MFA)
    assert status["contact_info"] == status["root_password"] == status["root_usage"] == Status.CONFIRMED
    assert status["security_questions"] == Status.RETIRED
    assert "Written:" in str(written) and ".md\n" in str(written)
    assert kb.navigation <= NAVIGATION_BUDGET, kb.keys
