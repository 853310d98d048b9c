"""The command palette's commands (ctrl+p): every step by title, the record export, the
credential report, verifying the open step, a finding rule's findings, the sidebar and
(sandbox) the simulated console action. Each command runs what a key or a button on the
step's screen runs (App.open_step then a screen action): nothing here does the work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from wizard.steps import SIMULATABLE, STEPS_BY_ID

if TYPE_CHECKING:
    from screens.app import RootWizardApp


@dataclass(frozen=True)
class Command:
    title: str
    help: str
    run: Callable[[], Any]


def finding_rules() -> list[tuple[str, str]]:
    """(rule id, title) of every finding rule, from the rule table."""
    from wizard.rules import RULES

    return [(rule.id, rule.title) for rule in RULES]


def commands(app: RootWizardApp, screen: Any) -> Iterator[Command]:
    """The commands that make sense now, on ``screen`` (the screen the palette opened on)."""
    from screens.base import StepScreen, step_ids

    step = screen if isinstance(screen, StepScreen) else None
    cl = app.ctx.checklist
    connected = cl is not None
    for sid in step_ids(cl):
        if sid == "connect" or connected:
            yield Command(f"Go to: {STEPS_BY_ID[sid].title}", "Open this step",
                          partial(app.open_step, sid))
    if step is not None:
        yield Command("Help for this step", "What it does, why it matters, its keys (F1)", step.action_help)
        if step.verify_button() is not None:
            yield Command("Verify this step", "Read the step's result from AWS again",
                          partial(step.action_press, step.verify_button()))
        if app.ctx.sandbox is not None and step.STEP_ID in SIMULATABLE:
            yield Command("SANDBOX: simulate the console action", SIMULATABLE[step.STEP_ID] + " (F6)",
                          step.action_simulate)
        yield Command("Toggle the sidebar", "Step titles, or their status marks only (F9)",
                      step.action_toggle_sidebar)
    if not connected:
        return
    yield Command("Export the record as JSON", "On the summary: JSON with a SHA-256 of its body",
                  partial(app.open_step, "summary", "press('export-json')"))
    yield Command("Export the record as Markdown", "On the summary: Markdown for an audit file",
                  partial(app.open_step, "summary", "press('export-markdown')"))
    yield Command("Generate the credential report", "Have AWS generate it, download and analyse it",
                  partial(app.open_step, "credential_report", "press('fetch')"))
    yield Command("Re-read the credential report", "Analyse again the copy kept in this session (no AWS call)",
                  partial(app.open_step, "credential_report", "reread"))
    for rule_id, title in finding_rules():
        yield Command(f"Findings: {rule_id}", f"{title}: open the credential report's findings at this rule",
                      partial(app.open_step, "credential_report", f"show_rule({rule_id!r})"))


class WizardCommands(Provider):
    """ctrl+p: the wizard's commands, fuzzy-matched on their titles."""

    def _commands(self) -> list[Command]:
        app: RootWizardApp = self.app  # type: ignore[assignment]
        return list(commands(app, self.screen))

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = max(matcher.match(command.title), matcher.match(command.help) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.run, help=command.help)
