"""Root step: alternate contacts (security first, then operations and billing). Read
with account:GetAlternateContact, written with PutAlternateContact and read back; done
when AWS shows all three. Without API access, console guidance and operator confirmation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static

from screens.base import ErrorHandler, WriteButton
from screens.root_base import RootStepScreen, field_error, plain
from wizard.errors import AwsError, WizardError
from wizard.rootchecks import CONTACT_TYPES, ContactFormError, validate_alternate_contact
from wizard.rootflow import (
    API_UNAVAILABLE,
    contact_text,
    contacts_verdict,
    read_alternate_contacts,
    write_alternate_contact,
)
from wizard.text import visible

FIELDS = (("name", "Name", "Name"), ("title", "Title", "Title"),
          ("email", "Email", "EmailAddress"), ("phone", "Phone", "PhoneNumber"))


class AlternateContactsScreen(RootStepScreen):
    STEP_ID = "alternate_contacts"
    _unavailable: str = ""  # why the Account Management API cannot be used here
    _known: dict[str, Any] | None = None  # the contacts AWS showed last (None: not read)

    def compose_step(self) -> ComposeResult:
        yield plain("", id="fallback", classes="warning hidden")
        for ctype in CONTACT_TYPES:
            t = ctype.lower()
            with Vertical(classes="contact-form", id=f"form-{t}"):
                heading = f"{ctype.title()} contact" + (
                    " (matters most: AWS sends security notices here)" if ctype == "SECURITY" else "")
                yield plain(heading, classes="contact-heading")
                yield plain("Reading …", id=f"{t}-current")
                for field, label, _ in FIELDS:
                    with Horizontal(classes="field-row"):
                        yield Label(label, classes="field-label")
                        yield Input(id=f"{t}-{field}", compact=True)
                    yield field_error(f"{t}-{field}")
                yield WriteButton(f"Save {t} contact", id=f"save-{t}", classes="save-contact")

    # -- reading ------------------------------------------------------------------------
    def load(self) -> None:
        self.run_aws(read_alternate_contacts, self.ctx.aws, then=self._read_only)

    def _read_only(self, contacts: dict[str, Any]) -> None:
        self._show(contacts)
        self.show_result(contacts_verdict(contacts), recorded=False)

    def verify(self) -> None:
        self.run_aws(read_alternate_contacts, self.ctx.aws, then=self._verified)

    def _verified(self, contacts: dict[str, Any]) -> None:
        self._show(contacts)
        self.apply_verdict(contacts_verdict(contacts))

    def _show(self, contacts: dict[str, Any]) -> None:
        self._unavailable = ""  # AWS answered: verification works again
        self._known = dict(contacts)  # what AWS showed last: a save re-reads only its own type
        for ctype, contact in contacts.items():
            t = ctype.lower()
            self.query_one(f"#{t}-current", Static).update(f"In AWS: {contact_text(contact)}")
            for field, _, key in FIELDS:
                box = self.query_one(f"#{t}-{field}", Input)
                if contact and not box.value:
                    box.value = visible(contact.get(key, ""))  # a control character shows, never acts

    def primary_widget(self) -> Widget | None:
        """The first empty field of the first contact AWS does not have yet."""
        if self._known is not None:
            for ctype in CONTACT_TYPES:
                if not self._known.get(ctype):
                    t = ctype.lower()
                    for field, _, _ in FIELDS:
                        box = self.query_one(f"#{t}-{field}", Input)
                        if not box.value:
                            return box
        return super().primary_widget()

    # -- writing ------------------------------------------------------------------------
    @on(Input.Submitted, ".contact-form Input")
    def _field_entered(self, event: Input.Submitted) -> None:
        """Enter in a field moves to the next; in the last field of a form, saves it."""
        t, _, field = (event.input.id or "").partition("-")
        if field == FIELDS[-1][0]:
            self.action_press(f"save-{t}")
        else:
            self.focus_next()

    @on(Button.Pressed, ".save-contact")
    def _save(self, event: Button.Pressed) -> None:
        ctype = (event.button.id or "").removeprefix("save-").upper()
        t = ctype.lower()
        self.clear_field_errors()
        values = {f: self.query_one(f"#{t}-{f}", Input).value for f, _, _ in FIELDS}
        try:
            params = validate_alternate_contact(**values)
        except ContactFormError as err:
            for field, message in err.errors.items():
                self.field_problem(f"{t}-{field}", message)
            return
        self.run_aws(write_alternate_contact, self.ctx.aws, ctype, params, self._known,
                     then=lambda contacts: self._written(ctype, contacts), write=True)

    def _written(self, ctype: str, contacts: dict[str, Any]) -> None:
        self._show(contacts)
        self.call_after_refresh(self.focus_primary, force=True)  # the next contact to enter
        seen = contacts_verdict(contacts)
        if seen.ok:
            self.apply_verdict(seen)
            return
        count = sum(seen.evidence["present"].values())
        self.show_info(f"Saved the {ctype.lower()} contact and read it back from AWS. {count} of "
                       f"{len(CONTACT_TYPES)} contacts are set; set the others to finish this step.")

    # -- no API access ------------------------------------------------------------------
    def error_handlers(self) -> Mapping[type[WizardError], ErrorHandler]:
        return {cls: self._api_unavailable for cls in API_UNAVAILABLE}

    def _api_unavailable(self, error: WizardError) -> None:
        assert isinstance(error, AwsError)  # API_UNAVAILABLE holds AwsError types only
        g = self.guide
        if error.action.endswith("GetAlternateContact"):
            # Nothing can be read: the operator's word is all the record can hold.
            self._unavailable = error.code or type(error).__name__
            then = "Then confirm below: the record will say \"confirmed by operator\", not verified."
        else:
            then = "Then press Verify: the wizard can still read them back."
        panel = self.query_one("#fallback", Static)
        panel.update(f"The wizard cannot use the Account Management API here ({error.message}). "
                     f"Set the contacts in the console instead, security first:\n"
                     f"{g.console_path}\n{g.link}\n{then}")
        panel.remove_class("hidden")

    def can_verify(self) -> bool:
        return not self._unavailable

    def confirm_evidence(self) -> dict[str, Any]:
        if self._unavailable:
            return {"set_in_console": True, "not_verifiable": self._unavailable}
        return super().confirm_evidence()

