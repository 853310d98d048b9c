"""A DataTable for large tables whose columns all have a fixed width.

Textual's DataTable measures every cell of every new row to size its columns, even when
each column's width is fixed and the measurement is then unused; for the 5,000-user
credential report (the IAM user quota) that alone takes about a second. With fixed
widths only the virtual size is needed, so this table skips the measuring. Cells should
be ``rich.text.Text`` (plain strings are parsed as markup, which is slower and would
interpret brackets in report data). The override of DataTable's private sizing lives in
screens/compat.py with Textual's other internals.
"""

from __future__ import annotations

from screens.compat import UnmeasuredDataTable


class FixedTable(UnmeasuredDataTable):
    _ordered: tuple[tuple, list] | None = None

    @property
    def ordered_columns(self) -> list:
        """DataTable recomputes this on every added row; columns only change on add/remove."""
        keys = tuple(self.columns)
        if self._ordered is None or self._ordered[0] != keys:
            self._ordered = (keys, super().ordered_columns)
        return self._ordered[1]
