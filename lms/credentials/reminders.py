"""Nightly emails about certificates: the partners' digest of learners awaiting approval, and expiry reminders.

Both only enqueue `mail.send` jobs (keys make each message go once), so a mail server that is down
delays them without losing or repeating any.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lms import jobs, mail
from lms.accounts.models import User
from lms.catalog.models import PARTNER, Course, CourseStaff
from lms.clock import utcnow
from lms.credentials.models import VALID, Certificate
from lms.credentials.services import pending_approval, verify_url
from lms.extensions import db

log = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
#: Days before expiry at which a reminder goes; each at most once per certificate.
REMINDER_DAYS = (90, 30, 7)


def london_date(moment: datetime) -> date:
    """The Europe/London calendar date of a naive UTC time."""
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(LONDON).date()


@jobs.nightly("mail.partner_digest")
def send_partner_digests(now: datetime | None = None, **_payload) -> int:
    """One email per partner person listing their approval courses with learners waiting; none when none wait.

    Returns how many digests were enqueued (key: person and London date, so a rerun the same day adds none).
    """
    now = now or utcnow()
    waiting: dict[int, int] = {}
    courses = {c.id: c for c in db.session.scalars(
        select(Course).where(Course.certificate_issue == "approval").order_by(Course.title))}
    for course in courses.values():
        count = len(pending_approval(course))
        if count:
            waiting[course.id] = count
    if not waiting:
        return 0
    by_person: dict[int, list[Course]] = defaultdict(list)
    people: dict[int, User] = {}
    rows = db.session.execute(select(CourseStaff, User).join(User, User.id == CourseStaff.user_id).where(
        CourseStaff.course_id.in_(waiting), CourseStaff.role == PARTNER))
    for staff, person in rows:
        by_person[person.id].append(courses[staff.course_id])
        people[person.id] = person
    today = london_date(now).isoformat()
    for person_id, person_courses in by_person.items():
        person_courses.sort(key=lambda c: c.title)
        listed = [{"title": c.title, "count": waiting[c.id],
                   "url": mail.public_url(f"/manage/certificates/courses/{c.slug}")} for c in person_courses]
        mail.send(people[person_id].email, "partner_digest", f"partner_digest:{person_id}:{today}",
                  partner_name=people[person_id].full_name, courses=listed,
                  total=sum(c["count"] for c in listed), queue_url=mail.public_url("/manage/certificates"))
    log.info("partner digest: %s partners, %s courses with learners waiting", len(by_person), len(waiting))
    return len(by_person)


def reminder_due(expires_at: datetime, now: datetime) -> tuple[int, int] | None:
    """(threshold, days left) of the reminder due for a certificate expiring at `expires_at`, or None.

    The smallest threshold not yet passed: 25 days left -> the 30-day reminder (a missed 90-day one is
    not sent late as well). London dates, so the count matches the date printed on the certificate.
    """
    days_left = (london_date(expires_at) - london_date(now)).days
    if days_left <= 0:
        return None
    due = [days for days in REMINDER_DAYS if days_left <= days]
    return (min(due), days_left) if due else None


@jobs.nightly("mail.expiry_reminders")
def send_expiry_reminders(now: datetime | None = None, **_payload) -> int:
    """Remind holders of valid certificates 90, 30 and 7 days before expiry; optional emails (profile choice).

    Each reminder has the key (certificate, threshold), so it is sent once however often this runs.
    Returns how many reminders were enqueued or already there.
    """
    now = now or utcnow()
    horizon = now + timedelta(days=max(REMINDER_DAYS) + 1)
    rows = db.session.execute(
        select(Certificate, User, Course).join(User, User.id == Certificate.user_id)
        .join(Course, Course.id == Certificate.course_id)
        .where(Certificate.status == VALID, Certificate.expires_at.is_not(None), Certificate.expires_at > now,
               Certificate.expires_at <= horizon).order_by(Certificate.id))
    count = 0
    for certificate, user, course in rows:
        due = reminder_due(certificate.expires_at, now)
        if due is None:
            continue
        threshold, days_left = due
        mail.send(user.email, "expiry_reminder", f"expiry:{certificate.id}:{threshold}", essential=False,
                  learner_name=user.full_name, course_title=certificate.snapshot.get("course_title", course.title),
                  code=certificate.code, verify_url=verify_url(certificate.code),
                  valid_until=london_date(certificate.expires_at).isoformat(), days_left=days_left,
                  course_url=mail.public_url(f"/courses/{course.slug}/"))
        count += 1
    log.info("expiry reminders: %s due", count)
    return count
