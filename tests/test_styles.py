"""Styles stay with their screen: a screen's stylesheet never restyles another screen.

Textual loads a screen's CSS_PATH into the app's one stylesheet the first time the screen
is shown, so an unscoped rule there (``.field-label { width: 18 }``) silently restyles
every later screen. Each screen stylesheet nests its rules under the screen's type.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from textual.app import App
from textual.color import Color
from textual.css.model import SelectorType
from textual.css.stylesheet import Stylesheet
from textual.screen import Screen

import screens
from conftest import settle
from walk import goto
from wizard.sandbox import start_sandbox

SCREENS_DIR = Path(screens.__file__).parent


def screen_classes() -> list[type[Screen]]:
    found: dict[str, type[Screen]] = {}
    for info in pkgutil.iter_modules([str(SCREENS_DIR)]):
        module = importlib.import_module(f"screens.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Screen) and obj.__module__.startswith("screens."):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return list(found.values())


def css_paths(cls: type[Screen]) -> list[Path]:
    paths = cls.CSS_PATH
    if paths is None:
        return []
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    return [(Path(inspect.getfile(cls)).parent / p).resolve() for p in paths]


def test_every_rule_of_a_screen_stylesheet_is_scoped_to_that_screen():
    users: dict[Path, list[type[Screen]]] = {}
    for cls in screen_classes():
        for path in css_paths(cls):
            users.setdefault(path, []).append(cls)
    sheets = {p.resolve() for p in SCREENS_DIR.glob("*.tcss")} - {(SCREENS_DIR / "app.tcss").resolve()}
    assert sheets and sheets <= set(users), f"stylesheets no screen loads: {sorted(sheets - set(users))}"
    variables = App().get_css_variables()
    for path in sorted(sheets):
        stylesheet = Stylesheet(variables=variables)
        stylesheet.read(path)
        stylesheet.parse()
        for rule in stylesheet.rules:
            for selector_set in rule.selector_set:
                first = selector_set.selectors[0]
                assert first.type == SelectorType.TYPE, f"{path.name}: `{rule.selectors}` is not scoped"
                for cls in users[path]:
                    bases = {b.__name__ for b in cls.__mro__}
                    assert first.name in bases, (
                        f"{path.name}: `{rule.selectors}` is scoped to {first.name}, "
                        f"but {cls.__name__} loads it")


@pytest.fixture
def sandbox():
    sb = start_sandbox()
    yield sb
    sb.stop()


def form_layout(app) -> list[tuple[str, str, int, int]]:
    """Every widget of the current step's body: what it is and its width and height."""
    body = app.screen.query_one("#body")
    return [(type(w).__name__, w.id or " ".join(sorted(w.classes)), w.region.width, w.region.height)
            for w in body.query("*") if w.display]


def label_widths(app) -> list[int]:
    return [label.region.width for label in app.screen.query(".field-label")]


async def test_step_screens_look_the_same_after_every_step_screen_was_shown(make_app, sandbox):
    """The policy form's labels (squeezed from 31 to 17 cells by root.tcss) and the root MFA
    secret input (made bold by iam_mfa.tcss) as on a fresh start, after every step."""
    app = make_app(sandbox=sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await goto(app, pilot, "password_policy")
        fresh_labels, fresh = label_widths(app), form_layout(app)
        assert fresh_labels and min(fresh_labels) > 18  # the range texts, e.g. "Minimum length (6–128)"
        await goto(app, pilot, "root_mfa")
        fresh_secret = app.screen.query_one("#secret").styles.text_style
        for step in app.ctx.checklist.order():
            if step != "connect":  # shown first; opening it again asks whether to reconnect
                await goto(app, pilot, step)
        await goto(app, pilot, "password_policy")
        assert label_widths(app) == fresh_labels
        assert form_layout(app) == fresh
        await goto(app, pilot, "root_mfa")
        assert app.screen.query_one("#secret").styles.text_style == fresh_secret


def contrast(a, b) -> float:
    """WCAG contrast ratio of two textual Colors."""

    def luminance(c) -> float:
        def channel(v: int) -> float:
            v = v / 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


async def test_contact_fields_stand_out_from_their_form(make_app, sandbox):
    """Issue 17: the alternate-contact fields were #1e1e1e on #121212 (contrast 1.1): an
    operator could not see where to type. Each field, focused or not, stands out from the
    form around it, and its text is readable on it."""
    app = make_app(sandbox=sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await goto(app, pilot, "alternate_contacts")
        fields = list(app.screen.query(".contact-form Input"))
        assert len(fields) == 12
        for field in (fields[0], fields[5]):
            for focused in (False, True):
                if focused:
                    field.focus()
                else:
                    app.screen.query_one("#verify").focus()
                await pilot.pause()
                around, own = field.background_colors
                assert contrast(own, around) >= 1.5, (field.id, focused, own.hex, around.hex)
                assert contrast(Color.from_rich_color(field.rich_style.color), own) >= 4.5


async def test_a_ticked_box_looks_different_beyond_its_colour(make_app, sandbox):
    """Issue 17: a ticked checkbox differs from an unticked one in its glyph and its
    background (Textual's shows an X in both states, coloured differently)."""
    from textual.widgets import Checkbox

    app = make_app(sandbox=sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await goto(app, pilot, "contact_info")
        box = app.screen.query_one("#email-ok", Checkbox)
        box.value = False
        await pilot.pause()
        off_text, off_bg = box.render().plain, box.get_component_styles("toggle--button").background
        box.value = True
        await pilot.pause()
        on_text, on_bg = box.render().plain, box.get_component_styles("toggle--button").background
        assert off_text[:3] == "▐ ▌" and on_text[:3] == "▐✓▌" and off_text[3:] == on_text[3:]
        assert contrast(on_bg, off_bg) >= 1.5
