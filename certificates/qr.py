"""QR code of a certificate's verification URL, as SVG markup to inline in the page."""

from __future__ import annotations

import io

import segno

#: Error correction level: M survives a crease or a smudge and keeps the symbol small.
ERROR_LEVEL = "M"
#: Quiet zone in modules, as the QR specification asks.
QUIET_ZONE = 4


def make_qr(url: str) -> segno.QRCode:
    """Return the QR code (never a Micro QR) that encodes `url` byte for byte."""
    return segno.make_qr(url, error=ERROR_LEVEL, boost_error=False, encoding="utf-8")


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
    """Return a PNG of the QR code of `url`, one pixel per module.

    The PDF shows it scaled up without smoothing (``image-rendering: pixelated``), so
    it prints as crisply as the SVG and costs WeasyPrint far less to draw.
    """
    buffer = io.BytesIO()
    make_qr(url).save(buffer, kind="png", scale=1, border=QUIET_ZONE, dark="#000")
    return buffer.getvalue()
