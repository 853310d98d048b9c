"""Turn a terminal screen capture with colours (`tmux capture-pane -p -e`) into an image,
painting half-block cells as a phone camera would see them, to decode QR codes."""

from __future__ import annotations

import re

from PIL import Image

_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_BASE16 = [(0, 0, 0), (128, 0, 0), (0, 128, 0), (128, 128, 0), (0, 0, 128), (128, 0, 128), (0, 128, 128),
           (192, 192, 192), (128, 128, 128), (255, 0, 0), (0, 255, 0), (255, 255, 0), (0, 0, 255),
           (255, 0, 255), (0, 255, 255), (255, 255, 255)]
_CUBE = [0, 95, 135, 175, 215, 255]


def xterm256(n: int) -> tuple[int, int, int]:
    if n < 16:
        return _BASE16[n]
    if n < 232:
        n -= 16
        return _CUBE[n // 36], _CUBE[(n // 6) % 6], _CUBE[n % 6]
    v = 8 + 10 * (n - 232)
    return v, v, v


def _dark(rgb) -> bool | None:  # noqa: ANN001
    return None if rgb is None else (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) < 128


def cells(text: str) -> list[list[tuple[str, tuple | None, tuple | None]]]:
    """(character, foreground RGB, background RGB) of every cell, line by line."""
    rows = []
    for line in text.split("\n"):
        fg = bg = None
        row = []
        pos = 0
        while pos < len(line):
            m = _SGR.match(line, pos)
            if m:
                params = [int(p) if p else 0 for p in m.group(1).split(";")]
                i = 0
                while i < len(params):
                    p = params[i]
                    if p == 0:
                        fg = bg = None
                    elif p in (38, 48) and i + 1 < len(params) and params[i + 1] in (2, 5):
                        if params[i + 1] == 5:
                            color, i = xterm256(params[i + 2]), i + 2
                        else:
                            color, i = tuple(params[i + 2:i + 5]), i + 4
                        fg, bg = (color, bg) if p == 38 else (fg, color)
                    elif p == 39:
                        fg = None
                    elif p == 49:
                        bg = None
                    i += 1
                pos = m.end()
                continue
            row.append((line[pos], fg, bg))
            pos += 1
        rows.append(row)
    return rows


def image(rows, scale: int = 6) -> Image.Image:  # noqa: ANN001
    """Each cell is two pixels high: "▀" paints its foreground on top and background below."""
    width = max((len(r) for r in rows), default=0)
    img = Image.new("L", (width * scale, len(rows) * 2 * scale), 128)
    for y, row in enumerate(rows):
        for x, (ch, fg, bg) in enumerate(row):
            if ch == "▀":
                halves = (_dark(fg), _dark(bg))
            elif ch == " ":
                halves = (_dark(bg), _dark(bg))
            else:
                continue
            for half, dark in enumerate(halves):
                if dark is not None:
                    box = (x * scale, (2 * y + half) * scale, (x + 1) * scale, (2 * y + half + 1) * scale)
                    img.paste(0 if dark else 255, box)
    return img
