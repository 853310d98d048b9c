"""The virtualised table: only visible lines are drawn, the first column stays when the
rest scrolls sideways, cells are text (never markup, no raw control characters)."""

from textual.app import App

from screens.virtual_table import VirtualTable

COLUMNS = (("User", 10), ("Console", 7), ("Flags", 60))


class TableApp(App):
    def compose(self):
        yield VirtualTable(COLUMNS)


def rendered(app: App) -> list[str]:
    table = app.query_one(VirtualTable)
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_100000_rows_cost_one_screen(monkeypatch):
    app = TableApp()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(VirtualTable)
        drawn = []
        original = VirtualTable.render_line
        monkeypatch.setattr(VirtualTable, "render_line", lambda self, y: drawn.append(y) or original(self, y))
        table.set_rows([(f"user-{i}", "yes", "no MFA") for i in range(100_000)])
        await pilot.pause()
        assert table.row_count == 100_000
        assert table.virtual_size.height == 100_001  # rows + header
        assert table.virtual_size.width == 10 + 7 + 60 + 3 * 2  # widths + one cell of padding each side
        assert 0 < len(drawn) <= 2 * app.size.height  # what is on screen, not 100,000 rows
        lines = rendered(app)
        assert lines[0].split() == ["User", "Console", "Flags"]
        assert lines[1].split()[0] == "user-0"


async def test_cursor_scrolls_and_the_user_column_stays():
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(VirtualTable)
        table.set_rows([(f"user-{i}", "yes", f"flag-{i}") for i in range(300)])
        table.move_cursor(row=299)
        await pilot.pause()
        assert table.cursor_row == 299 and table.scroll_offset.y > 0
        assert any(line.split()[:1] == ["user-299"] for line in rendered(app))
        table.scroll_to(x=9, animate=False)  # past the console column (7 + padding)
        await pilot.pause()
        assert table.scroll_offset.x == 9
        visible = [line for line in rendered(app) if "user-299" in line]
        assert visible and visible[0].startswith(" user-299")  # the user column did not move
        assert "flag-299" in visible[0] and "yes" not in visible[0]  # the others did
        table.focus()
        await pilot.press("home")
        assert table.cursor_row == 0 and table.scroll_offset.y == 0
        await pilot.press("down", "down", "pagedown")
        assert table.cursor_row > 2
        table.set_rows([("only", "no", "")])
        assert table.cursor_row == 0 and table.row_count == 1


async def test_cells_are_text_with_control_characters_visible():
    app = TableApp()
    async with app.run_test(size=(100, 8)) as pilot:
        table = app.query_one(VirtualTable)
        table.set_rows([("[b]x[/b]", "[/]", "evil\x1b]0;TITLE\x07 \x9b31m")])
        await pilot.pause()
        line = rendered(app)[1]
        assert "[b]x[/b]" in line and "[/]" in line
        assert "\x1b" not in line and "\x07" not in line and "\x9b" not in line
        assert r"\x1b]0;TITLE\x07" in line and r"\x9b31m" in line
        assert len(line) == 100


async def test_ascii_lines_are_drawn_as_the_cropped_strips_draw_them():
    """The one-segment drawing of plain ASCII lines gives the same cells and styles as
    cropping and joining a strip per cell, at every sideways offset (cursor and odd rows)."""
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(VirtualTable)
        table.set_rows([(f"user-{i}", "yes" if i % 2 else "", f"flag-{i} " * 9) for i in range(30)])
        table.move_cursor(row=2)
        await pilot.pause()
        width = table.scrollable_content_region.width
        for x in (0, 1, 9, 30, 70):
            table.scroll_to(x=x, animate=False, immediate=True)
            await pilot.pause()
            for y in range(6):
                fast = table.render_line(y)
                index = table.scroll_offset.y + y - 1
                cells = table.columns if y == 0 else table.get_row_at(index)
                cells = [c[0] for c in cells] if y == 0 else cells
                style = fast._segments[0].style
                slow = table._cropped(table._line(cells, style), table.rich_style, width)
                assert list(fast.simplify()) == list(slow.simplify()), (x, y)
                assert fast.cell_length == width
