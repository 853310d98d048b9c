"""Shared frame of every step screen: banner (SANDBOX when in the sandbox), the
checklist sidebar, an error panel, and the one place worker failures are handled."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from rich.segment import Segment
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from screens.compat import SteadyFooter
from screens.dialogs import Choice
from screens.safe import Plain, text
from wizard.aws import READ_ONLY_REASON
from wizard.checklist import STEPS_BY_ID, Checklist, Status, status_label, utcnow
from wizard.errors import UnexpectedError, WizardError
from wizard.steps import STEPS, simulations

if TYPE_CHECKING:
    from screens.app import RootWizardApp
    from wizard.context import WizardContext

STATUS_MARKS = {
    Status.PENDING: "[ ]",
    Status.DONE: "[✓]",
    Status.CONFIRMED: "[c]",
    Status.WAITING: "[…]",
    Status.SKIPPED: "[-]",
    Status.FAILED: "[!]",
    Status.RETIRED: "[r]",
    Status.NOT_APPLICABLE: "[n/a]",
}


def short_time(iso: str | None, now: datetime | None = None) -> str:
    """An ISO 8601 time as the operator reads it in a table: local, "14:05" today,
    "30 Nov 14:05" this year, else "2025-11-30". Records keep the full value."""
    if not iso:
        return ""
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    local, today = at.astimezone(), (now or utcnow()).astimezone()  # the app's one clock
    if local.date() == today.date():
        return local.strftime("%H:%M")
    if local.year == today.year:
        return local.strftime("%d %b %H:%M")
    return local.strftime("%Y-%m-%d")


T = TypeVar("T")
ErrorHandler = Callable[[WizardError], "bool | None"]
_FINAL = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)


@dataclass
class _Pending:
    """What to do with a worker's outcome: its result, or its failure by type."""

    then: Callable[[Any], None]
    on_error: dict[type[WizardError], ErrorHandler]


class Banner(Plain):
    """Top line: tool, account, caller; SANDBOX on every screen of a sandbox run."""

    def on_mount(self) -> None:
        self.refresh_text()

    def refresh_text(self) -> None:
        app: RootWizardApp = self.app  # type: ignore[assignment]
        ctx = app.ctx
        parts = ["rootwizard"]
        if ctx.demo:
            parts.insert(0, "SANDBOX (simulated account, not AWS)")
            self.add_class("sandbox")
        if ctx.checklist is not None:
            parts.append(f"account {ctx.checklist.account_id}")
        if ctx.store is not None and ctx.store.read_only:
            parts.append("READ-ONLY")
        self.update("  │  ".join(parts))


def read_only(widget: Any) -> bool:
    """True in a wizard that opened its session read-only (another wizard holds it)."""
    try:
        store = widget.app.ctx.store
    except Exception:  # noqa: BLE001 - not mounted yet: nothing is known
        return False
    return store is not None and store.read_only


class WriteButton(Button):
    """A button whose action changes the account. In a read-only wizard it stays
    disabled, whatever the screen sets, and its tooltip says why (wizard.aws also
    refuses the call itself)."""

    def on_mount(self) -> None:
        if read_only(self):
            self.disabled = True
            self.tooltip = READ_ONLY_REASON

    def validate_disabled(self, disabled: bool) -> bool:
        return True if read_only(self) else disabled


class StepList(OptionList):
    """The checklist as a sidebar; selecting a step opens it. One widget whose options are
    the steps (not a list item and a label per step: the sidebar is on every screen, and
    each widget costs every layout and the first paint time). Built once with the screen;
    refresh_steps() updates the labels in place (and rebuilds only when the order changes,
    e.g. once the caller is known to be root). Labels are plain text: "[c]" is a mark.
    ``marks_only`` shows the status marks alone (a narrow terminal, or F9)."""

    DEFAULT_CSS = """
    StepList > .step-list--current { background: $accent 30%; text-style: bold; }
    """
    COMPONENT_CLASSES = {"step-list--current"}

    def __init__(self, checklist: Checklist | None, *, current: str = "", id: str | None = None) -> None:  # noqa: A002
        self._shown: dict[str, Text] = {}  # the label each step shows
        self.current = current
        self.marks_only = False
        super().__init__(*self._step_options(checklist), id=id, markup=False, compact=True)
        # Nothing is highlighted until the operator enters the list (Escape): then the
        # cursor starts on the current step, which is marked by its style meanwhile.
        self.highlighted = None

    def _step_options(self, checklist: Checklist | None) -> list[Option]:
        self._shown = {sid: self._label(sid, checklist) for sid in step_ids(checklist)}
        return [Option(self._prompt(label), id=sid) for sid, label in self._shown.items()]

    def _prompt(self, label: Text) -> Text:
        return Text(label.plain[:label.plain.index("]") + 1]) if self.marks_only else label

    @property
    def labels(self) -> dict[str, str]:
        """Each step's label (status mark and title), as the full sidebar shows it."""
        return {sid: label.plain for sid, label in self._shown.items()}

    @property
    def highlighted_step(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None

    def set_marks_only(self, marks_only: bool) -> None:
        if marks_only != self.marks_only:
            self.marks_only = marks_only
            for index, label in enumerate(self._shown.values()):
                self.replace_option_prompt_at_index(index, self._prompt(label))

    def _on_focus(self, event: events.Focus) -> None:
        if self.highlighted is None and self.option_count:
            ids = list(self._shown)
            self.highlighted = ids.index(self.current) if self.current in ids else 0
        super()._on_focus(event)

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        line = self.scroll_offset.y + y
        lines = self._lines
        if line < len(lines):
            index = lines[line][0]
            option = self.options[index]
            if option.id == self.current and index != self.highlighted:
                style = self.get_component_rich_style("step-list--current")
                strip = Strip(list(Segment.apply_style(strip, post_style=style)), strip.cell_length)
        return strip

    @staticmethod
    def _label(step_id: str, checklist: Checklist | None) -> Text:
        rec = checklist.step(step_id) if checklist is not None else None
        status = rec.status if rec is not None else Status.PENDING
        text = f"{STATUS_MARKS[status]} {STEPS_BY_ID[step_id].title}"
        exported = rec.evidence.get("exported_at") if rec is not None and step_id == "summary" else None
        if status == Status.DONE and isinstance(exported, str):  # the summary closes with an export
            text += f" (exported {short_time(exported)})"  # local; the record keeps the full time
        return Text(text)

    def refresh_steps(self) -> None:
        app: RootWizardApp = self.app  # type: ignore[assignment]
        cl = app.ctx.checklist
        if list(self._shown) != step_ids(cl):  # e.g. the caller turned out to be root
            highlighted = self.highlighted_step
            self.set_options(self._step_options(cl))
            if highlighted in self._shown and self.has_focus:
                self.highlighted = list(self._shown).index(highlighted)
            return
        for index, sid in enumerate(list(self._shown)):
            label = self._label(sid, cl)
            if self._shown[sid] != label:
                self._shown[sid] = label
                self.replace_option_prompt_at_index(index, self._prompt(label))


def step_ids(checklist: Checklist | None) -> list[str]:
    """The sidebar's steps: the checklist's order, or every declared step before connecting."""
    return checklist.order() if checklist is not None else [s.id for s in STEPS]


class StepScreen(Screen):
    """Base of the step screens. Subclasses set STEP_ID and implement compose_body()."""

    STEP_ID = ""
    AUTO_FOCUS = "#body"  # until the primary action can act (see focus_primary)
    # The step's main buttons, most likely next action first: the first shown and enabled
    # one has the focus when the step opens, so Enter acts. Accelerator keys (F2, F3, F4)
    # are declared per screen as Bindings to "press('button-id')".
    PRIMARY: tuple[str, ...] = ()
    VERIFY = ""  # the button that reads the step's result from AWS again, if any
    NARROW_BELOW = 100  # terminal columns under which the sidebar shows its marks only
    BINDINGS = [
        Binding("f1", "help", "Help", id="help", tooltip="This help"),
        Binding("question_mark", "help", "Help", id="help-question", show=False),
        Binding("f7", "previous_step", "Previous step", id="previous", show=False),
        Binding("f8,ctrl+n", "next_step", "Next", id="next", tooltip="Next open step"),
        Binding("f9", "toggle_sidebar", "Sidebar: titles or marks", id="sidebar", show=False),
        Binding("f6", "simulate", "Simulate", id="simulate",
                tooltip="SANDBOX: simulate the console action (then verify)"),
        Binding("escape", "escape", "Step list", id="step-list", show=False),
        Binding("pageup", "page(-1)", "Page up", id="page-up", show=False),
        Binding("pagedown", "page(1)", "Page down", id="page-down", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(name=self.STEP_ID)
        self._pending: dict[Worker, _Pending] = {}
        self._writes = 0
        self._revealing: tuple[Widget, Any] | None = None  # focus_primary's widget, the scroll then
        self._layout_watched = False

    @property
    def wapp(self) -> RootWizardApp:
        return self.app  # type: ignore[return-value]

    @property
    def ctx(self) -> WizardContext:
        return self.wapp.ctx

    def compose(self) -> ComposeResult:
        yield Banner(id="banner")
        with Horizontal(id="frame"):
            yield StepList(self.ctx.checklist, current=self.STEP_ID, id="steps")
            with Vertical(id="main"):
                if self.STEP_ID in STEPS_BY_ID:
                    yield Static(STEPS_BY_ID[self.STEP_ID].title, id="title", classes="title")
                yield Plain("", id="status-line")  # quotes reasons and errors from the session
                yield Plain("", id="error", classes="error hidden")
                with VerticalScroll(id="body"):
                    yield from self.compose_body()
        yield SteadyFooter(compact=True)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        """Textual calls every class's on_mount (and some subclasses call super()): the
        chrome is refreshed once, on ScreenResume, which follows the mount and every
        return from a dialog."""

    def on_screen_resume(self) -> None:
        if not self._layout_watched:
            self._layout_watched = True
            self.screen_layout_refresh_signal.subscribe(self, self._bring_into_view)
        self.refresh_chrome()
        self._apply_sidebar()
        self.call_after_refresh(self.focus_primary)

    def on_resize(self, _event: events.Resize) -> None:
        self._apply_sidebar()

    # -- keys and focus ----------------------------------------------------------------------
    def is_shown(self, widget: Widget) -> bool:
        node: Any = widget
        while node is not None and node is not self:
            if not node.display:
                return False
            node = node.parent
        return True

    def primary_widget(self) -> Widget | None:
        """What has the focus when the step opens: the first of PRIMARY that is shown and
        enabled (screens may choose otherwise, e.g. the first empty field of a form)."""
        for widget_id in self.PRIMARY:
            for widget in self.query(f"#{widget_id}"):
                if self.is_shown(widget) and not widget.disabled and widget.focusable:
                    return widget
        return None

    def focus_primary(self, *, force: bool = False) -> None:
        """Focus the primary action unless the operator has focused something else.

        Not while one of the screen's AWS calls is running: what it reads decides the
        primary action (e.g. the first contact AWS lacks) and the layout around it (a result
        panel above the button), so the focus (and the scroll that follows it) would depend
        on which came first. The call's end focuses it (``_worker_changed``)."""
        if not self.is_attached or self.app.screen is not self:
            return
        if not force and self._pending:
            return
        body = self.query_one("#body")
        if force or self.focused is None or self.focused is body:
            button = self.primary_widget()
            if button is not None:
                button.focus(scroll_visible=False)
                self._revealing = (button, self.query_one("#body").scroll_offset)
                self.call_after_refresh(self._bring_into_view)  # the focus is set by then

    def _bring_into_view(self, _screen: object = None) -> None:
        """Keep the primary action the step focused in view, without animation, each time
        the layout settles (a result shown above it moves it down; when that layout lands
        is not known in advance), until the focus moves or the operator scrolls. Textual's
        own focus scroll is animated and runs once, so where the view stood depended on
        timing (the step snapshots differed between runs)."""
        if self._revealing is None:
            return
        widget, offset = self._revealing
        body = self.query_one("#body")
        if self.focused is None or self.focused is body:  # the focus is not given yet
            return
        if self.focused is not widget or body.scroll_offset != offset:
            self._revealing = None
            return
        if not self.can_view_entire(widget):
            # the least scroll that shows it: what is above it (a warning, a result) stays in view
            self.scroll_to_widget(widget, animate=False, immediate=True)
            self._revealing = (widget, body.scroll_offset)

    def verify_button(self) -> str | None:
        """VERIFY's id when that button is shown and enabled now."""
        return self.VERIFY if self.VERIFY and self._accelerated(self.VERIFY) is not None else None

    def _accelerated(self, button_id: str) -> Button | None:
        found = self.query(f"#{button_id}").results(Button)
        button = next(iter(found), None)
        return button if button is not None and self.is_shown(button) and not button.disabled else None

    def action_press(self, button_id: str) -> None:
        """An accelerator key: press the button as Enter on it would (it takes the focus)."""
        button = self._accelerated(button_id)
        if button is not None:
            button.focus()
            button.press()

    def action_page(self, direction: int) -> None:
        """PageUp/PageDown scroll the step body wherever the focus is (a list or table that
        pages itself keeps the keys)."""
        body = self.query_one("#body", VerticalScroll)
        if direction < 0:
            body.scroll_page_up(animate=False)
        else:
            body.scroll_page_down(animate=False)

    def help_sections(self) -> list[tuple[str, str]]:
        """Hook: (title, text) sections the step's help (F1) adds after the registry's."""
        return []

    def action_help(self) -> None:
        from screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))

    def action_escape(self) -> None:
        """Escape: into the step list; from the step list, back to the step."""
        steps = self.query_one(StepList)
        if self.focused is steps:
            button = self.primary_widget()
            (button or self.query_one("#body")).focus()
        elif steps.display:
            steps.focus()

    def action_toggle_sidebar(self) -> None:
        app = self.wapp
        app.sidebar_full = not self._sidebar_is_full()
        self._apply_sidebar()

    def _sidebar_is_full(self) -> bool:
        choice = getattr(self.wapp, "sidebar_full", None)
        return self.app.size.width >= self.NARROW_BELOW if choice is None else bool(choice)

    def _apply_sidebar(self) -> None:
        marks_only = not self._sidebar_is_full()
        self.set_class(marks_only, "-marks-only")
        self.query_one(StepList).set_marks_only(marks_only)

    def action_previous_step(self) -> None:
        self.wapp.previous_step(before=self.STEP_ID)

    def refresh_chrome(self) -> None:
        if not self.query_one(StepList).is_attached:  # e.g. a dialog closed while the app exits
            return
        self.query_one(StepList).refresh_steps()
        self.query_one(Banner).refresh_text()
        cl = self.ctx.checklist
        if cl is not None and self.STEP_ID in cl.steps:
            rec = cl.step(self.STEP_ID)
            extra = f" — {rec.reason or rec.error or rec.note}" if (rec.reason or rec.error) else ""
            if read_only(self):
                extra += ("\nRead-only: nothing is saved, and the actions that would change the account "
                          "are disabled (another wizard holds this session).")
            self.query_one("#status-line", Plain).update(f"Status: {status_label(rec)}{extra}")

    # -- workers: the one place AWS failures are turned into messages --------------------------
    def run_aws(self, fn: Callable[..., T], *args: Any, then: Callable[[T], None],
                write: bool = False, group: str = "read",
                on_error: Mapping[type[WizardError], ErrorHandler] | None = None, **kwargs: Any) -> Worker:
        """Run a blocking AWS call in a thread worker; ``then(result)`` runs on the UI thread.

        The worker's inputs are ``args``/``kwargs``, captured here on the UI thread: read
        the widgets before calling, never inside ``fn``. A read (the default) is exclusive
        within ``group``: a newer read of the same kind replaces an older one. A write
        (``write=True``) runs in a group of its own, is never exclusive, so no other action
        (a cancel, a cleanup, another write) throws its result away. The thread of a write
        runs to its end even when the screen goes: what it creates must be owned by a
        wizard/ object that cleans up after it (see wizard.mfa.EnrollmentHolder).
        A failure arrives once, as a WizardError, at the handler for its type (see
        handle_error); ``on_error`` adds handlers for this call only."""
        self.clear_error()
        if write:
            self._writes += 1
            group = f"write-{self.STEP_ID}-{self._writes}"
        worker = self.run_worker(lambda: fn(*args, **kwargs), thread=True, exclusive=not write,
                                 exit_on_error=False, group=group)
        self._pending[worker] = _Pending(then, dict(on_error or {}))
        return worker

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker not in self._pending or event.state not in _FINAL:
            return
        pending = self._pending.pop(worker)
        if event.state == WorkerState.SUCCESS:
            pending.then(worker.result)
        elif event.state == WorkerState.ERROR:
            self.handle_error(worker.error, pending.on_error)
        self.refresh_bindings()  # accelerators follow their buttons (enabled, shown)
        self.call_after_refresh(self.focus_primary)

    def error_handlers(self) -> Mapping[type[WizardError], ErrorHandler]:
        """The screen's handlers of AWS failures, by error type (the most specific type
        of the error wins; a call's own ``on_error`` map comes first). A handler returns
        True when it showed the failure itself; otherwise the error panel shows it too."""
        return {}

    def handle_error(self, error: BaseException | None,
                     on_error: Mapping[type[WizardError], ErrorHandler] | None = None) -> None:
        """The one place a worker's failure reaches the screen: as the app's own type."""
        if not isinstance(error, WizardError):
            self.wapp.log_exception(error)
            error = UnexpectedError(error if error is not None else RuntimeError("no error"))
        handlers = {**self.error_handlers(), **(on_error or {})}
        for cls in type(error).__mro__:
            if cls in handlers:
                if handlers[cls](error):
                    return
                break
        self.show_error(error)
        # Transitional: screens/report.py (branch h1-report) still reacts through this hook;
        # it goes when that screen declares error_handlers() instead.
        legacy = getattr(self, "on_aws_error", None)
        if legacy is not None:
            legacy(error)

    def show_error(self, error: WizardError | str) -> None:
        message = (f"{error.message}\n{error.hint}" if error.hint else error.message) \
            if isinstance(error, WizardError) else error
        panel = self.query_one("#error", Plain)
        panel.update(text(message))  # plain text: messages quote AWS answers and file contents
        panel.remove_class("hidden")

    def clear_error(self) -> None:
        panel = self.query_one("#error", Plain)
        panel.update("")
        panel.add_class("hidden")

    # -- checklist ---------------------------------------------------------------------------
    def change(self, status: Status, **kwargs: Any) -> bool:
        """Change this screen's step and save (App.change_step); False when not saved."""
        ok = self.wapp.change_step(self.STEP_ID, status, **kwargs)
        self.refresh_chrome()
        return ok

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        """A field's own message ("enter the 6-digit code", …) goes once the operator types
        in it again (not when the screen clears the field)."""
        if event.value and event.input.has_focus and event.input.id:
            for message in self.query(f"#{event.input.id}-error").results(Static):
                message.update("")

    @on(OptionList.OptionSelected, "#steps")
    def _step_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id and event.option.id != self.STEP_ID:
            self.wapp.goto(event.option.id)

    def action_next_step(self) -> None:
        self.wapp.next_step(after=self.STEP_ID)

    # -- sandbox -------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "simulate":
            if self.ctx.sandbox is None:
                return False
            return bool(simulations(self.STEP_ID))
        if action == "press" and parameters:
            found = self.query(f"#{parameters[0]}").results(Button)
            button = next(iter(found), None)
            if button is None or not self.is_shown(button):
                return False  # not on this screen now: not in the footer
            return None if button.disabled else True  # disabled: shown dimmed
        if action in ("next_step", "previous_step"):
            return self.ctx.checklist is not None or None
        return True

    def action_simulate(self) -> None:
        """F6 in the sandbox: simulate the step's console action, or ask which one when the
        step offers more (wizard.steps.simulations)."""
        offered = simulations(self.STEP_ID)
        if self.ctx.sandbox is None or not offered:
            return
        if len(offered) == 1:
            self.simulate(offered[0][0])
            return
        text = "\n".join(f"• {label[:1].upper()}{label[1:]}." for _, _, label in offered)
        self.app.push_screen(Choice(
            "SANDBOX: simulate", f"What should the sandbox simulate?\n\n{text}",
            [*((action, name) for action, name, _ in offered), ("cancel", "Cancel")], cancel="cancel"),
            lambda action: self.simulate(action) if action and action != "cancel" else None)

    def simulate(self, action: str) -> None:
        sandbox = self.ctx.sandbox
        if sandbox is None:
            return
        done = sandbox.simulate(action)
        self.notify(f"SANDBOX: {done}", title="Simulated console action")
        if action == self.STEP_ID:
            self.on_simulated()
        else:
            self.on_sandbox_action(action)

    def on_simulated(self) -> None:
        """Hook: a sandbox console action was simulated; screens re-verify here."""

    def on_sandbox_action(self, action: str) -> None:
        """Hook: another sandbox simulation the step offers (wizard.steps.SANDBOX_ACTIONS)."""
        self.on_simulated()
