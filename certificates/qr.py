"""QR code of a certificate's verification URL: SVG for web pages, PNG for the PDF."""

from __future__ import annotations

import io

import segno
from PIL import Image

#: Error correction level: M survives a crease or a smudge and keeps the symbol small.
ERROR_LEVEL = "M"
#: Quiet zone in modules, as the QR specification asks.
QUIET_ZONE = 4
#: One fixed mask pattern: scoring all eight for every certificate was a fifth of the render
#: time, and any mask decodes; a test reads hundreds of generated codes back to prove it.
MASK = 2


def make_qr(url: str) -> segno.QRCode:
    """Return the QR code (never a Micro QR) that encodes `url` byte for byte."""
    return segno.make_qr(url, error=ERROR_LEVEL, boost_error=False, encoding="utf-8", mask=MASK)


def qr_svg(url: str) -> str:
    """Return an ``<svg>`` element drawing the QR code of `url`, sized by CSS.

    The markup holds only a path and fixed attributes (no text from `url`), so it is
    safe to place in the HTML unescaped.
    """
    return make_qr(url).svg_inline(
        dark="#000",
        border=QUIET_ZONE,
        omitsize=True,
        svgclass="qr",
        lineclass=None,
    )


def qr_png(url: str) -> bytes:
    """Return a greyscale PNG of the QR code of `url`, one pixel per module.

    The PDF shows it scaled up without smoothing (``image-rendering: pixelated``), so it
    prints as crisply as the SVG; WeasyPrint draws it far faster than an SVG path of a
    few hundred segments. Greyscale, because WeasyPrint would convert a 1-bit image.
    """
    pixels, width = qr_pixels(url)
    buffer = io.BytesIO()
    image = Image.frombytes("L", (width, width), pixels)
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# segno's matrix holds 1 for a dark module and 0 for a light one.
_PIXEL = bytes([255, 0]) + bytes(254)


def qr_pixels(url: str) -> tuple[bytes, int]:
    """The pixels of `qr_png` (greyscale, one byte each, row by row) and the side in pixels."""
    qr = make_qr(url)
    width, _ = qr.symbol_size(scale=1, border=QUIET_ZONE)
    light_rows = bytes([255]) * width * QUIET_ZONE
    side = bytes([255]) * QUIET_ZONE
    pixels = b"".join(side + bytes(row).translate(_PIXEL) + side for row in qr.matrix)
    return light_rows + pixels + light_rows, width
