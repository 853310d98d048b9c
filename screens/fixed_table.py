"""A DataTable for large tables whose columns all have a fixed width.

Textual's DataTable measures every cell of every new row to size its columns, even when
each column's width is fixed and the measurement is then unused; for the 5,000-user
credential report (the IAM user quota) that alone takes about a second. With fixed
widths only the virtual size is needed, so this table skips the measuring. Cells should
be ``rich.text.Text`` (plain strings are parsed as markup, which is slower and would
interpret brackets in report data).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class FixedTable(DataTable):
    _ordered: tuple[tuple, list] | None = None

    @property
    def ordered_columns(self) -> list:
        """DataTable recomputes this on every added row; columns only change on add/remove."""
        keys = tuple(self.columns)
        if self._ordered is None or self._ordered[0] != keys:
            self._ordered = (keys, DataTable.ordered_columns.fget(self))
        return self._ordered[1]

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        if any(c.auto_width for c in self.columns.values()) or any(r.auto_height for r in self.rows.values()):
            super()._update_dimensions(new_rows)
            return
        width = sum(c.get_render_width(self) for c in self.columns.values()) + self._row_label_column_width
        header = self.header_height if self.show_header else 0
        self.virtual_size = Size(width, self._total_row_height + header)
