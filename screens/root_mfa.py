"""Root user MFA: console-only. A root step like the others (guidance, verify through
iam:GetAccountSummary (AccountMFAEnabled = 1), operator confirmation, skip with a reason),
which can also check the secret key the console shows (QR for a backup authenticator,
two codes)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from screens.qr_widget import QrCode
from screens.root_base import RootStepScreen, plain
from screens.safe import Plain
from screens.seed_view import SeedViewMixin, code_fields
from wizard import mfa
from wizard.errors import InputError
from wizard.qr import qr_matrix
from wizard.totp import SUBMIT_ADVICE, CodeRejected

# The guidance above it (wizard.steps) already says why, passkeys first, and the second device.
EXTRA = (
    "In the console: Assign MFA device → type a device name → Authenticator app → Show QR "
    "code (or Show secret key) → type two consecutive codes → Add MFA. The credential "
    "report's <root_account> mfa_active follows once the report is regenerated."
)
PASTE_HELP = (
    "Optional: while the console shows the secret key, paste it here. The wizard checks it, "
    "draws its QR code so a second (backup) authenticator can scan the same key, and checks "
    "two consecutive codes from the app before you type codes into the console. The key "
    "stays in memory only and is dropped when you leave this step."
)


class RootMfaScreen(SeedViewMixin, RootStepScreen):
    """A root step (guidance, Verify, "I did this in the console", Skip… from the shared
    base) with the optional check of the secret key the console shows."""

    STEP_ID = "root_mfa"
    CSS_PATH = ["root.tcss", "root_mfa.tcss"]
    CONSOLE_NOTE = "operator: MFA assigned in the console"

    def __init__(self) -> None:
        super().__init__()
        self._key: mfa.PastedKey | None = None

    def compose_step(self) -> ComposeResult:
        yield plain(EXTRA, classes="help")
        yield plain(PASTE_HELP, classes="help")
        yield Label("Secret key from the console")
        yield Input(id="secret", password=True, placeholder="paste the secret key")
        yield Plain("", id="secret-error", classes="field-error")
        with Horizontal(classes="buttons"):
            yield Button("Check the key and show its QR code", id="check-key")
        with Vertical(id="key-check", classes="hidden"):
            yield QrCode(id="qr")
            yield Static("", id="ticker")
            yield Static(SUBMIT_ADVICE, classes="help")
            yield from code_fields()
            with Horizontal(classes="buttons"):
                yield Button("Check the codes", id="check-codes", variant="primary")
                yield Button("Back up the key to the OS keyring", id="backup")
                yield Button("Forget the key", id="forget")
            yield Plain("", id="backup-result")
        yield Plain("", id="key-result")

    def on_unmount(self) -> None:
        self._forget(ui=False)

    # -- the pasted key -------------------------------------------------------------------------
    @on(Input.Submitted, "#secret")
    @on(Button.Pressed, "#check-key")
    def _check_key(self) -> None:
        field, error = self.query_one("#secret", Input), self.query_one("#secret-error", Static)
        try:
            key = mfa.PastedKey(field.value, self.ctx.identity.account_id)
        except InputError as exc:
            self.field_problem("secret", str(exc))
            return
        finally:
            field.value = ""
        error.update("")
        self._forget()
        self._key = key
        self.query_one("#qr", QrCode).set_matrix(qr_matrix(key.uri))
        self.query_one("#key-check").remove_class("hidden")
        self.query_one("#key-result", Static).update(
            "The key is valid base32. Scan this code with the backup authenticator (and the main "
            "one if you have not yet), then check two consecutive codes.")
        self.start_ticker()
        qr = self.query_one("#qr", QrCode)
        self.call_after_refresh(lambda: qr.scroll_visible(top=True, animate=False))

    @on(Button.Pressed, "#backup")
    def _backup_pressed(self) -> None:
        self.backup_seed()

    def held_seed(self) -> mfa.PastedKey | None:
        return self._key

    @on(Input.Submitted, "#code2")
    @on(Button.Pressed, "#check-codes")
    def _check_codes(self) -> None:
        if self._key is None or not self._key.active:
            return
        code1, code2 = self.query_one("#code1", Input), self.query_one("#code2", Input)
        for name in ("code1", "code2"):
            self.query_one(f"#{name}-error", Static).update("")
        try:
            self._key.check.check(code1.value, code2.value)
        except CodeRejected as exc:
            self.field_problem(exc.field or "code1", mfa.rejection_text(exc))
            if exc.retry_after:
                button = self.query_one("#check-codes", Button)
                button.disabled = True
                self.set_timer(exc.retry_after, lambda: setattr(button, "disabled", False))
            return
        finally:
            code1.value = code2.value = ""
        self._forget()
        self.query_one("#key-result", Static).update(
            "Both codes match the key: the app is set up correctly. Now type two consecutive codes "
            "into the console (MFA code 1 and 2) and submit at once, then press Verify. "
            "The key was dropped from memory.")

    @on(Button.Pressed, "#forget")
    def _forget_pressed(self) -> None:
        self._forget()
        self.query_one("#key-result", Static).update("The key was dropped from memory.")

    def _forget(self, *, ui: bool = True) -> None:
        self.stop_ticker()
        if self._key is not None:
            self._key.wipe()
            self._key = None
        if ui:
            self.query_one("#qr", QrCode).set_matrix(None)
            self.query_one("#key-check").add_class("hidden")
            for wid in ("#ticker", "#backup-result"):
                self.query_one(wid, Static).update("")
