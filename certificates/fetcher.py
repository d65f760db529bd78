"""The only way WeasyPrint may load anything while rendering a certificate.

A certificate needs a handful of resources: the pinned font files, the QR code and the
signature image. Each is served from an exact allow-list keyed by the full URL; anything
else (``file:``, ``http:``, ``https:``, ``data:``, a path that merely looks like ours) is
refused with `RefusedURLError`, recorded in `CertificateFetcher.refused`, and stops the
rendering, so no refused content can reach the PDF.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse


class RefusedURLError(ValueError):
    """Rendering tried to load a URL that is not on the certificate's allow-list."""


class CertificateFetcher(URLFetcher):
    """Serve exactly the given resources; refuse every other URL.

    `resources` maps a full URL to ``(body, media type)``; a `Path` body is read when
    first asked for (used for font files).
    """

    def __init__(self, resources: Mapping[str, tuple[bytes | Path, str]]) -> None:
        # No protocol allowed, should the base class ever fetch; every error fatal.
        super().__init__(allowed_protocols=(), fail_on_errors=True)
        # WeasyPrint reads a raster image from disk when the response's URL is a file:
        # URL, whatever body we return; so no resource may have one.
        if any(url.lower().startswith("file:") for url in resources):
            raise ValueError("certificate resources must not have file: URLs")
        self._resources = dict(resources)
        #: URLs refused so far, so a refusal cannot go unnoticed even where WeasyPrint
        #: catches the error (it does so while drawing SVG images, for instance).
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        try:
            body, media_type = self._resources[url]
        except KeyError:
            self.refused.append(url)
            raise RefusedURLError(f"certificates may not load {url[:200]!r}") from None
        if isinstance(body, Path):
            body = body.read_bytes()
        return URLFetcherResponse(url, body, {"Content-Type": media_type})
