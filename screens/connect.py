"""Step 1: connect. Who am I, which account, is the clock right; then open or resume
the account's saved session."""

from __future__ import annotations

from collections.abc import Mapping

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Button, Static
from textual.worker import Worker

from screens.base import ErrorHandler, StepScreen
from screens.dialogs import Choice
from screens.safe import Plain
from wizard.aws import AwsAccess, CancelScope, clock_warning
from wizard.checklist import Status
from wizard.context import Connection, OpenResult
from wizard.errors import WizardError
from wizard.verify import Seen


class ConnectScreen(StepScreen):
    STEP_ID = "connect"

    def compose_body(self) -> ComposeResult:
        s = self.ctx.aws.settings
        if self.ctx.demo:
            where = ["the SANDBOX account (a simulated account on moto, not AWS)"]
        else:
            where = [f"profile {s.profile}" if s.profile else "the default credential chain",
                     f"region {s.region}" if s.region else "the configured region",
                     f"endpoint {s.endpoint_url}" if s.endpoint_url else ""]
        self._where = "Connecting with " + ", ".join(w for w in where if w) + " …"
        yield Plain(self._where, id="connect-info")  # an endpoint or profile name is not markup
        yield Plain("", id="connect-progress", classes="help hidden")
        yield Plain("", id="identity")
        yield Static("", id="root-warning", classes="warning hidden")
        yield Static("", id="clock-warning", classes="warning hidden")
        with Horizontal(classes="buttons"):
            yield Button("Cancel", id="cancel-connect", classes="hidden")
            yield Button("Retry", id="retry", classes="hidden")
            yield Button("Continue", id="continue", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self.connect()

    # -- connecting: elapsed time and attempt shown, cancel offered ----------------------------
    _scope: CancelScope | None = None
    _worker: Worker | None = None
    _progress_timer: Timer | None = None

    def connect(self) -> None:
        self.query_one("#retry").add_class("hidden")
        self.query_one("#cancel-connect").remove_class("hidden")
        self._scope = CancelScope()
        self._worker = self.run_aws(_connect_in, self.ctx.aws, self._scope, self.ctx.connect_checked,
                                    then=self._connected, group="connect")
        if self._progress_timer is None:
            self._progress_timer = self.set_interval(0.5, self._show_progress)
        self._progress_timer.resume()

    def _show_progress(self) -> None:
        """While AWS has not answered: which call, which attempt, how long so far."""
        waiting = self.ctx.aws.in_flight()
        box = self.query_one("#connect-progress", Plain)
        if waiting and waiting[0].elapsed() >= 1.0:
            box.update(waiting[0].text() + " … (Cancel stops waiting)")
            box.remove_class("hidden")

    def _connecting_done(self) -> None:
        if self._progress_timer is not None:
            self._progress_timer.pause()
        self.query_one("#connect-progress").add_class("hidden")
        self.query_one("#cancel-connect").add_class("hidden")

    def error_handlers(self) -> Mapping[type[WizardError], ErrorHandler]:
        return {WizardError: self._failed}

    def _failed(self, _error: WizardError) -> None:
        self._connecting_done()
        self.query_one("#retry").remove_class("hidden")

    @on(Button.Pressed, "#cancel-connect")
    def _cancel(self) -> None:
        """Stop waiting now: the call ends at its next attempt (no answer is lost: it was
        only a read), and the screen is back at once with Retry."""
        if self._scope is not None:
            self._scope.cancel()
        if self._worker is not None:
            self._worker.cancel()
        self._connecting_done()
        self.show_error(WizardError("Cancelled: the wizard stopped waiting for AWS.",
                                    hint="Check the network or proxy, then press Retry."))
        self.query_one("#retry").remove_class("hidden")

    @on(Button.Pressed, "#retry")
    def _retry(self) -> None:
        self.connect()

    def _connected(self, result: Connection) -> None:
        self._connecting_done()
        ident, skew = result.identity, result.clock_skew
        self.query_one("#connect-info", Plain).update(
            "Connected to the SANDBOX account (simulated, not AWS)." if self.ctx.demo else "Connected.")
        self.query_one("#identity", Plain).update(
            f"Account ID:  {ident.account_id}\nCaller ARN:  {ident.arn}")
        if ident.is_root:
            w = self.query_one("#root-warning", Static)
            w.update("You are signed in with ROOT ACCESS KEYS. AWS recommends that the root user "
                     "has no access keys at all: removing them is part of this wizard (the last "
                     "step, because deleting them ends this session).")
            w.remove_class("hidden")
        warning = clock_warning(skew)
        if warning:
            cw = self.query_one("#clock-warning", Static)
            cw.update(warning)
            cw.remove_class("hidden")
        self._skew = skew
        try:
            found = self.ctx.open_session(ident)
        except WizardError as exc:
            self.show_error(exc)
            self._failed(exc)
            return
        except OSError as exc:  # e.g. a state folder that cannot be written
            self.show_error(WizardError(
                f"Cannot use the session folder: {exc.strerror or exc} ({exc.filename or ''}).",
                hint="Choose another folder with --state-dir or ROOTWIZARD_STATE_DIR, then retry."))
            self.query_one("#retry").remove_class("hidden")
            return
        self._open(found)

    # -- session --------------------------------------------------------------------------
    def _open(self, found: OpenResult) -> None:
        if found.locked:
            self.app.push_screen(Choice(
                "Session in use",
                "Another rootwizard is running on this account and holds its session. "
                "You can open it read-only (nothing will be changed or saved) or quit.",
                [("readonly", "Open read-only"), ("quit", "Quit")], cancel="quit"), self._locked_choice)
        elif found.problem:
            self.app.push_screen(Choice(
                "The saved session cannot be read",
                f"{found.problem}\n\nThe file will be moved aside (kept, not deleted) and a new "
                "session started.",
                [("aside", "Move it aside and start a new session"), ("quit", "Quit")], cancel="quit"),
                self._corrupt_choice)
        elif found.checklist is not None:
            done, total = found.checklist.progress()
            if self.wapp.resume_without_asking:
                self._resume(found.checklist)
            else:
                self.app.push_screen(Choice(
                    "Resume the saved session?",
                    f"A session for account {found.checklist.account_id} started "
                    f"{found.checklist.started_at}: {done} of {total} steps closed, last change "
                    f"{found.checklist.updated_at or 'none'}.",
                    [("resume", "Resume it"), ("new", "Start a new session (the old one is kept aside)")],
                    cancel="resume"),
                    lambda choice: self._resume(found.checklist) if choice == "resume" else self._new(True))
        else:
            self._new(False)

    def _locked_choice(self, choice: str | None) -> None:
        if choice != "readonly":
            self.app.exit(message="The session is in use by another rootwizard.")
            return
        self.ctx.open_read_only()
        self._ready(resumed=True)

    def _corrupt_choice(self, choice: str | None) -> None:
        if choice != "aside":
            self.app.exit(message="Session left as it was.")
            return
        dest = self.ctx.move_aside("corrupt")
        self.notify(f"The unreadable session was moved to {dest}.", timeout=10)
        self._new(False)

    def _new(self, replace: bool) -> None:
        if replace:
            dest = self.ctx.move_aside("previous")
            self.notify(f"The previous session was kept as {dest}.")
        self.ctx.new_checklist()
        self._ready(resumed=False)

    def _resume(self, checklist) -> None:  # noqa: ANN001
        self.ctx.resume(checklist)
        self._ready(resumed=True)

    def _ready(self, *, resumed: bool) -> None:
        ident = self.ctx.identity
        if not self.ctx.store.read_only:
            self.change(Status.DONE, source="aws", evidence={
                "account_id": ident.account_id, "caller_arn": ident.arn,
                "caller_is_root": ident.is_root,
                "clock_skew_seconds": None if self._skew is None else round(self._skew, 1),
                "source": "sts:GetCallerIdentity"})
        self.refresh_chrome()
        self.query_one("#continue", Button).disabled = False
        if resumed and not self.ctx.store.read_only:
            todo = self.ctx.steps_to_reverify()
            if todo:
                self.query_one("#connect-info", Plain).update(
                    f"Resumed. Re-verifying {len(todo)} step(s) against AWS …")
                self.run_aws(self.ctx.read_reverify, then=self._reverified, group="reverify")

    def _reverified(self, results: dict[str, Seen | None]) -> None:
        try:
            found = self.ctx.apply_reverify(results)
        except (WizardError, OSError) as exc:
            self.show_error(f"Not saved: {exc}")
            found = None
        self.refresh_chrome()
        if found is None:
            return
        msg = ("Resumed; every verified step was confirmed again in AWS." if not found.lost else
               f"Resumed; AWS no longer shows the result of: {', '.join(found.lost)} (set back to pending).")
        if found.unknown:
            msg += f" Could not re-read (access denied or unsupported): {', '.join(found.unknown)}."
        self.query_one("#connect-info", Plain).update(msg)

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.wapp.next_step(after="connect")


def _connect_in(aws: AwsAccess, scope: CancelScope, connect):  # noqa: ANN001, ANN202
    """In the worker: connect inside the screen's cancel scope."""
    with aws.cancel_scope(scope):
        return connect()
