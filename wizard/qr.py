"""QR codes drawn in a terminal with half-block characters, two modules per cell.

Each terminal cell shows "▀": its foreground paints the upper module, its background the
lower one. Colours are always black on white (never theme colours) and the code is
surrounded by a light quiet zone, so a phone or zbarimg decodes it from the screen.

Error correction is level L. The code is shown on a clean screen, not printed where it
could be smudged, so the extra redundancy of M/Q buys nothing while it costs modules: the
otpauth URI of an AWS device (64-character seed) is version 7 at L, 45 modules (53×27
cells with a 4-module quiet zone), but version 8 at M (49). Fewer modules means a code
that fits a 100×30 terminal and larger modules per cell for the camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import qrcode
from qrcode.constants import ERROR_CORRECT_L

Matrix = list[list[bool]]  # True = dark module
Cell = tuple[bool, bool]  # (top dark, bottom dark)

QUIET_MIN = 2
QUIET_PREFERRED = 4
HALF_BLOCK = "▀"
# 256-colour cube black (16) and white (231): exact #000000/#ffffff, supported far more
# widely than 24-bit colour, and unlike the 16 basic colours never remapped by a theme.
_FG = {True: "\x1b[38;5;16m", False: "\x1b[38;5;231m"}
_BG = {True: "\x1b[48;5;16m", False: "\x1b[48;5;231m"}
_RESET = "\x1b[0m"


def qr_matrix(data: str) -> Matrix:
    """The smallest level-L QR symbol for ``data``, without quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_L, border=0)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


@dataclass(frozen=True)
class QrLayout:
    """The code fits: draw it with ``quiet`` light modules around it in cols×rows cells."""

    quiet: int
    cols: int
    rows: int


@dataclass(frozen=True)
class TooSmall:
    """The code does not fit; it needs an area of at least need_cols×need_rows cells."""

    need_cols: int
    need_rows: int
    have_cols: int
    have_rows: int

    @property
    def message(self) -> str:
        return (
            f"The window is too small to show the QR code: it needs {self.need_cols}×{self.need_rows} "
            f"characters, there are {self.have_cols}×{self.have_rows}. Enlarge the terminal "
            "or use the secret key instead."
        )


def _cells(modules: int, quiet: int) -> tuple[int, int]:
    side = modules + 2 * quiet
    return side, math.ceil(side / 2)


def layout(matrix: Matrix, max_cols: int, max_rows: int) -> QrLayout | TooSmall:
    """Fit the code into max_cols×max_rows cells with the widest quiet zone that fits,
    QUIET_PREFERRED down to QUIET_MIN; below that, say how much room is needed."""
    for quiet in range(QUIET_PREFERRED, QUIET_MIN - 1, -1):
        cols, rows = _cells(len(matrix), quiet)
        if cols <= max_cols and rows <= max_rows:
            return QrLayout(quiet, cols, rows)
    need_cols, need_rows = _cells(len(matrix), QUIET_MIN)
    return TooSmall(need_cols, need_rows, max_cols, max_rows)


def with_quiet_zone(matrix: Matrix, quiet: int) -> Matrix:
    """The matrix surrounded by ``quiet`` light modules on every side."""
    side = len(matrix) + 2 * quiet
    blank = [[False] * side for _ in range(quiet)]
    body = [[False] * quiet + list(row) + [False] * quiet for row in matrix]
    return blank + body + [row[:] for row in blank]


def half_block_rows(matrix: Matrix, quiet: int) -> list[list[Cell]]:
    """Terminal cells, two module rows per cell row, quiet zone included. An odd module
    count gets one more light row at the bottom."""
    padded = with_quiet_zone(matrix, quiet)
    if len(padded) % 2:
        padded.append([False] * len(padded[0]))
    return [list(zip(top, bottom)) for top, bottom in zip(padded[::2], padded[1::2])]


def matrix_from_cells(cells: list[list[Cell]]) -> Matrix:
    """Inverse of half_block_rows: the square module matrix (quiet zone included)."""
    rows = [[cell[half] for cell in row] for row in cells for half in (0, 1)]
    return rows[: len(cells[0])] if cells else []


def ansi_lines(matrix: Matrix, quiet: int = QUIET_PREFERRED) -> list[str]:
    """Lines for a plain terminal: "▀" in explicit black/white, reset at each line end."""
    lines = []
    for row in half_block_rows(matrix, quiet):
        parts, previous = [], None
        for cell in row:
            if cell != previous:
                parts.append(_FG[cell[0]] + _BG[cell[1]])
                previous = cell
            parts.append(HALF_BLOCK)
        lines.append("".join(parts) + _RESET)
    return lines
