"""Root step: the account contact information and recovery channels. The operator
confirms that the root email inbox and the account phone are reachable (they recover
root sign-in when MFA is lost); where account:GetContactInformation answers, the screen
shows what AWS has."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Checkbox, Static

from screens.root_base import RootStepScreen, field_error, plain
from screens.tickbox import TickBox
from wizard.errors import InputError
from wizard.rootflow import ContactRead, contact_information_lines, read_contact_information


class ContactInfoScreen(RootStepScreen):
    STEP_ID = "contact_info"
    CONSOLE_LABEL = "Both are reachable: confirm"
    _read: ContactRead | None = None

    def compose_step(self) -> ComposeResult:
        yield plain("Reading the contact information from AWS …", id="aws-contact", classes="facts")
        yield plain("Before enabling root MFA, confirm both recovery channels work:", classes="help")
        yield TickBox("The root email inbox receives mail (a test message arrived)",
                       id="email-ok")
        yield TickBox("The account phone number is in service and answered by us", id="phone-ok")
        yield field_error("reachable")

    def primary_widget(self) -> Widget | None:
        """A box still to tick, then the confirmation."""
        for box in self.query(Checkbox):
            if not box.value:
                return box
        return super().primary_widget()

    def load(self) -> None:
        self.run_aws(read_contact_information, self.ctx.aws, then=self._shown)

    def _shown(self, read: ContactRead) -> None:
        self._read = read
        box = self.query_one("#aws-contact", Static)
        if read.info is not None:
            box.update("What AWS has (account:GetContactInformation):\n"
                       + "\n".join(contact_information_lines(read.info))
                       + "\nThe account email is not part of this record: check it on the Account page.")
        else:
            box.update(f"AWS did not answer: {read.problem} Check the details in the console "
                       f"({self.guide.link}).")

    def confirm_evidence(self) -> dict[str, Any]:
        if not (self.query_one("#email-ok", Checkbox).value and self.query_one("#phone-ok", Checkbox).value):
            raise InputError("Tick both boxes once the inbox and the phone are reachable.",
                             field="reachable")
        read = self._read
        return {"root_email_reachable": True, "phone_reachable": True,
                "aws_contact_information": "read" if read and read.info is not None else "not available"}

    def on_simulated(self) -> None:
        super().on_simulated()
        self.load()
