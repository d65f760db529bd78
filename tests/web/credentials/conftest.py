"""The tiny course is certified by Imperial College London: give it a signatory, as its partner would."""

import pytest

from lms.credentials.models import PartnerSettings
from lms.extensions import db


@pytest.fixture(autouse=True)
def imperial_signatory(app):
    settings = PartnerSettings(organisation_id="imperial-college-london", signatory_name="Professor Ima Signer",
                               signatory_title="Director of Continuing Professional Development")
    db.session.add(settings)
    db.session.commit()
    return settings
