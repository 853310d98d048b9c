"""F1 (or ?): the open step's help, from the step registry (wizard.steps): what it does,
why it matters, the console path of a root step, and the keys that act on it now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from wizard.steps import STEPS_BY_ID

if TYPE_CHECKING:
    from screens.base import StepScreen

# Keys every step has, told in words (the bindings of OTHER_KEY_IDS are among them).
OTHER_KEY_IDS = ("help-question", "step-list", "page-up", "page-down")
HIDDEN_KEYS = (
    ("Tab / shift+Tab", "next / previous control"),
    ("Enter", "act on the focused button (the primary action has the focus when a step opens)"),
    ("PageUp / PageDown", "scroll the step"),
    ("Escape", "to the step list and back (in a dialog: leave it)"),
    ("ctrl+p", "command palette: go to a step, export, verify, …"),
    ("ctrl+q", "quit (the session is saved after every change)"),
)


def help_text(screen: StepScreen) -> Text:
    step = STEPS_BY_ID[screen.STEP_ID]
    guide = step.guidance
    text = Text()

    def section(title: str, body: str) -> None:
        if text:
            text.append("\n\n")
        text.append(title + "\n", style="bold")
        text.append(body)

    if step.help:
        section("What it does", step.help)
    if guide is not None:
        section("What to do", "\n".join(f"{i}. {a}" for i, a in enumerate(guide.actions, 1)))
        section("Why it matters", guide.why + (f" ({guide.cis})" if guide.cis else ""))
        section("In the AWS console", f"{guide.console_path}\n{guide.link}")
        if guide.verify_api:
            section("How the wizard sees it", guide.verify_api)
    for title, body in screen.help_sections():
        section(title, body)
    shown: dict[str, list[str]] = {}  # description -> keys
    for active in screen.active_bindings.values():
        binding = active.binding
        if active.node is screen and active.enabled and binding.description and binding.id not in OTHER_KEY_IDS:
            shown.setdefault(binding.tooltip or binding.description, []).append(
                screen.app.get_key_display(binding))
    keys = [(" / ".join(k), d) for d, k in shown.items()]
    width = max(len(k) for k, _ in (*keys, *HIDDEN_KEYS))
    section("Keys", "\n".join(f"{k.ljust(width)}  {d}" for k, d in (*keys, *HIDDEN_KEYS)))
    return text


class HelpScreen(ModalScreen[None]):
    """The help of one step. Escape, F1, ? or q closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-box { width: 90%; max-width: 100; height: 90%; border: thick $primary;
                           background: $surface; padding: 0 1; }
    HelpScreen #help-title { text-style: bold; color: $accent; height: auto; margin-bottom: 1; }
    HelpScreen #help-body { height: 1fr; }
    HelpScreen #help-body > Static { height: auto; }
    """
    BINDINGS = [Binding("escape,f1,question_mark,q", "dismiss(None)", "Close", id="help-close")]

    def __init__(self, screen: StepScreen) -> None:
        super().__init__()
        self._step_title = STEPS_BY_ID[screen.STEP_ID].title
        self._text = help_text(screen)

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(Text(f"Help: {self._step_title}"), id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static(self._text, id="help-text")
            yield Static(Text("Escape closes this help.", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()
