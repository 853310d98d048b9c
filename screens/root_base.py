"""Shared base of the root-user step screens: the guidance block (why, console path,
deep link, what to do), an optional note, and the outcome buttons.

Outcomes: "Verify" re-reads AWS (DONE only when the verifier sees the result, else
WAITING with what AWS showed); "I did this in the console" (WAITING then a verify on
steps AWS can see, CONFIRMED on steps no API can see); "Skip…" (SKIPPED with a reason).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from screens.base import StepScreen
from screens.safe import Plain
from wizard.aws import AwsAccess
from wizard.checklist import STATUS_LABELS, Status, StepRecord, verdict
from wizard.errors import InputError, WizardError
from wizard.rootchecks import ROOT_STEPS, RootStep, validate_note, validate_reason
from wizard.rootflow import describe_evidence
from wizard.steps import REMOVE_ROOT_CREDENTIALS, SIMULATABLE, STEPS_BY_ID, RootCredentials
from wizard.text import visible
from wizard.verify import VERIFIERS, Checked, Seen, can_check, check, is_not_applicable, read_root_credentials


def plain(content: str = "", **kwargs: Any) -> Static:
    """A Static that shows text as text (screens.safe.Plain: no markup, control characters
    visible: AWS text may hold "[" or "]" or an escape sequence)."""
    return Plain(content, **kwargs)


def console_path_text(path: str, link: str, width: int) -> Text:
    """"Console: path" and "Link: url" for ``width`` columns: the path wraps at spaces, the
    link (one long word) breaks after a "/" (or a "-") rather than in the middle of a word."""
    label = 10
    room = max(width - label, 10)
    lines, line = [], ""
    for part in re.split(r"(?<=[/-])(?=[^/])", link):
        if line and len(line) + len(part) > room:
            lines.append(line)
            line = ""
        line += part
    lines.append(line)
    return Text(f"Console:  {path}\nLink:     " + ("\n" + " " * label).join(lines))


class ConsolePath(Static):
    """The console path and deep link of a root step, laid out for the widget's width."""

    def __init__(self, path: str, link: str, **kwargs: Any) -> None:
        super().__init__("", markup=False, **kwargs)
        self.path, self.link = path, link

    def render(self) -> Text:
        return console_path_text(self.path, self.link, self.content_size.width or 80)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(console_path_text(self.path, self.link, width).wrap(self.app.console, max(width, 1)))


def field_error(field_id: str) -> Static:
    return plain("", id=f"{field_id}-error", classes="field-error hidden")


class SkipDialog(ModalScreen[str | None]):
    """Asks why a step is skipped; dismisses with the reason, or None on cancel."""

    DEFAULT_CSS = "SkipDialog { align: center middle; }"
    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, title: str, *, text: str = "Say why this step is skipped; the completion "
                                                  "record keeps the reason.") -> None:
        super().__init__()
        self._title, self._text = title, text

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield plain(f"Skip: {self._title}", classes="title")
            yield plain(self._text, id="dialog-text")
            yield Input(id="skip-reason", placeholder="reason (required)")
            yield field_error("skip-reason")
            with Horizontal(id="dialog-buttons"):
                yield Button("Skip with this reason", id="skip-confirm", variant="warning")
                yield Button("Cancel", id="skip-cancel")

    @on(Button.Pressed, "#skip-confirm")
    @on(Input.Submitted, "#skip-reason")
    def _confirm(self) -> None:
        error = self.query_one("#skip-reason-error", Static)
        try:
            reason = validate_reason(self.query_one("#skip-reason", Input).value)
        except InputError as err:
            error.update(err.message)
            error.remove_class("hidden")
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#skip-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class RootStepScreen(StepScreen):
    """Base of the root steps. Subclasses set STEP_ID and may add compose_step()."""

    CSS_PATH = ["root.tcss"]  # a subclass with a stylesheet of its own lists both
    PRIMARY: tuple[str, ...] = ("verify", "console-done")
    VERIFY = "verify"
    BINDINGS = [
        Binding("f2", "press('verify')", "Verify", id="root.verify"),
        Binding("f3", "press('console-done')", "Done in console", id="root.console-done"),
        Binding("f4", "press('skip')", "Skip", id="root.skip"),
    ]
    CONSOLE_LABEL = "I did this in the console"
    CONSOLE_NOTE = ""  # the note an operator confirmation gets when none was typed

    @property
    def guide(self) -> RootStep:
        return ROOT_STEPS[self.STEP_ID]

    @property
    def verifiable(self) -> bool:
        """True when an API verifier can see this step's result."""
        return self.STEP_ID in VERIFIERS

    # -- layout ------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        yield from self.compose_guidance()
        yield from self.compose_step()
        yield plain("", id="verify-result", classes="verify-result hidden")
        yield from self.compose_note()
        with Horizontal(classes="buttons", id="outcome-buttons"):
            yield from self.compose_buttons()

    def compose_guidance(self) -> ComposeResult:
        g = self.guide
        if self.ctx.sandbox is not None and self.STEP_ID in SIMULATABLE:
            yield plain("SANDBOX: press F6 to simulate the console action",
                        id="sandbox-hint", classes="sandbox-hint")
        yield plain(g.title, id="root-title", classes="root-title")
        yield plain(g.why, id="why", classes="why")
        yield ConsolePath(g.console_path, g.link, id="console-path", classes="console-path")
        yield plain("\n".join(f"{i}. {a}" for i, a in enumerate(g.actions, 1)), id="todo",
                    classes="todo")
        yield plain(self.verification_text(), id="verification", classes="help")

    def verification_text(self) -> str:
        g = self.guide
        na = (" When iam:GetAccountSummary shows the root user has no password, access key or "
              "signing certificate, this step is not applicable (verified)."
              if STEPS_BY_ID[self.STEP_ID].not_applicable_when is not None else "")
        if self.verifiable:
            return (f"Verification: {g.verify_api}. Press Verify after the console change: the "
                    "step is done only when AWS shows it." + na)
        seen = f" The wizard shows what {g.verify_api.split(' (')[0]} reports." if g.verify_api else ""
        return ("No API can see this result: you confirm it, and the record says "
                "\"confirmed by operator\"." + seen + (f" {g.cis}." if g.cis else "") + na)

    def compose_step(self) -> ComposeResult:
        yield from ()

    def compose_note(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label("Note (optional)", classes="field-label")
            yield Input(id="note", placeholder="kept in the completion record")
        yield field_error("note")

    def compose_buttons(self) -> ComposeResult:
        if self.verifiable:
            yield Button("Verify", id="verify", variant="primary")
        yield Button(self.CONSOLE_LABEL, id="console-done",
                     variant="default" if self.verifiable else "primary")
        yield Button("Skip…", id="skip")

    def on_mount(self) -> None:
        note = self.ctx.checklist.step(self.STEP_ID).note
        if note and self.query("#note"):
            self.query_one("#note", Input).value = visible(note)  # from the session file: shown, never acting
        self.load()

    def load(self) -> None:
        """Hook: first read of what AWS shows. API steps run their verifier and show its
        result (no outcome is recorded); a step that AWS shows is not applicable (root
        without credentials), or no longer so, is recorded at once: that is AWS's state,
        not the operator's word."""
        if can_check(self.STEP_ID):
            self.run_aws(self.read_verdict, *self._reading(), then=self._loaded)

    def _loaded(self, seen: Checked) -> None:
        current = self.ctx.checklist.step(self.STEP_ID).status
        if seen.not_applicable != (current == Status.NOT_APPLICABLE):
            self.apply_verdict(seen)
        elif self.verifiable or seen.not_applicable:
            self.show_result(seen, recorded=seen.not_applicable)

    # -- field errors ------------------------------------------------------------------
    def field_problem(self, field_id: str, message: str) -> None:
        found = self.query(f"#{field_id}-error")
        if not found:
            self.show_error(message)
            return
        found.first(Static).update(message)
        found.first(Static).remove_class("hidden")

    def clear_field_errors(self) -> None:
        for widget in self.query(".field-error"):
            widget.add_class("hidden")

    def note(self) -> str | None:
        """The validated note, or None after showing the problem under the field."""
        try:
            return validate_note(self.query_one("#note", Input).value)
        except InputError as err:
            self.field_problem("note", err.message)
            return None

    # -- verification --------------------------------------------------------------------
    def _reading(self) -> tuple[AwsAccess, StepRecord]:
        """A verifier's inputs, captured on the UI thread (a copy of the step's record)."""
        return self.ctx.aws, copy.deepcopy(self.ctx.checklist.step(self.STEP_ID))

    @staticmethod
    def read_verdict(aws: AwsAccess, rec: StepRecord) -> Checked:
        """Runs in a worker: what a fresh AWS read shows of the step's result."""
        return check(aws, rec)

    def verify(self) -> None:
        self.run_aws(self.read_verdict, *self._reading(), then=self.apply_verdict)

    def apply_verdict(self, seen: Seen | Checked) -> None:
        """Record what a verification saw (see wizard.checklist.verdict): DONE only when
        AWS shows the result; nothing is claimed for a step nobody said was done."""
        status, error = verdict(self.ctx.checklist.step(self.STEP_ID).status, seen.ok,
                                not_applicable=is_not_applicable(seen))
        recorded = status is not None and self.change(status, evidence=seen.evidence, source="aws", error=error)
        self.show_result(seen, recorded=recorded)

    def show_result(self, result: Seen | Checked, *, recorded: bool) -> None:
        ok, seen = result.ok, describe_evidence(result.evidence)
        if is_not_applicable(result):
            text = f"AWS shows: {seen}. " + (STATUS_LABELS[Status.NOT_APPLICABLE].capitalize() + "."
                                             if recorded else "Not applicable: root has no credentials.")
        elif ok:
            text = f"AWS shows: {seen}." + (" Verified: done." if recorded else
                                             " Press Verify to record it as verified.")
        else:
            waiting = self.ctx.checklist.step(self.STEP_ID).status == Status.WAITING
            text = f"AWS shows: {seen}." + (" Not done yet: waiting for verification."
                                             if recorded and waiting else " Not done yet.")
        self.show_info(text, ok=ok)

    def show_info(self, text: str, *, ok: bool | None = None) -> None:
        panel = self.query_one("#verify-result", Static)
        panel.update(text)
        panel.remove_class("hidden")
        panel.set_class(ok is True, "ok")
        panel.set_class(ok is False, "not-yet")

    # -- outcome buttons -------------------------------------------------------------------
    @on(Button.Pressed, "#verify")
    def _verify_pressed(self) -> None:
        self.verify()

    @on(Button.Pressed, "#console-done")
    def _console_done(self) -> None:
        self.clear_field_errors()
        note = self.note()
        if note is None:
            return
        note = note or self.CONSOLE_NOTE
        try:
            evidence = self.confirm_evidence()
        except InputError as err:
            self.field_problem(err.field or "note", err.message)
            return
        if self.verifiable and self.can_verify():
            # The operator says it is done; only AWS can make it "done".
            if self.change(Status.WAITING, evidence=evidence, source="operator", note=note):
                self.verify()
        elif self.change(Status.CONFIRMED, evidence=evidence, source="operator", note=note):
            self.show_info("Confirmed by you (not verifiable by API).", ok=True)

    def can_verify(self) -> bool:
        """False when the API turned out to be unusable here (screens fall back)."""
        return True

    def confirm_evidence(self) -> dict[str, Any]:
        """Hook: evidence of an operator confirmation; raise InputError(field=...) to refuse."""
        return {"confirmed_in_console": True}

    @on(Button.Pressed, "#skip")
    def _skip_pressed(self) -> None:
        self.app.push_screen(SkipDialog(self.guide.title), self._skipped)

    def _skipped(self, reason: str | None) -> None:
        if reason:
            self.change(Status.SKIPPED, reason=reason)
            self.show_info(f"Skipped: {reason}")

    # -- sandbox ----------------------------------------------------------------------------
    def on_simulated(self) -> None:
        if self.verifiable:
            self.verify()  # check(): this step, not applicable included
        else:
            self._after_simulation(self._simulated)

    def on_sandbox_action(self, action: str) -> None:
        """After a simulated removal of root's credentials: every root step as AWS now
        shows it (all of them close as not applicable), then this step's own read."""
        if action != REMOVE_ROOT_CREDENTIALS:
            super().on_sandbox_action(action)
            return
        self._after_simulation(self.load)

    def _after_simulation(self, then: Callable[[], None]) -> None:
        """A simulation may have changed root's credentials: on a step that can be not
        applicable, every such step is set from a fresh read first (not only this one)."""
        if STEPS_BY_ID[self.STEP_ID].not_applicable_when is None:
            then()
            return
        self.run_aws(read_root_credentials, self.ctx.aws, then=lambda creds: self._root_read(creds, then))

    def _root_read(self, creds: RootCredentials, then: Callable[[], None]) -> None:
        try:
            self.ctx.apply_root_credentials(creds)
        except (WizardError, OSError) as exc:
            self.show_error(f"Not saved: {exc}")
        self.refresh_chrome()
        then()

    def _simulated(self) -> None:
        if self.ctx.checklist.step(self.STEP_ID).status != Status.NOT_APPLICABLE:
            self.show_info("SANDBOX: the console action was simulated. No API can see it: "
                           "confirm the step when you have checked it.")
