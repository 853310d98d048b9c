"""The frame every step screen shares: the sidebar, the one door for saves, errors by type."""

from __future__ import annotations

import errno

from textual.widgets.option_list import Option

from conftest import settle
from screens.base import StepList
from wizard.checklist import Status
from wizard.steps import STEPS

SIZE = (120, 40)


def sidebar(app) -> dict[str, str]:
    return app.screen.query_one(StepList).labels


async def test_sidebar_marks_are_plain_text_and_labels_update_in_place(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.goto("root_password")
        await settle(app, pilot)
        steps = app.screen.query_one(StepList)
        options = list(steps.options)
        assert [o.id for o in options] == app.ctx.checklist.order()
        app.screen.change(Status.CONFIRMED, source="operator")
        app.change_step("security_questions", Status.RETIRED)
        app.screen.refresh_chrome()
        await settle(app, pilot)
        shown = sidebar(app)
        assert shown["root_password"] == "[c] Root password"  # not swallowed as markup
        assert shown["security_questions"] == "[r] Security challenge questions"
        assert shown["connect"].startswith("[✓]")
        assert list(steps.options) == options  # the same options, updated in place
        # the current step stands out (its own background), the others do not
        lines = [steps.render_line(y) for y in range(len(options) + 1)]
        background = {line.text.strip(): line._segments[0].style.bgcolor for line in lines}
        assert background["[c] Root password"] != background["[ ] Root access keys"]
        assert list(background.values()).count(background["[c] Root password"]) == 1
        assert str(steps.get_option("root_password").prompt) == "[c] Root password"  # what is drawn


async def test_sidebar_is_built_once_per_screen(make_app, monkeypatch):
    from screens.base import StepScreen

    built, refreshed = [], []
    original, refresh = Option.__init__, StepScreen.refresh_chrome

    def counting(self, *args, **kwargs):
        built.append(kwargs.get("id"))
        original(self, *args, **kwargs)

    def counting_refresh(self):
        refreshed.append(self.STEP_ID)
        refresh(self)

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        monkeypatch.setattr(Option, "__init__", counting)
        monkeypatch.setattr(StepScreen, "refresh_chrome", counting_refresh)
        app.goto("root_password")
        await settle(app, pilot)
        assert len(built) == len(STEPS)  # one item per step, once (not per refresh)
        assert refreshed == ["root_password"]  # once on opening, not three times


async def test_a_failed_save_on_the_summary_is_a_message_not_a_crash(make_app, monkeypatch):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        cl = app.ctx.checklist
        for sid in cl.order():
            if sid not in ("connect", "summary"):
                assert app.change_step(sid, Status.SKIPPED, reason="test")

        def full(_checklist):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(app.ctx.store, "save", full)
        app.goto("summary")
        await settle(app, pilot)
        assert app.is_running and app.screen.STEP_ID == "summary"
        error = app.screen.query_one("#error")
        assert "Not saved" in str(error.render()) and "No space left" in str(error.render())
        assert not error.has_class("hidden")
        assert cl.finished_at is None  # the stamp was undone with the failed save


async def test_the_focus_waits_for_the_reads_that_choose_it(make_app, monkeypatch):
    """Issue 17 (step snapshots differed between runs): the primary action depends on what
    the step reads (alternate contacts: the first field of the first contact AWS lacks), so
    the focus, and the scroll that follows it, is given when the read is done, however slow
    the read; not to a button first and then kept there."""
    import threading

    import screens.contacts

    original, release = screens.contacts.read_alternate_contacts, threading.Event()

    def held(aws):
        assert release.wait(20)
        return original(aws)

    monkeypatch.setattr(screens.contacts, "read_alternate_contacts", held)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.goto("alternate_contacts")
        await pilot.pause(0.3)
        assert app.focused is None or app.focused.id == "body"  # the read is held: nothing to act on yet
        release.set()
        await settle(app, pilot)
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "security-name"
        assert app.focused.region.y >= app.screen.query_one("#body").region.y  # scrolled into view
