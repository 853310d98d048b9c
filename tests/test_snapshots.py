"""Snapshots (pytest-textual-snapshot) of every step screen at 120x40 and 80x24, in the
sandbox, on a fixed clock and in UTC, through the app's own masked screenshot (the QR code,
a revealed seed and typed codes painted over). Refresh with `pytest --snapshot-update
tests/test_snapshots.py` and review the SVGs under tests/__snapshots__/ before committing.
The README's screenshots (docs/*.svg) are the test_readme_state snapshots."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from textual.widgets import Input

from conftest import settle
from wizard.steps import STEPS

FIXED_NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)
SIZES = {"120x40": (120, 40), "80x24": (80, 24)}


class FrozenDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # noqa: ANN001, ANN206
        return FIXED_NOW.astimezone(tz) if tz else FIXED_NOW.replace(tzinfo=None)


def frozen_clock(monkeypatch) -> None:
    """Every clock the screens read shows FIXED_NOW (wizard.checklist.utcnow is the app's
    one clock, also where it is a default argument), in UTC; the code ticker stands still."""
    import wizard.checklist
    import wizard.totp

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(wizard.checklist, "datetime", FrozenDatetime)
    monkeypatch.setattr(wizard.totp, "seconds_left", lambda _now: 17)


@pytest.fixture
def sandbox(monkeypatch):
    from wizard.sandbox import start_sandbox

    frozen_clock(monkeypatch)
    sb = start_sandbox(now=FIXED_NOW)
    monkeypatch.setattr(sb, "now", lambda: FIXED_NOW)
    yield sb
    sb.stop()
    time.tzset()


async def open_step(pilot, step: str, prepare: bool = False) -> None:
    """Connect, open ``step`` and, with ``prepare``, bring it to the state the README shows."""
    app = pilot.app
    app.animation_level = "none"  # an animated scroll would be caught half-way on a loaded machine
    await settle(app, pilot)
    if step != "connect":
        app.goto(step)
        await settle(app, pilot)
    if prepare and step == "credential_report":
        await pilot.press("f2")  # generate and download, then show the findings
        await settle(app, pilot)
        app.screen.query_one("#results").scroll_visible(top=True, animate=False)
        await settle(app, pilot)
    if prepare and step == "iam_user_mfa":
        await pilot.press("f2")  # create the device: the QR code (masked) and the code fields
        await settle(app, pilot)
    await settle(app, pilot)  # every read done before the picture (a loaded machine is slow)
    for field in app.screen.query(Input):  # a blinking cursor would make two runs differ
        field.cursor_blink = False
    # A toast leaves after its timeout: on a loaded machine the picture came before or after.
    app.clear_notifications()
    await pilot.pause()


def app_for(make_app, sandbox, home: Path):
    return make_app(sandbox=sandbox, state_dir=home / "state")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("step", [s.id for s in STEPS])
def test_step_screen(step, size, snap_compare, make_app, sandbox, tmp_path):
    app = app_for(make_app, sandbox, tmp_path / "home")
    assert snap_compare(app, terminal_size=SIZES[size], run_before=lambda pilot: open_step(pilot, step))


README_SHOTS = {  # docs/<name>.svg: the state the README shows
    "connect": "connect",
    "findings": "credential_report",
    "password-policy": "password_policy",
    "iam-mfa": "iam_user_mfa",
    "summary": "summary",
}


@pytest.mark.parametrize("name", README_SHOTS)
def test_readme_state(name, snap_compare, make_app, sandbox, tmp_path):
    app = app_for(make_app, sandbox, tmp_path / "home")
    step = README_SHOTS[name]
    assert snap_compare(app, terminal_size=SIZES["120x40"],
                        run_before=lambda pilot: open_step(pilot, step, prepare=True))



@pytest.mark.parametrize("step", [s.id for s in STEPS])
async def test_one_scrollbar_per_scrolling_area(step, make_app, sandbox, tmp_path):
    """Issue 17: at 80x24, in the state the README shows, no scrolling widget shows a
    scrollbar inside another that scrolls the same way (two bars side by side)."""
    app = app_for(make_app, sandbox, tmp_path / "home")
    async with app.run_test(size=SIZES["80x24"]) as pilot:
        await open_step(pilot, step, prepare=True)
        for vertical in (True, False):
            bars = [w for w in app.screen.query("*") if w.display and w.region.area and (
                w.show_vertical_scrollbar and w.styles.scrollbar_size_vertical if vertical
                else w.show_horizontal_scrollbar and w.styles.scrollbar_size_horizontal)]
            nested = [(outer.id, inner.id) for outer in bars for inner in bars
                      if inner is not outer and outer in inner.ancestors]
            assert not nested, (step, "vertical" if vertical else "horizontal", nested)
