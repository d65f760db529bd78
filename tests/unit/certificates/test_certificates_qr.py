"""The QR code of the verification URL, as SVG (for pages) and PNG (for the PDF).

Decoding a QR code needs zbar, which CI does not have; instead the pictures are read
back module by module and compared with segno's matrix for exactly the URL.
"""

from __future__ import annotations

import io
import re

import segno
from PIL import Image

from certificates.qr import QUIET_ZONE, make_qr, qr_png, qr_svg

URL = "https://learn.nwl.example.nhs.uk/verify/7KQ2-M9XD-4TRA-3X"


def dark_modules(qr: segno.QRCode) -> set[tuple[int, int]]:
    return {(x, y) for y, row in enumerate(qr.matrix) for x, dark in enumerate(row) if dark}


def test_the_qr_code_holds_the_url_byte_for_byte_at_level_m():
    qr = make_qr(URL)
    assert (qr.mode, qr.error, qr.is_micro) == ("byte", "M", False)
    expected = segno.make_qr(URL.encode(), error="m", boost_error=False, mode="byte")
    assert qr.matrix == expected.matrix
    assert qr.matrix != make_qr(URL.replace("3X", "3W")).matrix


def test_the_qr_code_is_small_enough_to_scan_from_paper():
    # Printed 36 mm wide with its quiet zone: modules of at least 0.8 mm.
    width, _ = make_qr(URL).symbol_size(scale=1, border=QUIET_ZONE)
    assert 36 / width >= 0.8


def test_the_svg_draws_exactly_the_dark_modules():
    svg = qr_svg(URL)
    assert svg.startswith("<svg") and "<text" not in svg and "href" not in svg
    path = re.search(r' d="([^"]+)"', svg)[1]
    drawn, x, y = set(), 0.0, 0.0
    for command, *numbers in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        a = float(numbers[0])
        b = float(numbers[1]) if numbers[1] else 0.0
        if command == "M":
            x, y = a, b
        elif command == "m":
            x, y = x + a, y + b
        else:  # h: a horizontal run of `a` modules at row y - 0.5
            drawn |= {(int(x) + i - QUIET_ZONE, int(y - 0.5) - QUIET_ZONE) for i in range(int(a))}
            x += a
    assert drawn == dark_modules(make_qr(URL))


def test_the_png_has_one_grey_pixel_per_module_and_a_quiet_zone():
    image = Image.open(io.BytesIO(qr_png(URL)))
    qr = make_qr(URL)
    size = len(qr.matrix) + 2 * QUIET_ZONE
    assert (image.format, image.mode, image.size) == ("PNG", "L", (size, size))
    pixels = image.tobytes()
    dark = {(i % size - QUIET_ZONE, i // size - QUIET_ZONE) for i, v in enumerate(pixels) if v == 0}
    assert set(pixels) == {0, 255}
    assert dark == dark_modules(qr)


def test_qr_codes_with_the_fixed_mask_read_back_for_many_codes():
    """The fixed mask pattern must not cost scannability: read 200 fresh codes back."""
    import io

    import pytest

    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    from certificates import new_code, qr_png

    for _ in range(200):
        url = f"https://learning.example.nhs.uk/verify/{new_code()}"
        image = Image.open(io.BytesIO(qr_png(url))).resize((330, 330), Image.NEAREST)
        results = zxingcpp.read_barcodes(image)
        assert results and results[0].text == url
