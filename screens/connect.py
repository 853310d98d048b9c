"""Step 1: connect. Who am I, which account, is the clock right; then open or resume
the account's saved session."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Button, Static
from textual.worker import Worker

from screens.app import OPEN_ORG_VIEW
from screens.base import ErrorHandler, StepScreen
from screens.dialogs import Choice
from screens.safe import Plain
from wizard.aws import AwsAccess, CancelScope, clock_warning
from wizard.checklist import STEPS_BY_ID, Status
from wizard.context import Connection, OpenResult, Reverified
from wizard.errors import WizardError
from wizard.verify import Seen

if TYPE_CHECKING:  # imported by the connect worker, after the first frame
    from wizard.organizations import OrgPosition


def _titles(step_ids: tuple[str, ...]) -> str:
    return ", ".join(STEPS_BY_ID[sid].title for sid in step_ids)


def org_position_text(org: OrgPosition | None, problem: str, *, demo: bool = False) -> str:
    """One paragraph on where the account stands in AWS Organizations (all plain text)."""
    if org is None:
        return (f"AWS Organizations: not known ({problem or 'the read failed'}). Nothing else "
                "depends on it.")
    if org.kind == "standalone":
        return "AWS Organizations: a standalone account (not in an organization)."
    if org.kind == "unknown":
        return (f"AWS Organizations: not known ({org.detail}). That is a normal answer for many "
                "callers; nothing else depends on it.")
    if org.kind == "management":
        command = "rootwizard --demo --org" if demo else "rootwizard --org"
        return (f"AWS Organizations: the management account of organization {org.organization_id}. "
                "Member accounts' root users can be handled centrally from here (centralized root "
                "access): audit their credentials and remove them without signing in as each "
                "root. Open the organization view below (or later: `" + command + "`, or `rootwizard "
                "org status`). This wizard secures this account's own root user, which centralized "
                "root access does not reach.")
    return (f"AWS Organizations: a member account of organization {org.organization_id} "
            f"(management account {org.management_account_id}). Its management account can "
            "audit and remove this account's root credentials centrally.")


class ConnectScreen(StepScreen):
    STEP_ID = "connect"
    PRIMARY = ("continue", "retry")
    BINDINGS = [
        Binding("f2", "press('continue')", "Continue", id="connect.continue"),
        Binding("f5", "press('retry')", "Retry", id="connect.retry"),
    ]

    def _connecting_text(self) -> str:
        s = self.ctx.aws.settings
        if self.ctx.demo:
            where = ["the SANDBOX account (a simulated account on moto, not AWS)"]
        else:
            where = [f"profile {s.profile}" if s.profile else "the default credential chain",
                     f"region {s.region}" if s.region else "the configured region",
                     f"endpoint {s.endpoint_url}" if s.endpoint_url else ""]
        return "Connecting with " + ", ".join(w for w in where if w) + " …"

    def compose_body(self) -> ComposeResult:
        yield Plain(self._connecting_text(), id="connect-info")  # an endpoint or profile name is not markup
        yield Plain("", id="sandbox-state", classes="help hidden")
        yield Plain("", id="connect-progress", classes="help hidden")
        yield Plain("", id="identity")
        yield Static("", id="root-warning", classes="warning hidden")
        yield Static("", id="account-position", classes="hidden")
        yield Static("", id="clock-warning", classes="warning hidden")
        with Horizontal(classes="buttons"):
            yield Button("Cancel", id="cancel-connect", classes="hidden")
            yield Button("Retry", id="retry", classes="hidden")
            yield Button("Continue", id="continue", variant="primary", disabled=True)
            yield Button("Open the organization view", id="org-view", classes="hidden")

    def on_mount(self) -> None:
        # After the first frame: the worker imports boto3 (and moto for the sandbox), which
        # would hold the GIL while the first screen is composed and drawn.
        self.call_after_refresh(self.connect)

    # -- connecting: elapsed time and attempt shown, cancel offered ----------------------------
    _scope: CancelScope | None = None
    _worker: Worker | None = None
    _progress_timer: Timer | None = None

    def connect(self) -> None:
        self.query_one("#retry").add_class("hidden")
        self.query_one("#connect-info", Plain).update(self._connecting_text())
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
        self.query_one("#connect-info", Plain).update("Not connected: see the message above.")
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
        sandbox = self.ctx.sandbox
        self.query_one("#connect-info", Plain).update(
            "Connected to the SANDBOX account (simulated, not AWS)." if sandbox is not None else "Connected.")
        if sandbox is not None and sandbox.notice:
            note = self.query_one("#sandbox-state", Plain)
            note.update(f"SANDBOX: {sandbox.notice}")  # plain: it names files
            note.remove_class("hidden")
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
        self._connection = result
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
                "source": "sts:GetCallerIdentity",
                **({"organization": self._connection.org.to_json(), "organization_source":
                    "organizations:DescribeOrganization"} if self._connection.org else {})})
        self._root_found = self._apply_root_credentials()
        self.show_position()
        self.refresh_chrome()
        self.query_one("#continue", Button).disabled = False
        if resumed and not self.ctx.store.read_only:
            todo = self.ctx.steps_to_reverify()
            if todo:
                self.query_one("#connect-info", Plain).update(
                    f"Resumed. Re-verifying {len(todo)} step(s) against AWS …")
                self.run_aws(self.ctx.read_reverify, then=self._reverified, group="reverify")
            elif self._root_found.lost or self._root_found.unknown:
                self.query_one("#connect-info", Plain).update(self._resume_message(Reverified()))

    def _apply_root_credentials(self) -> Reverified:
        """The root steps as the connect read shows them (not applicable when root has no
        credentials; back to pending when it has them again)."""
        if self.ctx.store.read_only:
            return Reverified()
        try:
            return self.ctx.apply_root_credentials(self._connection.root_credentials)
        except (WizardError, OSError) as exc:
            self.show_error(f"Not saved: {exc}")
            return Reverified()

    def show_position(self) -> None:
        """What the connect reads show of the account: standalone, management account or
        member of an organization, and a root without credentials."""
        creds = self._connection.root_credentials
        lines = [org_position_text(self._connection.org, self._connection.org_problem, demo=self.ctx.demo)]
        if creds is not None and creds.none:
            member = self._connection.org is not None and self._connection.org.kind == "member"
            lines.append("AWS shows the root user has no credentials (no password, access key or "
                         "signing certificate; iam:GetAccountSummary)"
                         + (", as centralized root access leaves a member account" if member else "")
                         + ": the root MFA, root access keys and root password steps are not "
                         "applicable (verified).")
        elif creds is None and self._connection.root_problem:
            lines.append(f"The root user's credentials could not be read: {self._connection.root_problem}")
        org = self._connection.org
        self.query_one("#org-view").set_class(org is None or not org.can_manage_roots_centrally, "hidden")
        panel = self.query_one("#account-position", Static)
        panel.update(Text("\n".join(lines)))
        panel.set_class(not lines, "hidden")

    def _resume_message(self, found: Reverified) -> str:
        lost = [*found.lost, *self._root_found.lost]
        unknown = [*found.unknown, *self._root_found.unknown]
        msg = ("Resumed; every verified step was confirmed again in AWS." if not lost else
               f"Resumed; AWS no longer shows the result of: {_titles(tuple(lost))} (set back to pending).")
        if unknown:
            msg += f" Could not re-read (access denied or unsupported): {_titles(tuple(unknown))}."
        return msg

    def _reverified(self, results: dict[str, Seen | None]) -> None:
        try:
            found = self.ctx.apply_reverify(results)
        except (WizardError, OSError) as exc:
            self.show_error(f"Not saved: {exc}")
            found = None
        self.refresh_chrome()
        if found is None:
            return
        self.query_one("#connect-info", Plain).update(self._resume_message(found))

    @on(Button.Pressed, "#org-view")
    def _org_view(self) -> None:
        """Leave this account's wizard (its session stays saved) for the organization view."""
        self.app.exit(result=OPEN_ORG_VIEW)

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.wapp.next_step(after="connect")


def _connect_in(aws: AwsAccess, scope: CancelScope, connect):  # noqa: ANN001, ANN202
    """In the worker: connect inside the screen's cancel scope."""
    with aws.cancel_scope(scope):
        return connect()
