"""Small modal dialogs returning a value."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button

from screens.safe import Plain


class Choice(ModalScreen[str]):
    """A question with buttons; dismisses with the chosen button's id."""

    DEFAULT_CSS = "Choice { align: center middle; }"
    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, title: str, text: str, choices: list[tuple[str, str]], *, cancel: str = "") -> None:
        super().__init__()
        self._title, self._text, self._choices, self._cancel = title, text, choices, cancel

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Plain(self._title, classes="title")
            yield Plain(self._text, id="dialog-text")  # quotes file names and session problems
            with Horizontal(id="dialog-buttons"):
                for i, (cid, label) in enumerate(self._choices):
                    yield Button(label, id=cid, variant="primary" if i == 0 else "default")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "")

    def action_cancel(self) -> None:
        if self._cancel:
            self.dismiss(self._cancel)
