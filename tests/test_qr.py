import re
import subprocess
import sys
from pathlib import Path

import pytest
import qrcode
from PIL import Image

from wizard.qr import (
    HALF_BLOCK,
    QUIET_MIN,
    QUIET_PREFERRED,
    QrLayout,
    TooSmall,
    ansi_lines,
    half_block_rows,
    layout,
    matrix_from_cells,
    qr_matrix,
    with_quiet_zone,
)
from wizard.totp import aws_otpauth_uri

SEED32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
SEED64 = SEED32 * 2  # real AWS seeds are 64 base32 characters
URI32 = aws_otpauth_uri(SEED32, "admin-mfa", "123456789012")
URI64 = aws_otpauth_uri(SEED64, "admin-mfa", "123456789012")
CELL_W, CELL_H = 8, 16  # a terminal cell is about twice as tall as wide


def reference_matrix(data: str, border: int) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=border)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def render(cells: list[list[tuple[bool, bool]]]) -> Image.Image:
    """Paint half-block cells as a terminal would: upper half fg, lower half bg."""
    img = Image.new("L", (len(cells[0]) * CELL_W, len(cells) * CELL_H), 255)
    for y, row in enumerate(cells):
        for x, (top, bottom) in enumerate(row):
            for half, dark in ((0, top), (1, bottom)):
                if dark:
                    box = (x * CELL_W, y * CELL_H + half * CELL_H // 2)
                    img.paste(0, (*box, box[0] + CELL_W, box[1] + CELL_H // 2))
    return img


def decode(img: Image.Image) -> list[str]:
    try:
        from pyzbar import pyzbar
    except (ImportError, OSError):
        pytest.skip("zbar library not installed")
    return [result.data.decode() for result in pyzbar.decode(img)]


def test_matrix_is_qrcode_matrix() -> None:
    matrix = qr_matrix(URI64)
    assert matrix == reference_matrix(URI64, 0)
    assert len(matrix) == 45  # version 7, level L


@pytest.mark.parametrize("quiet", [2, 3, 4])
@pytest.mark.parametrize("uri", [URI32, URI64])
def test_half_block_round_trip(uri: str, quiet: int) -> None:
    matrix = qr_matrix(uri)
    cells = half_block_rows(matrix, quiet)
    side = len(matrix) + 2 * quiet
    assert len(cells) == (side + 1) // 2 and all(len(row) == side for row in cells)
    assert matrix_from_cells(cells) == reference_matrix(uri, quiet)
    assert with_quiet_zone(matrix, quiet) == reference_matrix(uri, quiet)


def test_quiet_zone_is_light() -> None:
    cells = half_block_rows(qr_matrix(URI32), 2)
    assert not any(any(c) for c in cells[0])  # rows 0 and 1 of modules
    assert not any(any(row[i]) for row in cells for i in (0, 1, -2, -1))
    # 41 modules + 4 = 45: the last cell row carries a light extra module row.
    assert not any(bottom for _, bottom in cells[-1])


@pytest.mark.parametrize(("uri", "modules"), [(URI32, 41), (URI64, 45)])
def test_fits_100x30_terminal(uri: str, modules: int) -> None:
    matrix = qr_matrix(uri)
    assert len(matrix) == modules
    result = layout(matrix, 100, 30)
    assert result == QrLayout(QUIET_PREFERRED, modules + 8, (modules + 9) // 2)


def test_quiet_zone_shrinks_before_giving_up() -> None:
    matrix = qr_matrix(URI64)  # 45 modules
    assert layout(matrix, 100, 26) == QrLayout(3, 51, 26)
    assert layout(matrix, 49, 25) == QrLayout(QUIET_MIN, 49, 25)


def test_too_small_says_what_is_needed() -> None:
    result = layout(qr_matrix(URI64), 80, 20)
    assert result == TooSmall(need_cols=49, need_rows=25, have_cols=80, have_rows=20)
    assert "49×25" in result.message and "80×20" in result.message
    assert isinstance(layout(qr_matrix(URI64), 48, 40), TooSmall)


@pytest.mark.parametrize("quiet", [QUIET_MIN, QUIET_PREFERRED])
def test_rendered_cells_decode(quiet: int) -> None:
    img = render(half_block_rows(qr_matrix(URI64), quiet))
    assert decode(img) == [URI64]


ANSI_CELL = re.compile(r"\x1b\[38;5;(16|231)m\x1b\[48;5;(16|231)m(▀+)")


def test_ansi_lines_explicit_colours_and_decode() -> None:
    matrix = qr_matrix(URI64)
    lines = ansi_lines(matrix)
    cells = []
    for line in lines:
        assert line.endswith("\x1b[0m") and line.count(HALF_BLOCK) == 53
        body = line.removesuffix("\x1b[0m")
        runs = ANSI_CELL.findall(body)
        assert "".join(f"\x1b[38;5;{fg}m\x1b[48;5;{bg}m{blocks}" for fg, bg, blocks in runs) == body
        cells.append([(fg == "16", bg == "16") for fg, bg, blocks in runs for _ in blocks])
    assert cells == half_block_rows(matrix, QUIET_PREFERRED)
    assert decode(render(cells)) == [URI64]


def test_wizard_never_imports_textual() -> None:
    code = (
        "import sys, wizard.qr, wizard.totp, wizard.keystore, wizard.errors;"
        "sys.exit('textual' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[1]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0
