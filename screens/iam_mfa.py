"""Virtual MFA for an IAM user: choose (or create) the user, create the device, scan the
QR code, type two consecutive codes. wizard.mfa does the work; this screen shows it."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from screens.base import ErrorHandler, StepScreen, WriteButton
from screens.dialogs import Choice
from screens.qr_widget import QrCode
from screens.root_base import SkipDialog
from screens.safe import Plain, text
from screens.seed_view import SeedViewMixin, code_fields
from wizard import mfa, mfa_coverage
from wizard.checklist import Status
from wizard.errors import AlreadyExistsError, InputError, WizardError
from wizard.qr import qr_matrix
from wizard.totp import SUBMIT_ADVICE, CodeRejected

INTRO = (
    "Give IAM users a virtual MFA device (an authenticator app). Every console user without "
    "MFA, as AWS shows it now, is listed first: enrol them one after another, or skip one "
    "with a reason. The step is done when AWS shows no console user without MFA, or every "
    "one left is skipped with a reason. The wizard creates the device, shows its QR code, "
    "checks two consecutive codes itself, then enables the device and confirms it with "
    "iam:ListMFADevices. No user yet? Create the first administrator user (an 'Admins' "
    "group with AdministratorAccess): each action is shown and confirmed first."
)


class IamMfaScreen(SeedViewMixin, StepScreen):
    STEP_ID = "iam_user_mfa"
    # Devices assigned to nobody are a question to answer first: "Leave them" has the focus
    # (Enter changes nothing; Delete is one shift+Tab away), then the enrolment.
    PRIMARY = ("keep-orphans", "submit", "start", "create-admin")
    BINDINGS = [
        Binding("f2", "press('start')", "Create device", id="iam_user_mfa.start"),
        Binding("f2", "press('submit')", "Enable MFA", id="iam_user_mfa.submit"),
        Binding("f3", "press('reveal')", "Reveal/hide secret", id="iam_user_mfa.reveal"),
        Binding("f4", "press('cancel')", "Cancel device", id="iam_user_mfa.cancel"),
    ]
    CSS_PATH = "iam_mfa.tcss"

    def __init__(self) -> None:
        super().__init__()
        self._enrollment: mfa.Enrollment | None = None  # shown on this screen
        self._holder = mfa.EnrollmentHolder()  # owns the device across worker threads
        self._orphans: list[str] = []
        self._coverage: mfa_coverage.Coverage | None = None  # the last live read shown
        self._admin: mfa.AdminSetup | None = None
        self._acted = False  # an enrolment or a skip was saved: record the next read's outcome

    def compose_body(self) -> ComposeResult:
        with Vertical(id="orphans", classes="warning hidden"):
            yield Plain("", id="orphans-text")
            with Horizontal(classes="buttons"):
                yield WriteButton("Delete them", id="delete-orphans", variant="warning")
                yield Button("Leave them", id="keep-orphans")
        with Vertical(id="choose"):
            yield Static(INTRO, classes="help")
            yield OptionList(id="users", markup=False)
            yield Plain("", id="users-note", classes="warning hidden")
            yield Plain("Reading the console users and their MFA from AWS …", id="coverage")
            yield Label("IAM user")
            yield Input(id="user", placeholder="user name")
            yield Plain("", id="user-error", classes="field-error")
            yield Label("Device name (empty: the user name)")
            yield Input(id="device-name", placeholder="device name")
            yield Plain("", id="device-name-error", classes="field-error")
            with Horizontal(classes="buttons"):
                yield WriteButton("Create the MFA device", id="start", variant="primary")
                yield Button("Skip this user…", id="skip")
                yield WriteButton("Create the first administrator user", id="create-admin")
        with Vertical(id="enrol", classes="hidden"):
            yield QrCode(id="qr")
            yield Static("", id="ticker")
            yield Plain("", id="enrol-help", classes="help")
            with Horizontal(classes="buttons"):
                yield Button("Reveal secret", id="reveal")
                yield Button("Back up the seed to the OS keyring", id="backup")
            yield Plain("", id="secret", classes="hidden secret-view")
            yield Plain("", id="backup-result")
            yield from code_fields()
            with Horizontal(classes="buttons"):
                yield WriteButton("Enable MFA", id="submit", variant="primary")
                yield Button("Cancel (delete the device)", id="cancel", variant="error")
        yield Plain("", id="result")

    def on_mount(self) -> None:
        rec = self.ctx.checklist.step(self.STEP_ID)
        if rec.status == Status.DONE and rec.evidence.get("serial"):
            self._say(f"Done: {rec.evidence['user']} has MFA device {rec.evidence['serial']} "
                      "(seen with iam:ListMFADevices).")
        self._reload()

    def on_unmount(self) -> None:
        """Leaving (another step, quit): the holder deletes a device left unassigned, now
        or when the call still in flight ends. A non-daemon thread, so quitting waits."""
        threading.Thread(target=self._holder.close, args=(self.ctx.aws,), name="mfa-cleanup").start()
        self._enrollment = None

    # -- helpers ------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.query_one("#result", Static).update(text)

    def _field_error(self, field: str, text: str = "") -> None:
        self.query_one(f"#{field}-error", Static).update(text)

    def _clear_field_errors(self) -> None:
        for field in ("user", "device-name", "code1", "code2"):
            self._field_error(field)

    def _reload(self) -> None:
        skipped = mfa_coverage.skipped_of(self.ctx.checklist.step(self.STEP_ID).evidence)
        self.run_aws(mfa_coverage.load_choices, self.ctx.aws, skipped, then=self._loaded, group="load")

    def _loaded(self, result: mfa_coverage.MfaChoices) -> None:
        cov, self._orphans = result.coverage, result.orphans
        self._coverage = cov
        users = cov.users
        options = self.query_one("#users", OptionList)
        options.clear_options()
        options.add_options([Option(text(c.label + (f"  skipped: {cov.skipped[c.name]}"
                                                   if c.name in cov.skipped else "")), id=c.name)
                             for c in users] or
                            [Option("(no IAM users yet: create the first administrator)", disabled=True)])
        self.query_one("#coverage", Plain).update(cov.summary())
        note = mfa.missing_facts(list(users))  # a denied read leaves facts unknown, the list usable
        self.query_one("#users-note", Plain).update(note)
        self.query_one("#users-note").set_class(not note, "hidden")
        self._judge(cov)
        user_input = self.query_one("#user", Input)
        enrolled = self.ctx.checklist.step(self.STEP_ID).evidence.get("user")  # the report may predate it
        todo = [c for c in users if not c.has_mfa and c.name != enrolled]
        if not user_input.value and todo:
            user_input.value = todo[0].name
        box = self.query_one("#orphans")
        if self._orphans:
            self.query_one("#orphans-text", Static).update(
                f"{len(self._orphans)} virtual MFA device(s) are assigned to nobody, e.g. left by an "
                "interrupted enrolment:\n" + "\n".join(self._orphans) + "\nDelete them? (If someone is "
                "enrolling a device in the console right now, theirs may be one of these.)")
        box.set_class(not self._orphans, "hidden")

    # -- orphans -------------------------------------------------------------------------------
    @on(Button.Pressed, "#delete-orphans")
    def _delete_orphans(self) -> None:
        self.run_aws(mfa.delete_orphans, self.ctx.aws, list(self._orphans), then=self._orphans_deleted,
                     write=True)

    def _orphans_deleted(self, deleted: list[str]) -> None:
        self.notify(f"Deleted {len(deleted)} unassigned device(s).")
        self._orphans = []
        self.query_one("#orphans").add_class("hidden")
        self.call_after_refresh(self.focus_primary, force=True)  # on to the enrolment

    @on(Button.Pressed, "#keep-orphans")
    def _keep_orphans(self) -> None:
        self.query_one("#orphans").add_class("hidden")
        self.call_after_refresh(self.focus_primary, force=True)

    # -- choosing / creating the user -------------------------------------------------------
    @on(OptionList.OptionSelected, "#users")
    def _user_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option_id:
            self.query_one("#user", Input).value = event.option_id
            self._field_error("user")

    def _names(self) -> tuple[str, str] | None:
        self._clear_field_errors()
        try:
            user = mfa.validate_user_name(self.query_one("#user", Input).value)
        except InputError as exc:
            self._field_error("user", exc.message)
            return None
        try:
            device = mfa.validate_device_name(self.query_one("#device-name", Input).value, user)
        except InputError as exc:
            self._field_error("device-name", exc.message)
            return None
        return user, device

    @on(Button.Pressed, "#create-admin")
    def _create_admin(self) -> None:
        user_input = self.query_one("#user", Input)
        if not user_input.value.strip():
            user_input.value = mfa.DEFAULT_ADMIN_USER
        names = self._names()
        if names:
            self.run_aws(mfa.plan_admin_setup, self.ctx.aws, names[0], then=self._admin_planned)

    def _admin_planned(self, setup: mfa.AdminSetup) -> None:
        if setup.next is None:
            self._say("That user is already in the 'Admins' group with AdministratorAccess.")
            return
        self._admin = setup
        self._next_admin_action()

    def _next_admin_action(self) -> None:
        setup = self._admin
        if setup is None:
            return
        if setup.next is None:
            self._admin = None
            self._say(f"Administrator user {setup.user!r} is ready (group 'Admins', AdministratorAccess). "
                      "Now create its MFA device.")
            self._reload()
            return
        self.app.push_screen(Choice("Create the first administrator user", setup.next.text,
                                    [("do", "Do it"), ("stop", "Stop here")], cancel="stop"),
                             self._admin_choice)

    def _admin_choice(self, choice: str | None) -> None:
        setup = self._admin
        if setup is None or setup.next is None:
            return
        if choice != "do":
            self._admin = None
            self._say(f"Stopped: {setup.stop()} action(s) not made.")
            return
        action = setup.next

        def made(_result: None) -> None:
            setup.made(action)
            self._next_admin_action()

        self.run_aws(mfa.execute_admin_action, self.ctx.aws, action, then=made, write=True)

    # -- enrolment -------------------------------------------------------------------------------
    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        names = self._names()
        if not names:
            return
        self.query_one("#start", Button).disabled = True
        self._say("")
        self.run_aws(self._holder.start, self.ctx.aws, *names, account_id=self.ctx.identity.account_id,
                     then=self._started, write=True)

    def error_handlers(self) -> Mapping[type[WizardError], ErrorHandler]:
        return {WizardError: self._failed, CodeRejected: self._codes_rejected,
                AlreadyExistsError: self._name_taken}

    def _failed(self, _error: WizardError) -> None:
        self.query_one("#start", Button).disabled = False
        self.query_one("#submit", Button).disabled = False
        if self._enrollment is not None and not self._enrollment.active:
            gone = self._enrollment  # complete() dropped the seed (and deleted the device)
            self._finish_enrolment()
            if gone.deleted:
                self._say(f"The device {gone.serial} was deleted so that none is left unassigned. "
                          "Remove its entry from the authenticator app and start again.")

    def _codes_rejected(self, error: WizardError) -> bool:
        assert isinstance(error, CodeRejected)
        self._failed(error)
        self._field_error(error.field or "code1", mfa.rejection_text(error))
        if error.retry_after:
            submit = self.query_one("#submit", Button)
            submit.disabled = True
            self.set_timer(error.retry_after, lambda: setattr(submit, "disabled", False))
        return True  # shown under the code fields, not in the error panel

    def _name_taken(self, error: WizardError) -> None:
        self._failed(error)
        if self._enrollment is None:
            device = self.query_one("#device-name", Input).value.strip() or \
                self.query_one("#user", Input).value.strip()
            self._field_error("device-name", "A virtual MFA device with this name already exists.")
            self.run_aws(mfa.free_device_name, self.ctx.aws, device, then=self._offer_name)

    def _offer_name(self, other: str) -> None:
        def chosen(choice: str | None) -> None:
            if choice == "use":
                self.query_one("#device-name", Input).value = other
                self._start()

        self.app.push_screen(Choice("Device name taken", f"A virtual MFA device with that name already "
                                    f"exists in this account. Use {other!r} instead?",
                                    [("use", f"Use {other}"), ("other", "Choose another name")],
                                    cancel="other"), chosen)

    def _started(self, enrollment: mfa.Enrollment) -> None:
        self._enrollment = enrollment
        self.query_one("#start", Button).disabled = False
        self.query_one("#qr", QrCode).set_matrix(qr_matrix(enrollment.uri))
        self.query_one("#enrol-help", Static).update(
            f"Device {enrollment.serial} was created for {enrollment.user}. Scan the code with the "
            f"authenticator app (entry: Amazon Web Services, {enrollment.device_name}@"
            f"{enrollment.label_account}). {SUBMIT_ADVICE}")
        self.query_one("#choose").add_class("hidden")
        self.query_one("#orphans").add_class("hidden")
        self.query_one("#enrol").remove_class("hidden")
        self.start_ticker()
        self.query_one("#code1", Input).focus(scroll_visible=False)  # next: the app's first code
        self.query_one("#body").scroll_home(animate=False)

    @on(Button.Pressed, "#backup")
    def _backup_pressed(self) -> None:
        self.backup_seed()

    def held_seed(self) -> mfa.Enrollment | None:
        return self._enrollment

    @on(Button.Pressed, "#reveal")
    def _reveal(self) -> None:
        secret, button = self.query_one("#secret", Static), self.query_one("#reveal", Button)
        if secret.has_class("hidden") and self._enrollment is not None and self._enrollment.active:
            secret.update(f"Secret key (type it into the app if it cannot scan):\n"
                          f"{self._enrollment.secret_text()}")
            secret.remove_class("hidden")
            button.label = "Hide secret"
        else:
            secret.update("")
            secret.add_class("hidden")
            button.label = "Reveal secret"

    @on(Input.Submitted, "#code1")
    def _code1_entered(self) -> None:
        self.query_one("#code2", Input).focus()

    @on(Input.Submitted, "#code2")
    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        submit = self.query_one("#submit", Button)
        if self._enrollment is None or not self._enrollment.active or submit.disabled:
            return
        submit.disabled = True  # one pair at a time: a second submit would be a replay
        self._field_error("code1")
        self._field_error("code2")
        code1, code2 = self.query_one("#code1", Input), self.query_one("#code2", Input)
        values = code1.value, code2.value
        code1.value = code2.value = ""
        self.run_aws(self._holder.complete, self.ctx.aws, self._enrollment, *values, then=self._completed,
                     write=True)

    def _completed(self, evidence: dict) -> None:
        # Saved at once: the enrolment is kept even if the screen goes before the read.
        rec = self.ctx.checklist.step(self.STEP_ID)
        self.change(rec.status, evidence=mfa_coverage.with_enrolment(rec.evidence, evidence),
                    source="aws", note=rec.note)
        self._finish_enrolment()
        for field in ("#user", "#device-name"):  # the next enrolment is for someone else
            self.query_one(field, Input).value = ""
        self._say(f"MFA device {evidence['serial']} is enabled for {evidence['user']} "
                  "(seen with iam:ListMFADevices). The secret key was dropped from memory.")
        self._acted = True
        self._reload()

    def _judge(self, cov: mfa_coverage.Coverage) -> None:
        """Record the step as AWS shows it: after an enrolment or a skip, or when the
        status AWS shows differs from the recorded one."""
        rec = self.ctx.checklist.step(self.STEP_ID)
        status, evidence, note = mfa_coverage.outcome(cov, rec.evidence)
        acted, self._acted = self._acted, False
        if (acted or status != rec.status) and not self.ctx.store.read_only:
            self.change(status, evidence=evidence, source="aws", note=note)

    @on(Button.Pressed, "#skip")
    def _skip(self) -> None:
        names = self._names()
        if not names:
            return
        user = names[0]

        def chosen(reason: str | None) -> None:
            if reason is None:
                return
            rec = self.ctx.checklist.step(self.STEP_ID)
            skipped = mfa_coverage.skip(rec.evidence, user, reason)
            if self.change(rec.status, evidence={**rec.evidence, "skipped": skipped}, source="aws",
                           note=rec.note):
                self._say(f"{user} is skipped: {reason}")
                self._acted = True
                if self._coverage is None:
                    self._reload()
                else:  # a skip changes nothing in AWS: the last read, with the new reason
                    self._loaded(mfa_coverage.MfaChoices(self._coverage.with_skipped(skipped), self._orphans))

        self.app.push_screen(SkipDialog(f"{user} without MFA", text=(
            f"Say why {user} keeps console access without MFA for now. The step can close with "
            "this reason; the completion record keeps it.")), chosen)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        if self._enrollment is not None and self._enrollment.active:
            self.run_aws(self._holder.cancel, self.ctx.aws, self._enrollment, then=self._cancelled,
                         write=True)

    def _cancelled(self, _result: object) -> None:
        serial = self._enrollment.serial if self._enrollment else ""
        self._finish_enrolment()
        self._say(f"Cancelled: the unassigned device {serial} was deleted. Remove its entry from the "
                  "authenticator app if it was scanned.")

    def _finish_enrolment(self) -> None:
        """Back to choosing a user; nothing of the secret stays on screen."""
        self.stop_ticker()
        self._enrollment = None
        self.query_one("#qr", QrCode).set_matrix(None)
        for wid in ("#secret", "#backup-result", "#ticker", "#enrol-help"):
            self.query_one(wid, Static).update("")
        self.query_one("#secret").add_class("hidden")
        self.query_one("#reveal", Button).label = "Reveal secret"
        self.query_one("#submit", Button).disabled = False
        self.query_one("#enrol").add_class("hidden")
        self.query_one("#choose").remove_class("hidden")
