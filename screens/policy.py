"""Step: the IAM account password policy. Read the current policy, propose the CIS
baseline (never looser than the current policy), let the operator edit every field,
show the diff, apply it, and read it back. The logic lives in wizard.policy."""

from __future__ import annotations

from collections.abc import Mapping

from rich import box
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Input, Label, Static

from screens.base import ErrorHandler, StepScreen, WriteButton
from screens.tickbox import TickBox
from wizard.checklist import BELOW_CIS_LABEL, Status
from wizard.errors import WizardError
from wizard.policy import (
    EXPIRY_VIEWS,
    FIELD,
    FIELDS,
    HARD_EXPIRY_WARNING,
    LAB_EXPIRY_DAYS,
    NO_POLICY_TEXT,
    ROOT_NOTE,
    Policy,
    PolicyFormError,
    ReadBackMismatch,
    apply_policy,
    cis_compliance,
    cis_failing,
    diff,
    parse_form,
    propose,
    read_policy,
    weakened_fields,
)

CHANGE_TEXT = {
    "same": Text("same", style="dim"),
    "stricter": Text("stricter", style="green"),
    "new": Text("new", style="green"),
    "weaker": Text("WEAKER ⚠", style="bold red"),
}


def _range_text(name: str) -> str:
    spec = FIELD[name]
    off = f"; 0 = {spec.off_text}" if spec.off_by_omission else ""
    return f"{spec.label} ({spec.low}–{spec.high}{off})"


class PolicyScreen(StepScreen):
    STEP_ID = "password_policy"
    PRIMARY = ("apply",)
    VERIFY = "reload"
    BINDINGS = [
        Binding("f2", "press('apply')", "Apply and verify", id="password_policy.apply"),
        Binding("f5", "press('reload')", "Reload", id="password_policy.reload"),
    ]
    CSS_PATH = "policy.tcss"

    def __init__(self) -> None:
        super().__init__()
        self._current: Policy | None = None
        self._loaded = False
        # What each confirmation checkbox was shown for: it covers exactly these.
        self._confirming: dict[str, list[str]] = {"confirm-weakening": [], "confirm-below-cis": []}
        self._refused = False  # the error panel shows a refusal of the form as it is

    # -- layout ----------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        yield Static(ROOT_NOTE, id="root-note", classes="help")
        yield Static("Reading the current policy (iam:GetAccountPasswordPolicy) …", id="current-summary")
        yield Static("Proposed policy: the stricter of the current value and the CIS baseline, "
                     "for every field. Edit any field; the diff below follows.", classes="help")
        for spec in FIELDS:
            if spec.kind is bool:
                yield TickBox(spec.label, id=f"f-{spec.name}", disabled=True)
            else:
                yield Label(_range_text(spec.name), classes="field-label")
                yield Input(id=f"f-{spec.name}", disabled=True)
            yield Static("", id=f"err-{spec.name}", classes="field-error hidden")
            if spec.name == "MaxPasswordAge":
                yield Static("\n".join(f"• {who}: {view}" for who, view in EXPIRY_VIEWS),
                             id="expiry-views", classes="help")
                with Horizontal(classes="buttons"):
                    yield Button(f"Expire after {LAB_EXPIRY_DAYS} days (lab)", id="expiry-lab")
                    yield Button("Never expire (NIST)", id="expiry-nist")
            elif spec.name == "HardExpiry":
                yield Static(HARD_EXPIRY_WARNING, id="hard-expiry-warning", classes="warning hidden")
        yield Static("Current and proposed, side by side:", classes="help")
        yield Static("", id="diff")
        yield Static("", id="diff-note", classes="help hidden")
        yield Static("", id="cis")
        yield Static("", id="weaker-note", classes="warning hidden")
        yield TickBox("I confirm weakening the fields marked WEAKER", id="confirm-weakening",
                       classes="hidden")
        yield Static("", id="below-cis-note", classes="warning hidden")
        yield TickBox("I confirm applying a policy below the CIS baseline", id="confirm-below-cis",
                       classes="hidden")
        with Horizontal(classes="buttons"):
            yield WriteButton("Apply and verify", id="apply", variant="primary", disabled=True)
            yield Button("Reload from AWS", id="reload")
        yield Static("", id="result")

    def on_mount(self) -> None:
        self._load()

    # -- reading -----------------------------------------------------------------------------
    def _load(self) -> None:
        self.query_one("#apply", Button).disabled = True
        self.run_aws(read_policy, self.ctx.aws, then=self._loaded_policy, group="policy")

    def _loaded_policy(self, current: Policy | None) -> None:
        self._show(current, propose(current))

    def _show(self, current: Policy | None, form: Policy) -> None:
        """Take ``current`` as the account's policy and fill the form with ``form``."""
        self._current, self._loaded = current, True
        self.query_one("#current-summary", Static).update(
            NO_POLICY_TEXT if current is None else
            "The account has a password policy (read with iam:GetAccountPasswordPolicy).")
        for name, value in form.as_dict().items():
            widget = self._field(name)
            widget.disabled = False
            if isinstance(widget, Checkbox):
                widget.value = bool(value)
            else:
                widget.value = str(value)
        for box_id in self._confirming:
            self.query_one(f"#{box_id}", Checkbox).value = False
        self.query_one("#apply", Button).disabled = False
        self._refresh()

    @on(Button.Pressed, "#reload")
    def _reload(self) -> None:
        self.query_one("#result", Static).update("")
        self._load()

    # -- the form ----------------------------------------------------------------------------
    def _field(self, name: str) -> Input | Checkbox:
        if FIELD[name].kind is bool:
            return self.query_one(f"#f-{name}", Checkbox)
        return self.query_one(f"#f-{name}", Input)

    def _form(self) -> dict[str, str | bool]:
        return {spec.name: self._field(spec.name).value for spec in FIELDS}

    def _show_field_errors(self, errors: dict[str, str]) -> None:
        for spec in FIELDS:
            err = self.query_one(f"#err-{spec.name}", Static)
            err.update(errors.get(spec.name, ""))
            err.set_class(spec.name not in errors, "hidden")

    def _parse(self) -> Policy | None:
        """The form as a Policy, or None with each error shown under its field."""
        try:
            proposed = parse_form(self._form())
        except PolicyFormError as exc:
            self._show_field_errors(exc.errors)
            return None
        self._show_field_errors({})
        return proposed

    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _changed(self, event: Input.Changed | Checkbox.Changed) -> None:
        if self._refused:  # the refusal described the form before this change
            self._refused = False
            self.clear_error()
        if event.control.id not in self._confirming:
            self._refresh()

    def _refresh(self) -> None:
        if not self._loaded:
            return
        self.query_one("#hard-expiry-warning").set_class(
            not self.query_one("#f-HardExpiry", Checkbox).value, "hidden")
        proposed = self._parse()
        note = self.query_one("#diff-note", Static)
        note.set_class(proposed is not None, "hidden")
        if proposed is None:
            note.update("Fix the fields marked above to see the diff.")
            self.query_one("#diff", Static).update("")
            self._set_weak([])
            self._set_below_cis([])
            self.query_one("#cis", Static).update("")
            return
        if proposed != self._current:  # an edit since: the result line no longer describes the form
            self.query_one("#result", Static).update("")
        table = Table("Field", "Current", "Proposed", "Change", box=box.SIMPLE_HEAD, expand=True)
        for row in diff(self._current, proposed):
            table.add_row(row.label, row.current_display, row.proposed_display, CHANGE_TEXT[row.change])
        self.query_one("#diff", Static).update(table)
        current_cis = dict(cis_compliance(self._current))
        self.query_one("#cis", Static).update("\n".join(
            f"{'✓' if ok else '✗'} {check} (current: {'met' if current_cis[check] else 'not met'})"
            for check, ok in cis_compliance(proposed)))
        self._set_weak(weakened_fields(self._current, proposed))
        self._set_below_cis(cis_failing(proposed))

    def _set_weak(self, weak: list[str]) -> None:
        self._ask_confirmation("confirm-weakening", "#weaker-note", weak,
                               "Weaker than the current policy: " + ", ".join(FIELD[n].label for n in weak)
                               + ". Applying needs your explicit confirmation below.")

    def _set_below_cis(self, failing: list[str]) -> None:
        self._ask_confirmation("confirm-below-cis", "#below-cis-note", failing,
                               "Below the CIS baseline: this policy fails " + "; ".join(failing)
                               + ". Applying needs your explicit confirmation below.")

    def _ask_confirmation(self, box_id: str, note_id: str, items: list[str], text: str) -> None:
        confirm = self.query_one(f"#{box_id}", Checkbox)
        if items != self._confirming[box_id]:
            confirm.value = False  # a confirmation covers exactly what it was given for
        self._confirming[box_id] = items
        note = self.query_one(note_id, Static)
        note.update(Text(text) if items else "")
        note.set_class(not items, "hidden")
        confirm.set_class(not items, "hidden")

    def _confirmed(self, box_id: str) -> list[str]:
        return self._confirming[box_id] if self.query_one(f"#{box_id}", Checkbox).value else []

    @on(Button.Pressed, "#expiry-lab")
    def _expiry_lab(self) -> None:
        self.query_one("#f-MaxPasswordAge", Input).value = str(LAB_EXPIRY_DAYS)

    @on(Button.Pressed, "#expiry-nist")
    def _expiry_nist(self) -> None:
        self.query_one("#f-MaxPasswordAge", Input).value = "0"

    # -- applying ----------------------------------------------------------------------------
    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        proposed = self._parse()
        if proposed is None:
            first = next(spec.name for spec in FIELDS if not self.query_one(f"#err-{spec.name}").has_class("hidden"))
            self._refuse("Some fields need attention: see the messages under them. Nothing was changed.",
                         f"#f-{first}")
            return
        weak = weakened_fields(self._current, proposed)
        confirmed = set(self._confirmed("confirm-weakening"))
        if set(weak) - confirmed:
            self._refuse("The proposal is weaker than the current policy in: "
                         + ", ".join(FIELD[n].label for n in weak)
                         + ". Tick the confirmation to apply it anyway. Nothing was changed.", "#confirm-weakening")
            return
        failing = cis_failing(proposed)
        below_confirmed = set(self._confirmed("confirm-below-cis"))
        if set(failing) - below_confirmed:
            self._refuse("The proposal is below the CIS baseline: it fails " + "; ".join(failing)
                         + ". Tick the confirmation to apply it anyway. Nothing was changed.", "#confirm-below-cis")
            return
        self.query_one("#apply", Button).disabled = True
        self.query_one("#result", Static).update("Applying (iam:UpdateAccountPasswordPolicy) …")
        self.run_aws(apply_policy, self.ctx.aws, proposed, self._current, confirmed,
                     confirmed_below_cis=below_confirmed, previous=self.ctx.checklist.step(self.STEP_ID),
                     then=self._applied, write=True)

    def _refuse(self, message: str, attention: str) -> None:
        """Apply refused: said in the error panel, and the focus (so the view) goes to what
        needs the operator (a field, a confirmation), wherever the view was. The message
        goes once the form changes (``_changed``): it describes the form as it was."""
        self.show_error(message)
        self._refused = True
        self.query_one(attention).focus()

    def _applied(self, evidence: dict) -> None:
        self.change(Status.DONE, evidence=evidence, source="aws")
        below = (f" It is {BELOW_CIS_LABEL}: it fails " + "; ".join(evidence["cis_failing"]) + "."
                 if evidence["cis_failing"] else "")
        self.query_one("#result", Static).update(
            "Applied and verified: the policy read back from AWS matches every field." + below)
        applied = Policy.from_api(evidence["after"])
        self._show(applied, applied)

    def error_handlers(self) -> Mapping[type[WizardError], ErrorHandler]:
        return {WizardError: self._failed, ReadBackMismatch: self._mismatch}

    def _failed(self, _error: WizardError) -> None:
        self.query_one("#apply", Button).disabled = not self._loaded
        self.query_one("#result", Static).update("")

    def _mismatch(self, error: WizardError) -> None:
        assert isinstance(error, ReadBackMismatch)
        self._failed(error)
        self.change(Status.FAILED, evidence=error.evidence, source="aws", error=error.message)
