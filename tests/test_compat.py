"""screens/compat.py: the one place that uses Textual internals, checked against the pin."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import warnings
from importlib.metadata import version
from pathlib import Path

import pytest
from rich.text import Text
from textual.app import App
from textual.widgets import DataTable, Static

from screens import compat
from screens.compat import (
    TESTED_TEXTUAL,
    TextualCompatError,
    TextualVersionWarning,
    UnmeasuredDataTable,
    check_textual,
    lines_to_svg,
    missing_internals,
    screen_lines,
)

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_pin_installed_and_tested_versions_agree():
    deps = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    pins = [d for d in deps if re.match(r"textual\b", d)]
    assert pins == [f"textual=={TESTED_TEXTUAL}"]
    assert version("textual") == TESTED_TEXTUAL


def test_installed_textual_has_every_internal_and_passes_silently():
    assert missing_internals() == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_textual()


def test_another_version_with_the_internals_warns():
    with pytest.warns(TextualVersionWarning, match=rf"tested with Textual {re.escape(TESTED_TEXTUAL)}, not 99\.0\.0"):
        check_textual(installed="99.0.0", missing=[])


def test_missing_internal_is_found_and_refused_with_its_name(monkeypatch):
    monkeypatch.delattr(DataTable, "_total_row_height")
    assert missing_internals() == ["textual.widgets.DataTable._total_row_height"]
    with pytest.raises(TextualCompatError, match=r"lacks textual\.widgets\.DataTable\._total_row_height.*"
                                                  rf"textual=={re.escape(TESTED_TEXTUAL)}"):
        check_textual(installed="99.0.0")


def test_missing_compositor_module_is_refused(monkeypatch):
    import textual._compositor

    monkeypatch.delattr(textual._compositor, "LayoutUpdate")
    assert missing_internals() == ["textual._compositor.LayoutUpdate"]


class Tables(App):
    def compose(self):
        yield UnmeasuredDataTable(id="unmeasured")
        yield DataTable(id="measured")


@pytest.mark.parametrize("label", [False, True])
async def test_unmeasured_table_has_the_size_datatable_measures(label):
    app = Tables()
    async with app.run_test(size=(100, 30)) as pilot:
        for table in app.query(DataTable):
            table.add_column("User", width=12)
            table.add_column("Flags", width=30)
            for i in range(50):
                table.add_row(Text(f"user-{i}"), Text("[b]x[/b] " * (i % 4)), label=f"{i}" if label else None)
        await pilot.pause()
        unmeasured, measured = app.query_one("#unmeasured", DataTable), app.query_one("#measured", DataTable)
        assert unmeasured.virtual_size == measured.virtual_size
        assert unmeasured.virtual_size.height == 51


async def test_unmeasured_table_measures_auto_width_columns():
    app = Tables()
    async with app.run_test(size=(100, 30)) as pilot:
        for table in app.query(DataTable):
            table.add_columns("User")
            table.add_row(Text("a-rather-long-user-name-of-thirty"))
        await pilot.pause()
        unmeasured, measured = app.query_one("#unmeasured", DataTable), app.query_one("#measured", DataTable)
        assert unmeasured.virtual_size == measured.virtual_size
        assert unmeasured.virtual_size.width >= len("a-rather-long-user-name-of-thirty")


class Hello(App):
    def compose(self):
        yield Static("hello [world]", markup=False)


async def test_screen_lines_to_svg_is_textuals_own_screenshot():
    app = Hello()
    async with app.run_test(size=(40, 6)) as pilot:
        await pilot.pause()
        region, lines = screen_lines(app)
        assert len(lines) == region.height == 6
        assert "hello [world]" in lines[0].text
        ours = lines_to_svg(lines, region, size=app.size, title="t")
        assert ours == App.export_screenshot(app, title="t")


def test_compat_is_the_only_module_that_imports_textual_internals():
    screens_dir = Path(compat.__file__).parent
    users = [p.name for p in screens_dir.glob("*.py")
             if re.search(r"textual\._|\._compositor|_update_dimensions|_background_screens|"
                          r"_row_label_column_width|_total_row_height", p.read_text())]
    assert users == ["compat.py"]


def test_importing_any_screen_checks_textual_first():
    code = "import sys, screens.dialogs; print('screens.compat' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


class _Keys(App):
    """A screen with a key whose enabled state the test sets, and a SteadyFooter."""

    BINDINGS = [("f2", "go", "Go"), ("f3", "other", "Other")]
    can_go = True

    def compose(self):
        yield Static("body")
        yield compat.SteadyFooter()

    def check_action(self, action, parameters):
        return True if action != "go" else (True if self.can_go else None)

    def action_go(self) -> None:
        pass

    def action_other(self) -> None:
        pass


async def test_steady_footer_recomposes_once_and_only_when_its_keys_change(monkeypatch):
    from textual.widgets._footer import FooterKey

    composed = []
    real = compat.SteadyFooter.recompose

    async def counted(self):
        composed.append(1)
        await real(self)

    monkeypatch.setattr(compat.SteadyFooter, "recompose", counted)
    app = _Keys()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = app.query_one(compat.SteadyFooter)
        keys = {k.key: k for k in footer.query(FooterKey)}
        assert set(keys) >= {"f2", "f3"} and not keys["f2"].disabled
        composed.clear()
        for _ in range(3):  # nothing changed: Textual's Footer recomposed three times here
            app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert composed == []
        app.can_go = False  # the key is now shown disabled: one recompose for two signals
        app.screen.refresh_bindings()
        app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert composed == [1]
        assert next(k for k in footer.query(FooterKey) if k.key == "f2").has_class("-disabled")


def test_installed_version_is_what_importlib_metadata_says():
    assert compat.installed_textual() == version("textual")
