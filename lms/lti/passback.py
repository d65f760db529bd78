"""Assignment and Grade Services: the final assessment's best score and completion go back to the VLE.

After a learner's attempt (or completion) commits, one job per link is enqueued; the job reads the
learner's standing as it is when it runs and posts it as the line item's score, so running it twice,
or late, sends the same true figure (AGS keeps the newest timestamp). A platform that is down is
retried by lms.jobs with back-off.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade
from pylti1p3.service_connector import ServiceConnector
from sqlalchemy import select

from lms import jobs
from lms.catalog.models import Lesson, Module
from lms.clock import utcnow
from lms.extensions import db
from lms.learning import events
from lms.learning.models import Enrolment, LessonProgress
from lms.lti.models import LtiIdentity, LtiLink, LtiLinkMember
from lms.lti.tool import registration_for

SCORE_TASK = "lti.send_score"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def final_assessment(course_id: int, track: str) -> Lesson | None:
    """The track's last live lesson with limited attempts (the course's final), in course order."""
    rows = db.session.scalars(
        select(Lesson).join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id == course_id, Lesson.retired.is_(False), Lesson.attempts.is_not(None))
        .order_by(Module.position.desc(), Lesson.position.desc())).all()
    return next((lesson for lesson in rows if not lesson.tracks or track in lesson.tracks), None)


def standing(enrolment: Enrolment) -> tuple[float | None, bool]:
    """(best percentage on the final assessment or None before any attempt, whether the course is complete)."""
    final = final_assessment(enrolment.course_id, enrolment.track)
    best = None
    if final is not None:
        best = db.session.scalar(select(LessonProgress.best_percent).where(
            LessonProgress.enrolment_id == enrolment.id, LessonProgress.lesson_id == final.id))
    return best, enrolment.completed_at is not None


def _scored_links(user_id, course_id):
    """The links with a grade book through which learner `user_id` reached course `course_id` (SQL: values or
    columns)."""
    return (select(LtiLink).join(LtiLinkMember, LtiLinkMember.link_id == LtiLink.id)
            .where(LtiLinkMember.user_id == user_id, LtiLink.course_id == course_id, LtiLink.lineitem_url.is_not(None)))


def links_to_score(enrolment: Enrolment) -> list[LtiLink]:
    """The links with a grade book through which this learner reached this course."""
    return list(db.session.scalars(_scored_links(enrolment.user_id, enrolment.course_id).order_by(LtiLink.id)))


GRADE_BOOK = "lti_grade_book"
# Asked with the posted quiz form: a learner who came from no VLE grade book costs no query of its own.
events.attempt_facts[GRADE_BOOK] = lambda enrolment: _scored_links(enrolment.user_id, enrolment.course_id).exists()


def enqueue_scores(enrolment: Enrolment, reason: str, now: datetime) -> int:
    """One score job per link for this change (`reason` makes the key unique per change). Returns how many."""
    links = links_to_score(enrolment)
    for link in links:
        jobs.enqueue(SCORE_TASK, key=f"lti-score:{link.id}:{enrolment.user_id}:{reason}", now=now,
                     link_id=link.id, enrolment_id=enrolment.id)
    return len(links)


@events.attempt_recorded.connect
def on_attempt_recorded(_sender, attempt, enrolment: Enrolment, now: datetime, facts: dict | None = None,
                        **_kwargs) -> None:
    if (facts or {}).get(GRADE_BOOK, True):  # not asked (the full path), or a grade book to tell
        enqueue_scores(enrolment, f"attempt-{attempt.id}", now)


@events.course_completed.connect
def on_course_completed(_sender, enrolment: Enrolment, now: datetime, **_kwargs) -> None:
    enqueue_scores(enrolment, "completed", now)


def score_for(enrolment: Enrolment, user_subject: str, at: datetime) -> Grade:
    best, complete = standing(enrolment)
    grade = (Grade().set_user_id(user_subject).set_timestamp(at.replace(tzinfo=UTC).isoformat(timespec="milliseconds"))
             .set_activity_progress("Completed" if complete else ("Submitted" if best is not None else "InProgress"))
             .set_grading_progress("FullyGraded" if best is not None else "NotReady"))
    if best is not None:
        grade.set_score_given(round(best, 2)).set_score_maximum(100)
    return grade


@jobs.task(SCORE_TASK)
def send_score(link_id: int, enrolment_id: int) -> None:
    """Post the learner's current standing to the link's line item (raises on failure, so it is retried)."""
    link = db.session.get(LtiLink, link_id)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if link is None or enrolment is None or not link.lineitem_url:
        return  # the link or the learner was deleted meanwhile
    subject = db.session.scalar(select(LtiIdentity.subject).where(LtiIdentity.platform_id == link.platform_id,
                                                                  LtiIdentity.user_id == enrolment.user_id))
    if subject is None:
        return
    service = AssignmentsGradesService(ServiceConnector(registration_for(link.platform)),
                                       {"scope": link.ags_scopes or [SCORE_SCOPE], "lineitem": link.lineitem_url})
    service.put_grade(score_for(enrolment, subject, utcnow()))
