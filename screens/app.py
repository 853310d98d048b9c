"""The Textual application: screens per step, one context, saved after every change."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding

from screens.commands import WizardCommands
from screens.compat import OneLineCrashes
from screens.hangup import watch_terminal
from wizard import heap
from wizard.checklist import CLOSED, Status
from wizard.context import WizardContext
from wizard.errors import WizardError
from wizard.steps import STEPS_BY_ID

OPEN_ORG_VIEW = "open-org-view"  # the app's result when the operator asks for the organization view

def screen_class(step_id: str) -> type:
    """The screen of a step, as declared in the registry (imported when first opened)."""
    return STEPS_BY_ID[step_id].screen_class()


class RootWizardApp(OneLineCrashes):
    CSS_PATH = "app.tcss"
    TITLE = "rootwizard"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, show=False)]
    COMMANDS = App.COMMANDS | {WizardCommands}

    def __init__(self, ctx: WizardContext, *, resume: bool = False) -> None:
        super().__init__()
        self.ctx = ctx
        self.resume_without_asking = resume
        self.sidebar_full: bool | None = None  # None: by the terminal's width (F9 chooses)
        if ctx.demo:
            self.sub_title = "SANDBOX"

    def on_mount(self) -> None:
        self.push_screen(screen_class("connect")())
        # Once the first frame is drawn (the screen's first refresh): the collector runs
        # again, what start-up built out of its reach (wizard.heap).
        self.call_after_refresh(lambda: self.screen.call_after_refresh(heap.started))
        watch_terminal(self)

    def on_unmount(self) -> None:
        self.ctx.close()

    def get_key_display(self, binding: Binding) -> str:
        """Function keys as printed on keyboards: F1, not f1."""
        shown = super().get_key_display(binding)
        return shown.upper() if shown[:1] == "f" and shown[1:].isdigit() else shown

    def goto(self, step_id: str) -> AwaitComplete | None:
        """Open a step's screen (awaitable: done once it is shown); None when it cannot."""
        if step_id not in STEPS_BY_ID:
            return None
        if self.ctx.checklist is None and step_id != "connect":
            self.notify("Connect to the account first.", severity="warning")
            return None
        return self.switch_screen(screen_class(step_id)())

    async def open_step(self, step_id: str, action: str | None = None) -> None:
        """Open a step (unless it is open) and run one of its screen's actions there, as
        its key would (the command palette's commands)."""
        if getattr(self.screen, "STEP_ID", None) != step_id:
            shown = self.goto(step_id)
            if shown is None:
                return
            await shown
            # Its first layout (buttons shown or hidden). The screen's refresh, not the app's:
            # a running App has no message task of its own outside run_test (Textual asserts).
            await self.screen.wait_for_refresh()
        if action:
            await self.screen.run_action(action)

    def previous_step(self, before: str) -> None:
        cl = self.ctx.checklist
        if cl is None:
            return
        order = cl.order()
        if before in order and order.index(before) > 0:
            self.goto(order[order.index(before) - 1])

    def next_step(self, after: str | None = None) -> None:
        cl = self.ctx.checklist
        if cl is None:
            return
        order = cl.order()
        if after in order:
            rest = order[order.index(after) + 1:]
            target = next((s for s in rest if cl.step(s).status not in CLOSED), None)
            self.goto(target or cl.next_open())
        else:
            self.goto(cl.next_open())

    def change_step(self, step_id: str, status: Status, **kwargs: Any) -> bool:
        """Change a step and save at once (WizardContext.change). On failure the change is
        undone and shown."""
        try:
            self.ctx.change(step_id, status, **kwargs)
        except (WizardError, OSError) as exc:
            self.notify(f"Not saved: {exc}", title=STEPS_BY_ID[step_id].title, severity="error", timeout=10)
            return False
        return True

    def export_screenshot(self, *, title: str | None = None, simplify: bool = False) -> str:
        """Textual's SVG screenshot, with every widget that shows a secret (the QR code, a
        revealed seed, typed MFA codes: class ``secret-view``) painted over."""
        from rich.segment import Segment
        from rich.style import Style
        from textual.strip import Strip

        from screens.compat import lines_to_svg, screen_lines

        region, lines = screen_lines(self, simplify=simplify)
        masks = [w.region for w in self.screen.query(".secret-view") if w.display and w.region.area]
        for y, line in enumerate(lines, region.y):
            for r in masks:
                if r.y <= y < r.bottom:
                    x0, x1 = max(r.x, 0), min(r.right, line.cell_length)
                    label = " hidden in screenshots "[: x1 - x0].center(x1 - x0, "░")
                    line = Strip.join([line.crop(0, x0), Strip([Segment(label, Style(color="grey50"))]),
                                       line.crop(x1, line.cell_length)])
            lines[y - region.y] = line
        return lines_to_svg(lines, region, size=self.size, title=title or self.title)

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every toast shows its message and title as text (they quote paths, AWS messages
        and session values): never markup, control characters visible."""
        from wizard.text import plain

        super().notify(plain(message), title=plain(title), severity=severity, timeout=timeout, markup=False)

    def log_exception(self, error: BaseException | None) -> None:
        """A worker's unexpected error: its traceback to the log, as the last resort does."""
        if error is not None:
            from wizard.redact import log_unexpected

            log_unexpected(error)

