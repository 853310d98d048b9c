"""Shared frame of every step screen: banner (SANDBOX when in the sandbox), the
checklist sidebar, an error panel, and the one place worker failures are handled."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, ListItem, ListView, Static
from textual.worker import Worker, WorkerState

from wizard.checklist import STATUS_LABELS, STEPS_BY_ID, Status
from wizard.errors import WizardError

if TYPE_CHECKING:
    from screens.app import RootWizardApp

STATUS_MARKS = {
    Status.PENDING: "[ ]",
    Status.DONE: "[✓]",
    Status.CONFIRMED: "[c]",
    Status.WAITING: "[…]",
    Status.SKIPPED: "[-]",
    Status.FAILED: "[!]",
    Status.RETIRED: "[r]",
}


class Banner(Static):
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


class StepList(ListView):
    """The checklist as a sidebar; selecting a step opens it."""

    def refresh_steps(self) -> None:
        app: RootWizardApp = self.app  # type: ignore[assignment]
        self.clear()
        cl = app.ctx.checklist
        order = cl.order() if cl else [s for s in STEPS_BY_ID]
        for sid in order:
            status = cl.step(sid).status if cl else Status.PENDING
            item = ListItem(Label(f"{STATUS_MARKS[status]} {STEPS_BY_ID[sid].title}"), name=sid)
            self.append(item)


class StepScreen(Screen):
    """Base of the step screens. Subclasses set STEP_ID and implement compose_body()."""

    STEP_ID = ""
    AUTO_FOCUS = "#body"  # the step itself, read from the top (Tab reaches its controls), not the sidebar
    BINDINGS = [
        Binding("ctrl+n", "next_step", "Next step", id="next"),
        Binding("f6", "simulate", "SANDBOX: simulate the console action", id="simulate"),
    ]

    def __init__(self) -> None:
        super().__init__(name=self.STEP_ID)
        self._then: dict[Worker, Callable[[Any], None]] = {}

    @property
    def wapp(self) -> "RootWizardApp":
        return self.app  # type: ignore[return-value]

    @property
    def ctx(self):  # noqa: ANN201
        return self.wapp.ctx

    def compose(self) -> ComposeResult:
        yield Banner(id="banner")
        with Horizontal(id="frame"):
            yield StepList(id="steps")
            with Vertical(id="main"):
                if self.STEP_ID in STEPS_BY_ID:
                    yield Static(STEPS_BY_ID[self.STEP_ID].title, id="title", classes="title")
                yield Static("", id="status-line")
                yield Static("", id="error", classes="error hidden")
                with VerticalScroll(id="body"):
                    yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.refresh_chrome()

    def on_screen_resume(self) -> None:
        self.refresh_chrome()

    def refresh_chrome(self) -> None:
        if not self.query_one(StepList).is_attached:  # e.g. a dialog closed while the app exits
            return
        self.query_one(StepList).refresh_steps()
        self.query_one(Banner).refresh_text()
        cl = self.ctx.checklist
        if cl is not None and self.STEP_ID in cl.steps:
            rec = cl.step(self.STEP_ID)
            extra = f" — {rec.reason or rec.error or rec.note}" if (rec.reason or rec.error) else ""
            self.query_one("#status-line", Static).update(
                f"Status: {STATUS_LABELS[rec.status]}{extra}")

    # -- workers: the one place AWS failures are turned into messages --------------------------
    def run_aws(self, fn: Callable[..., Any], *args: Any, then: Callable[[Any], None],
                group: str = "aws", **kwargs: Any) -> Worker:
        self.clear_error()
        worker = self.run_worker(lambda: fn(*args, **kwargs), thread=True, exclusive=True,
                                 exit_on_error=False, group=group)
        self._then[worker] = then
        return worker

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker not in self._then:
            return
        if event.state == WorkerState.SUCCESS:
            self._then.pop(worker)(worker.result)
        elif event.state == WorkerState.ERROR:
            self._then.pop(worker)
            self.show_error(worker.error)
            self.on_aws_error(worker.error)
        elif event.state == WorkerState.CANCELLED:
            self._then.pop(worker)

    def on_aws_error(self, error: BaseException | None) -> None:
        """Hook for screens that must react to a failure (e.g. re-enable a button)."""

    def show_error(self, error: BaseException | str | None) -> None:
        if isinstance(error, WizardError):
            text = f"{error.message}\n{error.hint}" if error.hint else error.message
        elif isinstance(error, str):
            text = error
        else:
            text = f"Unexpected error: {type(error).__name__}. Retry; details are in --log-file."
            self.wapp.log_exception(error)
        panel = self.query_one("#error", Static)
        panel.update(Text(text))  # plain text: messages quote AWS answers and file contents
        panel.remove_class("hidden")

    def clear_error(self) -> None:
        panel = self.query_one("#error", Static)
        panel.update("")
        panel.add_class("hidden")

    # -- checklist ---------------------------------------------------------------------------
    def record(self, status: Status, **kwargs: Any) -> bool:
        ok = self.wapp.record(self.STEP_ID, status, **kwargs)
        self.refresh_chrome()
        return ok

    @on(ListView.Selected, "#steps")
    def _step_selected(self, event: ListView.Selected) -> None:
        if event.item.name and event.item.name != self.STEP_ID:
            self.wapp.goto(event.item.name)

    def action_next_step(self) -> None:
        self.wapp.next_step(after=self.STEP_ID)

    # -- sandbox -------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "simulate":
            if self.ctx.sandbox is None:
                return False
            from wizard.sandbox import SIMULATABLE

            return self.STEP_ID in SIMULATABLE
        return True

    def action_simulate(self) -> None:
        sandbox = self.ctx.sandbox
        if sandbox is None:
            return
        text = sandbox.simulate(self.STEP_ID)
        self.notify(f"SANDBOX: {text}", title="Simulated console action")
        self.on_simulated()

    def on_simulated(self) -> None:
        """Hook: a sandbox console action was simulated; screens re-verify here."""
