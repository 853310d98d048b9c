"""Untrusted text in widgets: the screens' side of wizard.text.

Anything from AWS, a file, a session or the operator reaches a widget through one of
these, never as markup and never with a raw control character:

- ``text(value)``: a plain ``rich.text.Text`` (control characters shown as escapes);
- ``clean(t)``: a ``Text`` built here from several parts, its characters made visible
  and its styles kept;
- ``Plain``: a Static that never parses markup and cleans whatever it is given;
- ``markup(value)``: a value escaped for a markup template of our own.

Toasts need nothing: RootWizardApp.notify shows every message as text.
"""

from __future__ import annotations

from typing import Any

from rich.text import Span, Text
from textual.markup import escape as _escape_markup
from textual.widgets import Static

from wizard.text import plain


def text(value: object, style: str = "") -> Text:
    """``value`` as plain text for a widget: no markup, control characters visible."""
    return Text(plain(value), style=style)


def clean(t: Text) -> Text:
    """``t`` with every control character of its text made visible, styles kept."""
    if plain(t.plain) == t.plain:
        return t
    cuts = sorted({p for span in t.spans for p in (span.start, span.end) if 0 < p < len(t.plain)})
    out = Text(style=t.style, justify=t.justify, overflow=t.overflow, no_wrap=t.no_wrap, end=t.end)
    for piece in t.divide(cuts):
        shown = plain(piece.plain)
        out.append_text(Text(shown, spans=[Span(0, len(shown), s.style) for s in piece.spans
                                           if s.start < s.end], style=piece.style))
    return out


def renderable(content: Any) -> Any:
    """What a widget may show: strings and Text cleaned; other renderables (a Table whose
    cells went through ``text``) as they are."""
    if isinstance(content, str):
        return text(content)
    if isinstance(content, Text):
        return clean(content)
    return content


class Plain(Static):
    """A Static for text that is not all ours: never parsed as markup, cleaned on every update."""

    def __init__(self, content: Any = "", **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(renderable(content), **kwargs)

    def update(self, content: Any = "", **kwargs: Any) -> None:
        super().update(renderable(content), **kwargs)


def markup(value: object) -> str:
    """``value`` escaped for a Textual markup template, control characters visible."""
    return _escape_markup(plain(value))


__all__ = ["Plain", "clean", "markup", "renderable", "text"]
