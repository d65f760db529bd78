"""Certificates for tests, and reading back the PDFs they render to."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable

import pypdf
import pytest

from certificates import CertificateData, render_pdf

#: Names that must print correctly, in four scripts.
NAMES = {
    "latin": "Zoë Łukasiewicz-Nguyễn",
    "irish": "Siobhán Ó Briain",
    "arabic": "فاطمة الزهراء",
    "chinese": "王秀英",
}


def _certificate(**changes: object) -> CertificateData:
    fields: dict[str, object] = {
        "learner_name": NAMES["irish"],
        "registration": "NMC 12A3456B",
        "course_title": "Introduction to clinical innovation",
        "track": "Allied health professionals",
        "cpd_hours": 6,
        "outcomes": (
            "Describe the stages of an innovation project in the NHS",
            "Identify the stakeholders of a change and the evidence each needs",
            "Plan a small test of change using the Model for Improvement",
        ),
        "completed_on": datetime.date(2025, 11, 20),
        "issued_on": datetime.date(2025, 11, 21),
        "content_revision": "a1b2c3d",
        "code": "7KQ2-M9XD-4TRA-3X",
        "verify_url": "https://learn.nwl.example.nhs.uk/verify/7KQ2-M9XD-4TRA-3X",
        "partner_name": "Imperial College London",
        "signatory_name": "Professor Jane Smith",
        "signatory_title": "Director of Continuing Professional Development",
    }
    fields.update(changes)
    return CertificateData(**fields)


@pytest.fixture
def names() -> dict[str, str]:
    return dict(NAMES)


@pytest.fixture
def make_certificate() -> Callable[..., CertificateData]:
    """A factory: a typical certificate, with any field changed by keyword."""
    return _certificate


@pytest.fixture(scope="session")
def rendered_by_script() -> dict[str, tuple[CertificateData, bytes]]:
    """The certificate for each name in `NAMES`, rendered once for the session."""
    rendered = {}
    for script, name in NAMES.items():
        data = _certificate(learner_name=name)
        rendered[script] = (data, render_pdf(data))
    return rendered


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def pdf_reader(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


@pytest.fixture
def read_text() -> Callable[[bytes], str]:
    """Text of a PDF, as a reader or a screen reader gets it (pypdf)."""
    return pdf_text


@pytest.fixture
def read_pdf() -> Callable[[bytes], pypdf.PdfReader]:
    return pdf_reader
