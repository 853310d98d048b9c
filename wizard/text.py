"""Text from AWS, a file, a session or a person, made safe to show: control characters
become visible instead of reaching the terminal (an ESC could retitle it, move the
cursor or hide what follows). One helper, used wherever such text is printed or drawn."""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, and the bidirectional overrides/isolates that reorder
# what is shown ("Trojan Source").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _show(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␛ for ESC, ␊ for LF
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def visible(text: str) -> str:
    """``text`` with every control character shown as a visible stand-in (``␛`` for ESC,
    ``␊`` for a line feed, ``<U+009B>`` for C1 and bidi controls); other text unchanged."""
    return _CONTROL.sub(_show, text) if _CONTROL.search(text) else text
