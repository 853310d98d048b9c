"""A read-only table over a list of rows that draws only the lines on screen (Textual's
Line API), so 5,000 or 100,000 rows cost what one screenful costs: setting or filtering
the rows is a list assignment, never a widget per row (DataTable.add_row took ~0.5 s on
the UI thread for the 5,000-user credential report).

Columns have fixed widths; the first column stays in place when the rest scrolls
sideways. Cells are plain strings drawn as text (never markup) with control characters
made visible (wizard.text.visible).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from wizard.text import visible

PADDING = 1  # blank cells each side of a cell


class VirtualTable(ScrollView, can_focus=True):
    """``columns``: (label, width) pairs; ``set_rows`` gives the rows (tuples of str)."""

    DEFAULT_CSS = """
    VirtualTable { height: auto; max-height: 20; background: $surface; }
    VirtualTable > .virtual-table--header { text-style: bold; background: $panel; }
    VirtualTable > .virtual-table--odd { background: $surface-lighten-1; }
    VirtualTable > .virtual-table--cursor { background: $accent 40%; }
    VirtualTable:focus > .virtual-table--cursor { background: $accent; }
    """
    COMPONENT_CLASSES = {"virtual-table--header", "virtual-table--odd", "virtual-table--cursor"}
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "ends(0)", "First", show=False),
        Binding("end", "ends(1)", "Last", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True, repaint=False)

    def __init__(self, columns: Sequence[tuple[str, int]] = (), *, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(name=name, id=id, classes=classes)
        self._columns: list[tuple[str, int]] = list(columns)
        self._rows: Sequence[Sequence[str]] = ()
        self._resize()

    # -- data ---------------------------------------------------------------------------
    @property
    def columns(self) -> list[tuple[str, int]]:
        return list(self._columns)

    def add_column(self, label: str, width: int) -> None:
        self._columns.append((label, width))
        self._resize()

    def set_columns(self, columns: Sequence[tuple[str, int]]) -> None:
        """New (label, width) pairs, e.g. widths fitted to the rows about to be shown."""
        self._columns = list(columns)
        self._resize()
        self.refresh()

    def set_rows(self, rows: Sequence[Sequence[str]]) -> None:
        """Show ``rows`` (kept, not copied); the cursor goes back to the first row."""
        self._rows = rows
        self._resize()
        self.scroll_to(y=0, animate=False, immediate=True)
        self.cursor_row = 0
        self.refresh()

    def on_unmount(self) -> None:
        # A removed table may outlive its screen in the garbage collector's permanent
        # generation (wizard.heap.freeze_long_lived): it keeps no rows.
        self._rows = ()

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def get_row_at(self, index: int) -> Sequence[str]:
        return self._rows[index]

    def _cell_width(self, width: int) -> int:
        return width + 2 * PADDING

    def _resize(self) -> None:
        total = sum(self._cell_width(w) for _, w in self._columns)
        self.virtual_size = Size(total, len(self._rows) + 1)  # the header is line 0

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._rows) + 1

    # -- the cursor ---------------------------------------------------------------------
    def move_cursor(self, *, row: int) -> None:
        self.cursor_row = row

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self._rows) - 1))

    def watch_cursor_row(self, old: int, row: int) -> None:
        self.refresh()
        self.call_after_refresh(self._reveal_cursor)  # once laid out: the height is known

    def _reveal_cursor(self) -> None:
        row = self.cursor_row
        body = max(1, self.scrollable_content_region.height - 1)  # under the header
        top = self.scroll_offset.y
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + body:
            self.scroll_to(y=row - body + 1, animate=False, immediate=True)

    def action_cursor(self, step: int) -> None:
        self.cursor_row += step

    def action_page(self, direction: int) -> None:
        self.cursor_row += direction * max(1, self.scrollable_content_region.height - 1)

    def action_ends(self, last: int) -> None:
        self.cursor_row = len(self._rows) - 1 if last else 0

    # -- drawing ------------------------------------------------------------------------
    def _line(self, cells: Sequence[str], style: Style) -> list[Segment]:
        pad = " " * PADDING
        return [Segment(pad + set_cell_size(visible(str(cell)), width) + pad, style)
                for cell, (_, width) in zip(cells, self._columns)]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            cells: Sequence[str] = [label for label, _ in self._columns]
            style = base + self.get_component_rich_style("virtual-table--header")
        else:
            index = self.scroll_offset.y + y - 1
            if index >= len(self._rows):
                return Strip.blank(width, base)
            cells = self._rows[index]
            style = base
            if index % 2:
                style += self.get_component_rich_style("virtual-table--odd")
            if index == self.cursor_row:
                style += self.get_component_rich_style("virtual-table--cursor")
        return self._strip(self._line(cells, style), style, base, width)

    def _strip(self, segments: list[Segment], style: Style, base: Style, width: int) -> Strip:
        """One line ``width`` cells wide: the first column stays, the others scroll sideways
        under it. A line of plain ASCII (every character one cell) is cut as a string into
        one segment, not a Strip per cell cropped and joined (Textual builds caches for each)."""
        if not segments:
            return Strip.blank(width, base)
        first, rest = segments[0].text, "".join(seg.text for seg in segments[1:])
        if not (first.isascii() and rest.isascii()):
            return self._cropped(segments, base, width)
        x = self.scroll_offset.x
        text = (first + rest[x:x + max(0, width - len(first))])[:width]
        pad = [Segment(" " * (width - len(text)), base)] if len(text) < width else []
        return Strip([Segment(text, style), *pad], width)

    def _cropped(self, segments: list[Segment], base: Style, width: int) -> Strip:
        fixed = Strip(segments[:1])
        rest = Strip(segments[1:]).crop(self.scroll_offset.x, self.scroll_offset.x + max(0, width - fixed.cell_length))
        return Strip.join([fixed, rest]).adjust_cell_length(width, base)
