from rich.text import Text
from textual.app import App

from screens.fixed_table import FixedTable


class TableApp(App):
    def compose(self):
        yield FixedTable()


async def test_fixed_width_table_sizes_and_scrolls_without_measuring():
    app = TableApp()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(FixedTable)
        table.add_column("User", width=10)
        table.add_column("Flags", width=20)
        table.add_rows((Text(f"user-{i}"), Text("[b]not markup[/b]")) for i in range(300))
        await pilot.pause()
        assert table.row_count == 300
        assert table.virtual_size.height == 301  # rows + header
        assert table.virtual_size.width == 10 + 20 + 2 * 2  # widths + cell padding
        assert str(table.get_cell_at((299, 1))) == "[b]not markup[/b]"
        table.move_cursor(row=299)
        await pilot.pause()
        assert table.scroll_offset.y > 0


async def test_auto_width_columns_still_measure():
    app = TableApp()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(FixedTable)
        table.add_columns("User")
        table.add_rows([(Text("a-rather-long-user-name"),)])
        await pilot.pause()
        assert table.virtual_size.width >= len("a-rather-long-user-name")
