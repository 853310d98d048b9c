"""Shared frame of every step screen: banner (SANDBOX when in the sandbox), the
checklist sidebar, an error panel, and the one place worker failures are handled."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, ListItem, ListView, Static
from textual.worker import Worker, WorkerState

from screens.safe import Plain, text
from wizard.aws import READ_ONLY_REASON
from wizard.checklist import STATUS_LABELS, STEPS_BY_ID, Checklist, Status
from wizard.errors import UnexpectedError, WizardError
from wizard.steps import SIMULATABLE, STEPS

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
}


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


class StepList(ListView):
    """The checklist as a sidebar; selecting a step opens it. Built once with the screen;
    refresh_steps() updates the labels in place (and rebuilds only when the order changes,
    e.g. once the caller is known to be root). Labels are plain text: "[c]" is a mark."""

    def __init__(self, checklist: Checklist | None, *, id: str | None = None) -> None:  # noqa: A002
        self._shown: dict[str, Text] = {}  # the label each step shows
        super().__init__(*self._items(checklist), initial_index=None, id=id)  # Down starts at the top

    def _items(self, checklist: Checklist | None) -> list[ListItem]:
        self._shown = {sid: self._label(sid, checklist) for sid in step_ids(checklist)}
        return [ListItem(Label(label, markup=False), name=sid) for sid, label in self._shown.items()]

    @staticmethod
    def _label(step_id: str, checklist: Checklist | None) -> Text:
        rec = checklist.step(step_id) if checklist is not None else None
        status = rec.status if rec is not None else Status.PENDING
        text = f"{STATUS_MARKS[status]} {STEPS_BY_ID[step_id].title}"
        exported = rec.evidence.get("exported_at") if rec is not None and step_id == "summary" else None
        if status == Status.DONE and isinstance(exported, str):  # the summary closes with an export
            text += f" (exported {exported[:16].replace('T', ' ')})"
        return Text(text)

    def refresh_steps(self) -> None:
        app: RootWizardApp = self.app  # type: ignore[assignment]
        cl = app.ctx.checklist
        order = step_ids(cl)
        items = list(self.query(ListItem))
        if [item.name for item in items] != order:  # e.g. the caller turned out to be root
            self.clear()
            self.extend(self._items(cl))
            return
        for item in items:
            sid = item.name or ""
            label = self._label(sid, cl)
            if self._shown.get(sid) != label:
                item.query_one(Label).update(label)
                self._shown[sid] = label


def step_ids(checklist: Checklist | None) -> list[str]:
    """The sidebar's steps: the checklist's order, or every declared step before connecting."""
    return checklist.order() if checklist is not None else [s.id for s in STEPS]


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
        self._pending: dict[Worker, _Pending] = {}
        self._writes = 0

    @property
    def wapp(self) -> RootWizardApp:
        return self.app  # type: ignore[return-value]

    @property
    def ctx(self) -> WizardContext:
        return self.wapp.ctx

    def compose(self) -> ComposeResult:
        yield Banner(id="banner")
        with Horizontal(id="frame"):
            yield StepList(self.ctx.checklist, id="steps")
            with Vertical(id="main"):
                if self.STEP_ID in STEPS_BY_ID:
                    yield Static(STEPS_BY_ID[self.STEP_ID].title, id="title", classes="title")
                yield Plain("", id="status-line")  # quotes reasons and errors from the session
                yield Plain("", id="error", classes="error hidden")
                with VerticalScroll(id="body"):
                    yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        """Textual calls every class's on_mount (and some subclasses call super()): the
        chrome is refreshed once, on ScreenResume, which follows the mount and every
        return from a dialog."""

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
            if read_only(self):
                extra += ("\nRead-only: nothing is saved, and the actions that would change the account "
                          "are disabled (another wizard holds this session).")
            self.query_one("#status-line", Plain).update(f"Status: {STATUS_LABELS[rec.status]}{extra}")

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
        worker = self.run_worker(lambda: fn(*args, **kwargs), thread=True, exclusive=not write, exit_on_error=False, group=group)
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

    # screens/report.py (branch h1-report) still calls the old name; it goes when that lands.
    record = change

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
            return self.STEP_ID in SIMULATABLE
        return True

    def action_simulate(self) -> None:
        sandbox = self.ctx.sandbox
        if sandbox is None:
            return
        done = sandbox.simulate(self.STEP_ID)
        self.notify(f"SANDBOX: {done}", title="Simulated console action")
        self.on_simulated()

    def on_simulated(self) -> None:
        """Hook: a sandbox console action was simulated; screens re-verify here."""
