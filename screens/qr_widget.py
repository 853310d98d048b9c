"""A QR code drawn by the app: two modules per cell with "▀", black and white whatever
the theme, with a light quiet zone as wide as the visible area allows (wizard.qr.layout).
When the code does not fit, the widget says how big the terminal must be instead."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from wizard.qr import HALF_BLOCK, Cell, Matrix, QrLayout, TooSmall, half_block_rows, layout

# Explicit RGB, never named ANSI colours (a theme may remap those).
_DARK, _LIGHT = "#000000", "#ffffff"
_STYLES = {(top, bottom): Style(color=_DARK if top else _LIGHT, bgcolor=_DARK if bottom else _LIGHT)
           for top in (False, True) for bottom in (False, True)}


class QrCode(Widget):
    """Shows ``matrix`` (no quiet zone; see wizard.qr.qr_matrix). ``cells`` holds the
    cells last drawn (quiet zone included), or None when nothing is drawn."""

    DEFAULT_CSS = """
    QrCode { width: 1fr; height: auto; }
    """

    def __init__(self, matrix: Matrix | None = None, **kwargs) -> None:  # noqa: ANN003
        super().__init__(**kwargs)
        self.add_class("secret-view")  # the code encodes the seed: masked in screenshots
        self._matrix = matrix
        self.cells: list[list[Cell]] | None = None
        self.fit: QrLayout | TooSmall | None = None

    def set_matrix(self, matrix: Matrix | None) -> None:
        """Show another code (None: show nothing, e.g. once the secret is dropped)."""
        self._matrix = matrix
        self.cells, self.fit = None, None
        self.refresh(layout=True)

    def on_resize(self) -> None:
        """After the terminal changes size the code is laid out again: bring all of it back
        into view (a smaller or larger terminal may have scrolled it partly out)."""
        if self._matrix is not None:
            self.call_after_refresh(lambda: self.scroll_visible(top=True, animate=False))

    def _available(self, width: int) -> tuple[int, int]:
        """Columns and rows the code may use: the widget's width, and the visible height
        of the scrolling container it sits in (the whole code must be on screen at once)."""
        node = self.parent
        while node is not None and getattr(getattr(node, "styles", None), "overflow_y", None) not in (
                "auto", "scroll"):
            node = node.parent
        rows = node.scrollable_content_region.height if isinstance(node, Widget) else self.screen.size.height
        return width, max(rows, 1)

    def _fit(self, width: int) -> QrLayout | TooSmall | None:
        if self._matrix is None:
            return None
        return layout(self._matrix, *self._available(width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        fit = self._fit(width)
        if fit is None:
            return 0
        if isinstance(fit, TooSmall):
            return len(Text(fit.message).wrap(self.app.console, max(width, 1)))
        return fit.rows

    def render(self) -> Text:
        self.fit = self._fit(self.content_size.width)
        if self.fit is None or self._matrix is None:
            self.cells = None
            return Text("")
        if isinstance(self.fit, TooSmall):
            self.cells = None
            return Text(self.fit.message, style="bold")
        self.cells = half_block_rows(self._matrix, self.fit.quiet)
        text = Text(no_wrap=True, overflow="crop")
        margin = " " * max(0, (self.content_size.width - self.fit.cols) // 2)  # centred in the width
        for y, row in enumerate(self.cells):
            if y:
                text.append("\n")
            text.append(margin)
            for cell in row:
                text.append(HALF_BLOCK, _STYLES[cell])
        return text
