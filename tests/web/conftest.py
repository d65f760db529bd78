"""Fixtures for web tests that need published content."""

import pytest

from lms.catalog.queries import find_course
from tests.web.publishing.course_files import write_course


@pytest.fixture
def publish(runner, tmp_path):
    """publish(**options) writes the tiny course, builds it and returns its Course row."""

    def do_publish(**options):
        folder = tmp_path / "content"
        write_course(folder, **options)
        result = runner.invoke(args=["content", "build", str(folder)])
        assert result.exit_code == 0, result.output
        return find_course("tiny-course")

    return do_publish


@pytest.fixture
def tiny_course(publish):
    return publish()


@pytest.fixture
def imperial_signatory(app):
    """Imperial College London (the tiny course's partner) has set its signatory, so certificates can be drawn."""
    from lms.credentials.models import PartnerSettings
    from lms.extensions import db

    settings = PartnerSettings(organisation_id="imperial-college-london", signatory_name="Professor Ima Signer",
                               signatory_title="Director of Continuing Professional Development")
    db.session.add(settings)
    db.session.commit()
    return settings
