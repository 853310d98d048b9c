"""Every use of Textual's private internals, in one place, checked against the tested version.

pyproject.toml pins Textual to ``TESTED_TEXTUAL``. Two things here reach below Textual's
public API, because it has no public way to do them:

- ``UnmeasuredDataTable`` overrides DataTable's private ``_update_dimensions`` (and reads
  ``_row_label_column_width`` and ``_total_row_height``) so that a table whose columns all
  have a fixed width is not measured cell by cell (about a second for 5,000 users).
- ``screen_lines`` / ``lines_to_svg`` read the screen's compositor (``Screen._compositor``,
  ``App._background_screens``, ``textual._compositor.LayoutUpdate``) so that a screenshot can
  be painted over where a secret is shown before it is turned into SVG.
- ``SteadyFooter`` overrides Footer's ``bindings_changed`` (and sets ``_bindings_ready``) so
  that the footer recomposes once per refresh and only when the keys it shows changed, not
  at every focus change and worker result (each recompose mounts its keys again and lays
  out the whole screen: 10 to 30 ms each, several in a row on the credential report step).
- ``OneLineCrashes`` overrides ``App._handle_exception`` (and sets ``_return_code``,
  ``_exception``/``_exception_event``, ``_exit_renderables``, calls
  ``_close_messages_no_wait``) so that an exception no handler caught ends the app with one
  line instead of Textual's traceback with local variables on the terminal.

At import the installed Textual is checked: if one of these internals is gone this module
raises ``TextualCompatError`` (naming what is missing and the tested version) instead of the
app failing later in a screen; if only the version differs it warns with
``TextualVersionWarning``. To move to a new Textual: install it, run tests/test_compat.py and
the screenshot and table tests, then change the pin and ``TESTED_TEXTUAL`` together.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterable, Sequence

from rich.console import Console
from textual.app import App
from textual.geometry import Region, Size
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import DataTable, Footer
from textual.widgets.data_table import RowKey

TESTED_TEXTUAL = "8.2.8"


class TextualCompatError(ImportError):
    """The installed Textual lacks an internal the app relies on."""


class TextualVersionWarning(RuntimeWarning):
    """The installed Textual is not the tested version (its internals are still present)."""


def missing_internals() -> list[str]:
    """The private Textual names this module uses that the installed Textual lacks."""
    missing = []
    try:
        from textual._compositor import Compositor, LayoutUpdate  # noqa: F401
    except ImportError:
        return ["textual._compositor.LayoutUpdate"]
    if not callable(getattr(Compositor, "render_update", None)):
        missing.append("textual._compositor.Compositor.render_update")
    if not callable(getattr(DataTable, "_update_dimensions", None)):
        missing.append("textual.widgets.DataTable._update_dimensions")
    for name in ("_row_label_column_width", "_total_row_height"):
        if not isinstance(getattr(DataTable, name, None), property):
            missing.append(f"textual.widgets.DataTable.{name}")
    if not isinstance(getattr(App, "_background_screens", None), property):
        missing.append("textual.app.App._background_screens")
    if not callable(getattr(Footer, "bindings_changed", None)):
        missing.append("textual.widgets.Footer.bindings_changed")
    if "_bindings_ready" not in Footer.compose.__code__.co_names:
        missing.append("textual.widgets.Footer._bindings_ready")
    for name in ("_handle_exception", "_close_messages_no_wait", "_print_error_renderables"):
        if not callable(getattr(App, name, None)):
            missing.append(f"textual.app.App.{name}")
    return missing


def installed_textual() -> str:
    """The installed Textual's version, from the name of its one ``textual-*.dist-info``
    folder beside the package (a directory listing: importlib.metadata costs about 25 ms
    of the start-up), else as importlib.metadata finds it."""
    import textual

    site = os.path.dirname(os.path.dirname(textual.__file__))
    try:
        found = [n for n in os.listdir(site) if n.startswith("textual-") and n.endswith(".dist-info")]
    except OSError:
        found = []
    if len(found) == 1:
        return found[0][len("textual-"):-len(".dist-info")]
    from importlib.metadata import version

    return version("textual")


def check_textual(installed: str | None = None, missing: Sequence[str] | None = None) -> None:
    """Raise TextualCompatError when internals are missing, warn when only the version differs."""
    installed = installed if installed is not None else installed_textual()
    missing = missing_internals() if missing is None else missing
    if missing:
        raise TextualCompatError(
            f"rootwizard is tested with Textual {TESTED_TEXTUAL}; the installed Textual {installed} "
            f"lacks {', '.join(missing)}. Install the tested version: "
            f"pip install 'textual=={TESTED_TEXTUAL}'.")
    if installed != TESTED_TEXTUAL:
        warnings.warn(
            f"rootwizard is tested with Textual {TESTED_TEXTUAL}, not {installed}: the table sizing "
            f"and the masked screenshots use Textual internals (screens/compat.py).",
            TextualVersionWarning, stacklevel=2)


check_textual()

from textual._compositor import LayoutUpdate  # noqa: E402  (present: checked just above)


class UnmeasuredDataTable(DataTable):
    """A DataTable that does not measure cells when every column has a fixed width and no
    row has an automatic height or a label: its virtual size is then the sum of the widths
    by the rows' total height. Otherwise it sizes itself as DataTable does."""

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        if (any(c.auto_width for c in self.columns.values())
                or any(r.auto_height or r.label is not None for r in self.rows.values())):
            super()._update_dimensions(new_rows)
            return
        width = sum(c.get_render_width(self) for c in self.columns.values()) + self._row_label_column_width
        header = self.header_height if self.show_header else 0
        self.virtual_size = Size(width, self._total_row_height + header)


class SteadyFooter(Footer):
    """A Footer that recomposes at most once per refresh, and only when what it would
    show (each shown binding's key, action, description, enabled state and tooltip) is not
    what it shows. Textual's recomposes at every signal that bindings may have changed."""

    _pending = False
    _shown: tuple[object, ...] | None = None

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._pending:
            self._pending = True
            self.call_after_refresh(self._recompose_if_changed)

    def _keys(self) -> tuple[object, ...]:
        return tuple((binding.key, binding.action, binding.description, binding.group, enabled, tooltip)
                     for _, binding, enabled, tooltip in self.screen.active_bindings.values()
                     if binding.show or binding.key == self.app.COMMAND_PALETTE_BINDING)

    async def _recompose_if_changed(self) -> None:
        self._pending = False
        if not self.is_attached:
            return
        keys = self._keys()
        if keys != self._shown:
            self._shown = keys
            await self.recompose()


class OneLineCrashes(App):
    """An App whose unhandled exception ends it with ``crash_line(error)`` (one line) and
    exit code 2, not with Textual's traceback. A test run (run_test) still re-raises the
    exception, so a bug cannot pass unseen."""

    def crash_line(self, error: Exception) -> str:
        """The last resort, for an exception no screen handled: the details go to
        --log-file only, the terminal gets this one line."""
        from wizard.redact import log_unexpected

        return f"rootwizard: {log_unexpected(error)}"

    def _handle_exception(self, error: Exception) -> None:
        from rich.text import Text

        self._return_code = 2
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self._exit_renderables.append(Text(self.crash_line(error)))
        self._close_messages_no_wait()


def screen_lines(app: App, *, simplify: bool = False) -> tuple[Region, list[Strip]]:
    """The app's current screen (with the screens a dialog shows behind it) as one Strip
    per line, and the region they cover: what Textual's own screenshot renders."""
    screen: Screen = app.screen
    update = screen._compositor.render_update(full=True, screen_stack=app._background_screens,
                                              simplify=simplify)
    assert isinstance(update, LayoutUpdate)  # full=True: the whole screen, never a partial update
    return update.region, [Strip.join(list(chops)) for chops in update.strips]


def lines_to_svg(lines: Sequence[Strip], region: Region, *, size: Size, title: str) -> str:
    """Lines from ``screen_lines`` (possibly painted over) as an SVG, as Textual exports it."""
    console = Console(width=size.width, height=size.height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(LayoutUpdate([[line] for line in lines], region))
    return console.export_svg(title=title)
