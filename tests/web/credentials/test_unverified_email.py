"""A learner who has not confirmed their email address completes (nothing lost) but gets no certificate
until they do; confirming queues the waiting certificate, which is then drawn."""

from sqlalchemy import select

from lms.accounts import recovery, services
from lms.clock import utcnow
from lms.extensions import db
from lms.learning.models import Enrolment
from tests.web.credentials.test_certificates import LESSONS, certificates
from tests.web.credentials.test_issuing_jobs import issue_job
from tests.web.learning.helpers import RIGHT, enrol, submit


def test_certificate_waits_for_a_confirmed_address_then_follows(client, tiny_course, make_user, login):
    learner = make_user(verified=False)
    login(learner)
    enrol(client)
    for url in LESSONS:
        assert client.post_form(url + "complete").status_code == 302
    assert submit(client, RIGHT).status_code in (200, 302)
    db.session.expire_all()
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == learner.id))
    assert enrolment.completed_at is not None  # the completion is kept
    assert certificates() == []
    job = issue_job(enrolment.id)
    assert services.UNVERIFIED_MESSAGE.split(".")[0] in job.last_error
    assert "Confirm your email address" in client.get("/dashboard").get_data(as_text=True)

    services.verify_email(recovery.verify_url(learner, utcnow()).rsplit("/", 1)[1], utcnow())
    db.session.commit()  # the confirmation queues the waiting certificate, which runs after this commit
    db.session.expire_all()
    [certificate] = certificates()
    assert certificate.enrolment_id == enrolment.id
