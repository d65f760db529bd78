"""Certificates: the snapshot printed on one, its PDF, its verification code and QR code.

A pure library: no Flask, no database. See render.py for how the PDF is made fast and
deterministic, fonts.py for the fonts it needs, and codes.py for the code format.
"""

from .codes import new_code, normalise_code
from .data import PROGRAMME_NAME, CertificateData
from .fetcher import RefusedURLError
from .qr import qr_png, qr_svg
from .render import UnprintableTextError, prepare, render_html, render_pdf

__all__ = [
    "PROGRAMME_NAME",
    "CertificateData",
    "RefusedURLError",
    "UnprintableTextError",
    "new_code",
    "normalise_code",
    "prepare",
    "qr_png",
    "qr_svg",
    "render_html",
    "render_pdf",
]
