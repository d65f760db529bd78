"""Certificates: the snapshot printed on one, its PDF, its verification code and QR code.

A pure library: no Flask, no database. See render.py for how the PDF is made fast and
deterministic, fonts.py for the fonts it needs, and codes.py for the code format.
"""

from importlib import import_module

from .codes import new_code, normalise_code
from .data import PROGRAMME_NAME, CertificateData

# WeasyPrint takes about a second to import; load it only when a certificate is drawn, so
# web workers and `flask` commands that never render one start quickly.
_LAZY = {
    "RefusedURLError": "fetcher",
    "qr_png": "qr",
    "qr_svg": "qr",
    "UnprintableTextError": "render",
    "prepare": "render",
    "render_html": "render",
    "render_pdf": "render",
    "unprintable_characters": "fonts",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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
    "unprintable_characters",
]
