"""The snapshot of facts printed on one certificate."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

#: The programme every certificate is issued under; printed in the header.
PROGRAMME_NAME = "North West London health and care Learning and Development programme"


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateData:
    """Everything printed on a certificate, frozen at the moment of issue.

    The PDF is a pure function of this value: rendering the same snapshot again gives
    byte-identical output, so the app keeps the snapshot (and the PDF's SHA-256), not
    the file. Keyword-only, because a dozen string fields are too easy to swap.
    """

    #: The learner's name exactly as it should print, in any script.
    learner_name: str
    #: Professional registration, e.g. "NMC 12A3456B"; left off the page when None.
    registration: str | None = None
    #: Course title at the time of completion.
    course_title: str
    #: Human label of the learner's track, e.g. "Allied health professionals".
    track: str
    #: CPD hours awarded; printed without a trailing ".0".
    cpd_hours: Decimal | float | int
    #: Learning outcomes, in order; long lists are set smaller to keep to one page.
    outcomes: tuple[str, ...]
    #: Day the learner completed the course.
    completed_on: datetime.date
    #: Day the certificate was issued; also the PDF's creation and modification date.
    issued_on: datetime.date
    #: Short identifier of the course content the learner completed (e.g. a hash prefix).
    content_revision: str
    #: Verification code as made by `certificates.codes.new_code()`.
    code: str
    #: Public URL where anyone can check the certificate; also encoded in the QR code.
    verify_url: str
    #: Partner university that co-signs the certificate.
    partner_name: str
    #: Name of the person who signs for the partner.
    signatory_name: str
    #: Their role, e.g. "Director of Continuing Professional Development".
    signatory_title: str
    #: PNG or JPEG bytes of the signature, already re-encoded by the app; or None.
    signature_image: bytes | None = None
    #: Last day the certificate is valid (printed after the issue date); None when it does not expire.
    valid_until: datetime.date | None = None
    #: Programme named in the header.
    programme_name: str = PROGRAMME_NAME

    def __post_init__(self) -> None:
        # A list passed by mistake would make the snapshot mutable and unhashable.
        if not isinstance(self.outcomes, tuple):
            object.__setattr__(self, "outcomes", tuple(self.outcomes))
