"""Untrusted text in widgets: the screens' side of wizard.text.

Anything from AWS, a file, a session or the operator reaches a widget through one of
these: ``text()`` gives a plain ``rich.text.Text`` (never parsed as markup, control
characters made visible), ``markup()`` escapes a value that is placed inside a markup
template of our own.
"""

from __future__ import annotations

from rich.text import Text
from textual.markup import escape as _escape_markup

from wizard.text import plain


def text(value: object, style: str = "") -> Text:
    """``value`` as plain text for a widget: no markup, control characters visible."""
    return Text(plain(value), style=style)


def markup(value: object) -> str:
    """``value`` escaped for a Textual markup template, control characters visible."""
    return _escape_markup(plain(value))


__all__ = ["markup", "text"]
