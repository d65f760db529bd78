"""Kind 2 of issue 10: a certificate prints what was completed (a snapshot taken at completion)."""

import re
from datetime import datetime

from sqlalchemy import select

from lms.extensions import db
from lms.learning.models import Enrolment
from tests.web.credentials.test_certificates import certificates, complete_course, partner  # noqa: F401


def enrolment_of(user) -> Enrolment:
    db.session.expire_all()
    return db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id))


def test_a_track_switch_after_completion_cannot_inflate_the_certificate(client, tiny_course, partner,  # noqa: F811
                                                                      make_user, login):
    tiny_course.certificate_issue = "approval"
    db.session.commit()
    learner = make_user(full_name="Jun Ior")
    login(learner)
    complete_course(client)  # on the junior track: 1 CPD hour
    response = client.post_form("/courses/tiny-course/track", {"track": "postgraduate"}, follow_redirects=True)
    assert "cannot be changed after completion" in response.get_data(as_text=True)
    assert enrolment_of(learner).track == "junior"
    client.post_form("/logout")

    login(partner)
    client.post_form("/manage/certificates/courses/tiny-course/issue", {"all": "1"})
    [certificate] = certificates()
    assert certificate.snapshot["track"] == "Junior staff" and certificate.snapshot["cpd_hours"] == 1
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "Junior staff" in page and "Postgraduate" not in page


def test_reissue_and_record_keep_the_completion_even_if_the_enrolment_or_course_changes(
        client, tiny_course, partner, make_user, login):  # noqa: F811
    learner = make_user()
    login(learner)
    complete_course(client)
    enrolment = enrolment_of(learner)
    assert enrolment.completion_snapshot["track"] == "junior" and enrolment.completion_snapshot["cpd_hours"] == 1
    # However the enrolment's track or the course's hours change later (an old switch, a republish) ...
    enrolment.track = "postgraduate"
    tiny_course.cpd_hours = {"postgraduate": 20, "ahp": 10, "junior": 8}
    db.session.commit()
    tiny_course.outcomes = [{"id": "lo-one", "text": "Something added later."}]
    db.session.commit()
    record = client.get("/record").get_data(as_text=True)
    assert "Junior staff" in record and ">20<" not in record and ">8<" not in record
    assert "Explain one thing." in record and "Something added later." not in record
    assert re.search(r"Content version of \d{1,2} \w+ \d{4}", record)
    client.post_form("/logout")
    login(partner)
    old = certificates()[0]
    client.post_form(f"/manage/certificates/{old.code}/reissue")
    new = certificates()[-1]
    assert new.snapshot["track"] == "Junior staff" and new.snapshot["cpd_hours"] == 1


def test_the_content_version_is_a_readable_date_not_a_hash(client, tiny_course, make_user, login):
    tiny_course.updated_at = datetime(2026, 3, 12, 23, 30)  # 23:30 UTC on 12 March is still 12 March in London
    db.session.commit()
    login(make_user())
    complete_course(client)
    [certificate] = certificates()
    assert certificate.snapshot["content_revision"] == "version of 12 March 2026"
    assert not re.search(r"[0-9a-f]{12}", certificate.snapshot["content_revision"])
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "version of 12 March 2026" in page
