"""Security challenge questions: retired by AWS, shown as such rather than as a task."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button

from screens.root_base import RootStepScreen, plain
from wizard.checklist import Status
from wizard.rootflow import SECURITY_QUESTIONS_RETIRED_ON


class SecurityQuestionsScreen(RootStepScreen):
    STEP_ID = "security_questions"
    PRIMARY = ("retired",)
    BINDINGS = [
        Binding("f2", "press('retired')", "Mark retired", id="security_questions.retired"),
        Binding("f3", "press('reviewed')", "Reviewed", id="security_questions.reviewed"),
    ]

    def verification_text(self) -> str:
        return (f"Retired by AWS on {SECURITY_QUESTIONS_RETIRED_ON}: not an open task. "
                f"{self.guide.cis}.")

    def compose_step(self) -> ComposeResult:
        yield plain("An account that set up questions before the cut-off may still have them. "
                    "If yours does, review that the answers are known only to the people "
                    "responsible for the account, and record that you reviewed them.",
                    id="still-have", classes="help")

    def compose_buttons(self) -> ComposeResult:
        yield Button("Mark as retired (not an open task)", id="retired", variant="primary")
        yield Button("We still have them and reviewed them", id="reviewed")

    @on(Button.Pressed, "#retired")
    def _retired(self) -> None:
        note = self.note()
        if note is not None and self.change(
                Status.RETIRED, source="operator", note=note,
                evidence={"retired_by_aws_on": SECURITY_QUESTIONS_RETIRED_ON,
                          "reference": self.guide.link}):
            self.show_info("Recorded as retired by AWS.")

    @on(Button.Pressed, "#reviewed")
    def _reviewed(self) -> None:
        note = self.note()
        if note is not None and self.change(
                Status.CONFIRMED, source="operator", note=note,
                evidence={"security_questions_reviewed": True}):
            self.show_info("Recorded: the account still has security questions and you reviewed them.",
                           ok=True)
