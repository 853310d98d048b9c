"""A checkbox whose state shows without colour: ticked is a ✓ in a filled box and a bold
label, unticked an empty box (Textual's Checkbox shows an X in both states, only its colour
changes)."""

from __future__ import annotations

from textual.widgets import Checkbox


class TickBox(Checkbox):
    DEFAULT_CSS = """
    TickBox > .toggle--button { color: $text-muted; background: $panel-lighten-2; }
    TickBox.-on > .toggle--button { color: $text; background: $success; text-style: bold; }
    TickBox.-on > .toggle--label { text-style: bold; }
    """
    TICKED, UNTICKED = "✓", " "

    def watch_value(self) -> None:
        self.BUTTON_INNER = self.TICKED if self.value else self.UNTICKED
        super().watch_value()

    def on_mount(self) -> None:
        self.BUTTON_INNER = self.TICKED if self.value else self.UNTICKED
