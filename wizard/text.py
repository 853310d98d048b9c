"""The one way to treat text the wizard did not write itself.

Names, paths, messages and values from AWS, a file, a session or the operator are
untrusted: they can hold terminal escape sequences (ESC ] 0 ; TITLE BEL retitles the
terminal), bidi overrides that make text read backwards, Rich/Textual markup such as
``[/]``, or Markdown/HTML that a viewer renders and fetches. Three functions cover
every place such text goes:

- ``visible(s)``: for a terminal line or one-line field. Every control character is
  shown as a Python-style escape instead of acting: C0 controls including ESC and BEL
  (``\\x1b``, ``\\x07``; tab, newline and carriage return as ``\\t``, ``\\n``,
  ``\\r``), DEL and the C1 controls (``\\x7f``, ``\\x9b``), Unicode format characters
  such as the bidi overrides and isolates, zero-width space and BOM (``\\u202e``,
  ``\\u200b``, ``\\ufeff``), lone surrogates (``\\udc80``) and the line/paragraph
  separators (``\\u2028``). Zero-width joiner and non-joiner stay: scripts and emoji
  sequences need them and they cannot move or hide text. A backslash is not doubled,
  so the output is for people to read, not to parse back.
- ``plain(s)``: the same for a widget that shows several lines: newlines are kept,
  everything else as in ``visible``. Screens wrap it in a plain ``Text``
  (screens.safe), never in markup.
- ``md(s)`` and ``md_code(s)``: for the Markdown record. ``md`` escapes everything
  Markdown, GitHub-flavoured Markdown or HTML would interpret (``& < >`` as entities;
  backslash, backtick, ``* _ [ ] | ~ $ { }`` with a backslash, so no emphasis, link,
  image, code span, table cell or math can start; ``( ) !`` stay readable; a
  heading, list, quote or rule marker at the start), after ``visible`` (so a newline
  shows as ``\\n`` and cannot start a new block). ``md_code`` makes a code span that
  holds any text, backticks included (an ARN with a backtick cannot end it early).
"""

from __future__ import annotations

import re
import unicodedata

# Format characters kept as they are: they join or separate letters, nothing more.
_KEEP = frozenset("\u200c\u200d")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_SHOWN = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))


def _escape(ch: str) -> str:
    named = _NAMED.get(ch)
    if named:
        return named
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _shown_as_escape(ch: str) -> bool:
    return ch not in _KEEP and unicodedata.category(ch) in _SHOWN


def visible(s: object, *, newlines: bool = False) -> str:
    """``s`` (any value; None is "") with every control character made visible as an
    escape; with ``newlines`` a newline stays a newline."""
    text = "" if s is None else s if isinstance(s, str) else str(s)
    if text.isprintable():  # the fast path: no control, format or separator character
        return text
    out = []
    for ch in text:
        if ch == "\n" and newlines:
            out.append(ch)
        elif _shown_as_escape(ch):
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)


def plain(s: object) -> str:
    """Text for a widget: ``visible`` keeping newlines (a widget can show several lines)."""
    return visible(s, newlines=True)


# Inline Markdown (CommonMark + GitHub: tables, strikethrough, math) and HTML.
# "(", ")" and "!" stay as they are: with "[" and "]" escaped no link or image can form.
_MD_INLINE = re.compile(r"([\\`*_\[\]|~${}])")
# What starts a block at the beginning of a line: indentation (code block), a heading,
# list, rule or setext marker, or an ordered-list number ("1." / "1)").
_MD_BLOCK_START = re.compile(r"( *)(?:([#+\-=])|\d+([.)]))?")


def _block_safe(m: re.Match[str]) -> str:
    spaces, marker, number_end = m.group(1), m.group(2), m.group(3)
    out = "&#32;" * len(spaces)
    if marker:
        return out + "\\" + marker
    if number_end:
        body = m.group(0)[len(spaces):]
        return out + body[:-1] + "\\" + number_end
    return out


def md(s: object) -> str:
    """``s`` as Markdown text that renders exactly as ``visible(s)``: no markup, link,
    image, HTML tag, table cell break or block of its own, wherever it is placed."""
    text = visible(s)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_BLOCK_START.sub(_block_safe, text, count=1)


def md_code(s: object, *, table: bool = False) -> str:
    """``s`` as a Markdown code span that shows exactly ``visible(s)``, whatever
    backticks it holds; ``table`` escapes ``|`` for a GitHub table cell (where the
    table is split before the span is read). An empty value gives an empty string."""
    text = visible(s)
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if text[0] in "` " or text[-1] in "` ":
        if not text.strip(" "):  # only spaces: a span keeps them as they are
            pass
        else:
            text = f" {text} "
    if table:
        text = text.replace("|", "\\|")
    return f"{fence}{text}{fence}"


__all__ = ["md", "md_code", "plain", "visible"]
