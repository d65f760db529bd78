"""The nightly emails: partners' digest of learners awaiting approval, and certificate expiry reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from lms import jobs
from lms.catalog.models import CourseStaff
from lms.credentials.models import REVOKED, Certificate
from lms.credentials.reminders import reminder_due, send_expiry_reminders, send_partner_digests
from lms.extensions import db
from lms.jobs.models import Job
from lms.learning.models import Enrolment

NOW = datetime(2026, 6, 1, 9, 0)


def enrol(user, course, completed_at=None) -> Enrolment:
    enrolment = Enrolment(user_id=user.id, course_id=course.id, track="junior", enrolled_at=NOW - timedelta(days=30),
                          last_activity_at=NOW, completed_at=completed_at)
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def certificate(enrolment, expires_at, status="valid") -> Certificate:
    row = Certificate(code=f"CODE-{enrolment.id}-{status}", user_id=enrolment.user_id, course_id=enrolment.course_id,
                      enrolment_id=enrolment.id, status=status, snapshot={"course_title": "Tiny course"},
                      pdf_sha256="0" * 64, pdf=b"%PDF", issued_at=NOW - timedelta(days=300),
                      completed_at=NOW - timedelta(days=300), expires_at=expires_at)
    db.session.add(row)
    db.session.flush()
    return row


def add_partner(course, user) -> None:
    db.session.add(CourseStaff(course_id=course.id, user_id=user.id, role="partner"))
    db.session.flush()


def test_each_partner_gets_one_digest_listing_their_courses_with_counts(tiny_course, make_user, smtp_server):
    tiny_course.certificate_issue = "approval"
    partner, other_partner, educator = make_user(role="partner"), make_user(role="partner"), make_user(role="educator")
    add_partner(tiny_course, partner)
    add_partner(tiny_course, other_partner)
    db.session.add(CourseStaff(course_id=tiny_course.id, user_id=educator.id, role="educator"))
    for _ in range(3):
        enrol(make_user(), tiny_course, completed_at=NOW - timedelta(days=1))
    enrol(make_user(), tiny_course)  # still learning: not waiting
    db.session.commit()

    assert send_partner_digests(now=NOW) == 2
    db.session.commit()
    assert sorted(m["To"] for m in smtp_server.messages) == sorted([partner.email, other_partner.email])
    message = smtp_server.to(partner.email)[0]
    assert message["Subject"] == "3 learners awaiting your approval"
    text = message.get_body(("plain",)).get_content()
    assert "- Tiny course: 3 waiting" in text
    assert "http://127.0.0.1:5000/manage/certificates/courses/tiny-course" in text
    assert 'href="http://127.0.0.1:5000/manage/certificates"' in message.get_body(("html",)).get_content()

    send_partner_digests(now=NOW + timedelta(hours=1))  # run again the same day: nothing more
    db.session.commit()
    assert len(smtp_server.messages) == 2


def test_no_digest_when_nobody_waits(tiny_course, make_user, smtp_server):
    tiny_course.certificate_issue = "approval"
    add_partner(tiny_course, make_user(role="partner"))
    enrolment = enrol(make_user(), tiny_course, completed_at=NOW - timedelta(days=1))
    certificate(enrolment, None)  # already issued
    db.session.commit()
    assert send_partner_digests(now=NOW) == 0
    db.session.commit()
    assert smtp_server.messages == []


def test_automatic_courses_have_no_approval_queue_to_report(tiny_course, make_user, smtp_server):
    add_partner(tiny_course, make_user(role="partner"))
    enrol(make_user(), tiny_course, completed_at=NOW - timedelta(days=1))
    db.session.commit()
    assert send_partner_digests(now=NOW) == 0


def test_reminder_thresholds_use_london_dates_and_the_nearest_one():
    assert reminder_due(NOW + timedelta(days=91), NOW) is None
    assert reminder_due(NOW + timedelta(days=90), NOW) == (90, 90)
    assert reminder_due(NOW + timedelta(days=45), NOW) == (90, 45)
    assert reminder_due(NOW + timedelta(days=25), NOW) == (30, 25)
    assert reminder_due(NOW + timedelta(days=7), NOW) == (7, 7)
    assert reminder_due(NOW + timedelta(days=1), NOW) == (7, 1)
    # 23:30 UTC on 30 June is 1 July in London (BST): 7 London days after 24 June, not 6.
    assert reminder_due(datetime(2026, 6, 30, 23, 30), datetime(2026, 6, 24, 9, 0)) == (7, 7)


def test_expiry_reminders_go_once_per_threshold(tiny_course, make_user, smtp_server):
    learner = make_user(full_name="Una Example")
    expires = NOW + timedelta(days=89)
    certificate(enrol(learner, tiny_course, completed_at=NOW - timedelta(days=300)), expires)
    db.session.commit()

    for day in (0, 1, 2):  # three nights inside the 90-day window: one reminder
        send_expiry_reminders(now=NOW + timedelta(days=day))
        db.session.commit()
    assert len(smtp_server.messages) == 1
    first = smtp_server.messages[0]
    assert first["Subject"] == "Your certificate for Tiny course expires on 29 August 2026"
    text = first.get_body(("plain",)).get_content()
    assert "Dear Una Example" in text and "valid until 29 August 2026" in text
    assert "http://127.0.0.1:5000/courses/tiny-course/" in text and "/profile" in text

    for day in (60, 61, 83, 84, 88):  # the 30-day and the 7-day reminders, once each
        send_expiry_reminders(now=NOW + timedelta(days=day))
        db.session.commit()
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert subjects[1:] == ["Your certificate for Tiny course expires on 29 August 2026",
                            "Your certificate for Tiny course expires in 6 days"]
    keys = sorted(db.session.scalars(select(Job.key).where(Job.task == "mail.send")))
    assert keys == sorted(f"mail:expiry:{c}:{t}" for c in db.session.scalars(select(Certificate.id))
                          for t in (90, 30, 7))


def test_no_reminders_for_revoked_expired_or_unlimited_certificates(tiny_course, make_user, smtp_server):
    certificate(enrol(make_user(), tiny_course), NOW + timedelta(days=10), status=REVOKED)
    certificate(enrol(make_user(), tiny_course), NOW - timedelta(days=1))
    certificate(enrol(make_user(), tiny_course), None)
    db.session.commit()
    assert send_expiry_reminders(now=NOW) == 0


def test_a_learner_who_turned_reminders_off_gets_none(tiny_course, make_user, smtp_server):
    learner = make_user()
    learner.email_reminders = False
    certificate(enrol(learner, tiny_course), NOW + timedelta(days=20))
    db.session.commit()
    send_expiry_reminders(now=NOW)
    db.session.commit()
    assert smtp_server.messages == []
    assert db.session.scalar(select(Job.status).where(Job.task == "mail.send")) == "done"


def test_both_tasks_are_registered_as_nightly():
    assert {"mail.partner_digest", "mail.expiry_reminders"} <= set(jobs.nightly_tasks())
