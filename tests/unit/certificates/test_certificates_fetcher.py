"""Rendering may load the certificate's own resources and nothing else."""

from __future__ import annotations

import pytest
import weasyprint
from weasyprint.urls import FatalURLFetchingError

from certificates.fetcher import CertificateFetcher, RefusedURLError

ALLOWED = {"certificate-data:qr.png": (b"\x89PNG not really", "image/png")}
REFUSED = [
    "file:///etc/passwd",
    "file://localhost/etc/passwd",
    "FILE:///etc/passwd",
    "http://169.254.169.254/latest/meta-data/",
    "https://example.com/logo.png",
    "data:text/plain,hello",
    "ftp://example.com/x",
    "certificate-data:qr.png?x=1",  # near misses of an allowed URL
    "certificate-data:../../etc/passwd",
    "certificate-font:../../../etc/passwd",
    "/etc/passwd",
]


def test_an_allowed_resource_is_served_with_its_media_type():
    response = CertificateFetcher(ALLOWED).fetch("certificate-data:qr.png")
    assert response.read() == b"\x89PNG not really"
    assert response.content_type == "image/png"


@pytest.mark.parametrize("url", REFUSED)
def test_anything_else_is_refused_and_recorded(url):
    fetcher = CertificateFetcher(ALLOWED)
    with pytest.raises(RefusedURLError):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


@pytest.mark.parametrize(
    "html",
    [
        '<img src="file:///etc/passwd">',
        '<img src="http://127.0.0.1:9/tracker.png">',
        '<link rel="stylesheet" href="file:///etc/passwd">',
        '<style>@import url("https://example.com/x.css");</style>',
        '<p style="background: url(file:///etc/passwd)">x</p>',
        '<svg><image href="file:///etc/passwd" width="10" height="10"/></svg>',
    ],
)
def test_weasyprint_with_our_fetcher_stops_at_a_refused_url(html):
    fetcher = CertificateFetcher(ALLOWED)
    try:
        pdf = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
    except FatalURLFetchingError as error:
        assert isinstance(error.__cause__, RefusedURLError)
    else:
        # WeasyPrint swallows errors while drawing SVG; the refusal is still on record
        # (render_pdf checks it) and nothing of the file reached the PDF.
        assert b"root:" not in pdf
    assert fetcher.refused
