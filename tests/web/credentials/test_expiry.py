"""Kind 5 of issue 10: expiry is part of the certificate: "valid until" on the PDF, /verify, learner pages, register."""

import subprocess

from lms.dates import long_date
from lms.extensions import db
from tests.web.credentials.test_certificates import certificates, complete_course, partner  # noqa: F401


def test_valid_until_is_shown_everywhere(client, tiny_course, partner, make_user, login):  # noqa: F811
    tiny_course.certificate_valid_months = 36
    db.session.commit()
    login(make_user())
    complete_course(client)
    [certificate] = certificates()
    until = long_date(certificate.expires_at)
    assert certificate.expires_at.year == certificate.issued_at.year + 3
    text = subprocess.run(["pdftotext", "-", "-"], input=certificate.pdf, capture_output=True, check=True)
    assert f"valid until {until}" in text.stdout.decode().replace("\n", " ")
    assert f"Valid until {until}" in client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert f"valid until {until}" in client.get("/dashboard").get_data(as_text=True)
    assert f"valid until {until}" in client.get("/record").get_data(as_text=True)
    client.post_form("/logout")
    login(partner)
    register = client.get("/manage/certificates/courses/tiny-course/register.csv").get_data(as_text=True)
    assert "Valid until" in register.splitlines()[0] and certificate.expires_at.date().isoformat() in register
    partner_page = client.get("/manage/certificates/courses/tiny-course").get_data(as_text=True)
    assert "valid until" in partner_page and str(certificate.expires_at.year) in partner_page


def test_a_certificate_that_does_not_expire_says_nothing_of_it(client, tiny_course, make_user, login):
    login(make_user())
    complete_course(client)
    [certificate] = certificates()
    assert certificate.expires_at is None
    text = subprocess.run(["pdftotext", "-", "-"], input=certificate.pdf, capture_output=True, check=True).stdout
    assert b"valid until" not in text
    assert "Valid until" not in client.get(f"/verify/{certificate.code}").get_data(as_text=True)
