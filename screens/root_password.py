"""Root step: a strong, unique root password. The wizard cannot see or set it; it
checks a candidate locally against AWS's root password rules and the lab's advice.
The candidate is never stored, logged or kept: the field is cleared at each check."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, Static

from screens.root_base import RootStepScreen, field_error, plain
from wizard.rootchecks import ROOT_PASSWORD_MAX, ROOT_PASSWORD_MIN, ROOT_SYMBOLS_TEXT, check_root_password


class RootPasswordScreen(RootStepScreen):
    STEP_ID = "root_password"
    CONSOLE_LABEL = "I changed it in the console"
    PRIMARY = ("candidate", "console-done")  # check a candidate first (optional: F3 confirms)

    def compose_step(self) -> ComposeResult:
        yield plain(
            f"AWS rules for the root password: {ROOT_PASSWORD_MIN} to {ROOT_PASSWORD_MAX} "
            "characters; at least three of upper-case letters, lower-case letters, numbers and "
            f"the symbols {ROOT_SYMBOLS_TEXT}; not the account name or email address.",
            id="rules", classes="facts")
        yield plain(
            "Check a candidate here before setting it in the console (optional). It is checked "
            "on this computer only and never stored, logged or sent; the field is cleared after "
            "each check. The account name and email below are only compared with it, not saved.",
            classes="help")
        for field_id, label, hint in (("account-name", "Account name", "optional"),
                                      ("root-email", "Root email", "optional")):
            with Horizontal(classes="field-row"):
                yield Label(label, classes="field-label")
                yield Input(id=field_id, placeholder=hint)
        with Horizontal(classes="field-row"):
            yield Label("Candidate", classes="field-label")
            yield Input(id="candidate", password=True, placeholder="typed characters stay hidden")
            yield Button("Check", id="check")
        yield field_error("candidate")
        yield plain("", id="check-result", classes="facts hidden")

    @on(Button.Pressed, "#check")
    @on(Input.Submitted, "#candidate")
    def _check(self) -> None:
        self.clear_field_errors()
        field = self.query_one("#candidate", Input)
        name = self.query_one("#account-name", Input).value.strip() or None
        email = self.query_one("#root-email", Input).value.strip() or None
        if not field.value:
            self.field_problem("candidate", "Type a candidate password to check.")
            return
        result = check_root_password(field.value, name, email)
        field.value = ""  # the only copy the wizard held
        if result.ok:
            lines = ["Meets AWS's rules for the root password."]
        else:
            lines = ["Does not meet AWS's rules:", *(f"• {p}" for p in result.problems)]
        if result.advice:
            lines += ["Advice:", *(f"• {a}" for a in result.advice)]
        out = self.query_one("#check-result", Static)
        out.update("\n".join(lines))
        out.remove_class("hidden")
        out.set_class(result.ok, "ok")
        out.set_class(not result.ok, "not-yet")
