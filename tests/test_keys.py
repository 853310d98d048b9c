"""Keys, focus, help, the command palette and the narrow layout (issue 17), driven with
the keyboard through Pilot in the sandbox."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from textual.widgets import Input

from conftest import settle
from screens.base import StepList, short_time
from screens.commands import commands
from screens.root_base import console_path_text
from wizard.errors import InputError
from wizard.sandbox import start_sandbox


@pytest.fixture
def sandbox():
    sb = start_sandbox()
    yield sb
    sb.stop()


async def test_primary_focus_help_escape_steps_and_paging(make_app, sandbox):
    app = make_app(sandbox=sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.focused.id == "continue"  # Enter acts at once
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.STEP_ID == "credential_report" and app.focused.id == "fetch"

        await pilot.press("f8")  # next step
        await settle(app, pilot)
        assert app.screen.STEP_ID == "password_policy" and app.focused.id == "apply"
        assert app.screen.query_one(StepList).current == "password_policy"

        await pilot.press("f1")  # help: what, keys
        await pilot.pause()
        text = str(app.screen.query_one("#help-text").render())
        assert "UpdateAccountPasswordPolicy" in text and "F2" in text and "Apply and verify" in text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.STEP_ID == "password_policy"

        # PageUp/PageDown scroll the step while a field has the focus
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "shift+tab")
        assert isinstance(app.focused, Input) or app.focused.id
        body = app.screen.query_one("#body")
        body.scroll_home(animate=False)
        await pilot.pause()
        await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y > 0

        await pilot.press("escape")  # to the step list, on the current step
        await pilot.pause()
        steps = app.screen.query_one(StepList)
        assert app.focused is steps and steps.highlighted_step == "password_policy"
        await pilot.press("escape")  # and back to the step's primary action
        await pilot.pause()
        assert app.focused.id == "apply"

        await pilot.press("f7")  # previous step
        await settle(app, pilot)
        assert app.screen.STEP_ID == "credential_report"


async def test_sidebar_marks_only_when_narrow_and_f9_toggles(make_app, sandbox):
    app = make_app(sandbox=sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        steps = app.screen.query_one(StepList)
        assert app.screen.has_class("-marks-only") and steps.size.width <= 5
        drawn = [steps.render_line(y).text.strip() for y in range(steps.option_count)]
        assert drawn == ["[✓]", *["[ ]"] * (steps.option_count - 1)]  # one line per step: the marks
        await pilot.press("f9")
        await pilot.pause()
        assert not app.screen.has_class("-marks-only") and steps.size.width > 30
        assert steps.render_line(0).text.strip() == "[✓] Connect to the account"
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not app.screen.has_class("-marks-only")
        await pilot.press("f9")
        await pilot.pause()
        assert app.screen.has_class("-marks-only")


async def from_palette(app, pilot, typed: str) -> None:
    """Open the command palette, type ``typed`` and take the first command it offers."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*typed)
    await pilot.pause(0.5)
    await pilot.press("enter")
    await settle(app, pilot)


async def test_command_palette_finds_export_and_steps(make_app, sandbox):
    app = make_app(sandbox=sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        titles = [c.title for c in commands(app, app.screen)]
        assert "Export the record as JSON" in titles and "Go to: IAM password policy" in titles
        await from_palette(app, pilot, "password")
        assert app.screen.STEP_ID == "password_policy"

        await from_palette(app, pilot, "export the record as markdown")
        assert app.screen.STEP_ID == "summary"
        assert "Written:" in str(app.screen.query_one("#export-result").render())


async def test_root_step_accelerators_and_simulate_command(make_app, sandbox):
    app = make_app(sandbox=sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.goto("root_access_keys")
        await settle(app, pilot)
        assert app.focused.id == "verify"
        titles = {c.title: c for c in commands(app, app.screen)}
        assert "Verify this step" in titles
        titles["SANDBOX: simulate the console action"].run()
        await pilot.pause()
        assert type(app.screen).__name__ == "Choice"  # the step's console action, or remove root credentials
        await pilot.press("enter")  # the first: the step's own console action
        await settle(app, pilot)
        assert app.ctx.checklist.step("root_access_keys").status.value == "done"
        await pilot.press("f4")  # Skip…: its dialog, which Escape leaves
        await pilot.pause()
        assert type(app.screen).__name__ == "SkipDialog"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.STEP_ID == "root_access_keys"


def test_short_time_is_local_and_compact(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    now = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)
    assert short_time("2026-11-30T12:05:09+00:00", now) == "12:05"
    assert short_time("2026-10-02T08:00:00+00:00", now) == "02 Oct 08:00"
    assert short_time("2025-01-02T08:00:00+00:00", now) == "2025-01-02"
    assert short_time(None, now) == "" and short_time("not a time", now) == "not a time"
    monkeypatch.delenv("TZ")
    time.tzset()


def test_console_link_breaks_after_a_slash_not_mid_word():
    link = "https://aws.amazon.com/about-aws/whats-new/2024/01/aws-accounts-discontinues-security-challenge-questions/"
    lines = console_path_text("None", link, 60).plain.splitlines()
    link_lines = [line.strip().removeprefix("Link:").strip() for line in lines[1:]]
    assert "".join(link_lines) == link
    assert all(part.endswith(("/", "-")) for part in link_lines[:-1]) and len(link_lines) > 1
    assert all(len(line) <= 60 for line in lines)


def test_a_message_and_its_hint_are_sentences():
    err = InputError("character 8 is not allowed", hint="Use only the letters A-Z and the digits 2-7.")
    assert str(err) == "character 8 is not allowed. Use only the letters A-Z and the digits 2-7."
    assert str(InputError("Bad input.", hint="Try again.")) == "Bad input. Try again."
