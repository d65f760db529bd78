"""Functions that change assignments: drafts, files, submission, marking, moderation and release.

They flush, never commit; the view commits once. Every marking action is in the audit trail.

A submission moves DRAFT -> SUBMITTED -> [SECOND_MARKING -> AGREEING] -> [MODERATION] -> READY
-> RELEASED; the bracketed stages happen when the course's `marking` asks for them. Second
marking is blind: the second marker does not see the first mark or its feedback until both are
in; then either marker (or an admin) records the agreed mark, seeing both.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from sqlalchemy import select

from courses import AssignmentSpec
from lms import audit
from lms.accounts.models import User
from lms.assignments.models import (
    AGREED,
    AGREEING,
    DRAFT,
    FIRST,
    MODERATED,
    MODERATION,
    READY,
    RELEASED,
    SECOND,
    SECOND_MARKING,
    SUBMITTED,
    Mark,
    Submission,
    SubmissionFile,
)
from lms.catalog.models import Course, Lesson
from lms.database import insert_or_ignore
from lms.extensions import db
from lms.learning.models import Enrolment
from lms.learning.services import record_marked_result
from lms.mail import services as mail

log = logging.getLogger(__name__)

#: The largest file a learner may attach, in bytes (10 MB).
MAX_FILE_BYTES = 10 * 1024 * 1024
#: The longest text kept, in characters: far above any word limit, but stops a pasted book.
TEXT_MAX = 200_000
FEEDBACK_MAX = 20_000
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class AssignmentError(ValueError):
    """Something that cannot be done to a submission; the message says why, for the person asking."""


def spec_of(lesson: Lesson) -> AssignmentSpec:
    """The assignment's word limit, files, resubmission and rubric as published."""
    return AssignmentSpec.from_dict(lesson.assignment or {})


def submitted_spec(submission: Submission) -> AssignmentSpec:
    """The rubric the submission is marked against: as it was when submitted."""
    return AssignmentSpec.from_dict(submission.spec) if submission.spec else spec_of(submission.lesson)


def count_words(text: str) -> int:
    """Words as a word processor counts them: runs of characters between spaces."""
    return len(text.split())


# --- the learner --------------------------------------------------------------------------------


def find_current(enrolment: Enrolment, lesson: Lesson) -> Submission | None:
    """The learner's latest attempt at this assignment, or None before they save anything."""
    return db.session.scalar(select(Submission).where(
        Submission.enrolment_id == enrolment.id, Submission.lesson_id == lesson.id)
        .order_by(Submission.attempt.desc()).limit(1))


def may_resubmit(submission: Submission | None) -> bool:
    """True when the learner may start another attempt: a released mark below the pass mark, and
    an assignment that allows resubmission."""
    return (submission is not None and submission.status == RELEASED and not submission.passed
            and spec_of(submission.lesson).resubmit)


def save_draft(enrolment: Enrolment, lesson: Lesson, text: str, now: datetime) -> Submission:
    """Keep the learner's text (creating the first attempt if needed); word count taken here.

    Raises AssignmentError when the current attempt is already submitted."""
    if len(text) > TEXT_MAX:
        raise AssignmentError(f"Your text is longer than {TEXT_MAX:,} characters; shorten it to save it.")
    submission = find_current(enrolment, lesson)
    if submission is None:
        insert_or_ignore(Submission, {  # saved from two tabs at once: both write the first attempt
            "enrolment_id": enrolment.id, "lesson_id": lesson.id, "attempt": 1, "status": DRAFT,
            "text": "", "word_count": 0, "created_at": now, "updated_at": now})
        submission = find_current(enrolment, lesson)
    if submission.status != DRAFT:
        raise AssignmentError("This attempt has been submitted, so it can no longer be changed.")
    submission.text = text.replace("\r\n", "\n")
    submission.word_count = count_words(submission.text)
    submission.updated_at = now
    enrolment.last_activity_at = now
    db.session.flush()
    return submission


def start_resubmission(enrolment: Enrolment, lesson: Lesson, now: datetime) -> Submission:
    """A new draft attempt after a released fail, starting from the previous attempt's text."""
    previous = find_current(enrolment, lesson)
    if previous is not None and previous.status == DRAFT:
        return previous  # pressed twice: the draft already exists
    if not may_resubmit(previous):
        raise AssignmentError("This assignment cannot be submitted again.")
    insert_or_ignore(Submission, {
        "enrolment_id": enrolment.id, "lesson_id": lesson.id, "attempt": previous.attempt + 1,
        "status": DRAFT, "text": previous.text, "word_count": previous.word_count,
        "created_at": now, "updated_at": now})
    return find_current(enrolment, lesson)


def sniff_media_type(data: bytes) -> str | None:
    """PDF or Word (.docx) from the file's own bytes, or None for anything else.

    A .docx is a ZIP holding word/document.xml; an old .doc or a renamed file is refused."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "word/document.xml" in names and "[Content_Types].xml" in names:
            return DOCX
    return None


def _clean_filename(name: str, media_type: str) -> str:
    stem = unicodedata.normalize("NFKC", name.replace("\\", "/").rsplit("/", 1)[-1])
    stem = re.sub(r"[^\w .()-]+", "_", stem).strip(" ._")[:200].rsplit(".", 1)[0] or "submission"
    return f"{stem}.{'pdf' if media_type == PDF else 'docx'}"


def attach_file(submission: Submission, filename: str, data: bytes, now: datetime) -> SubmissionFile:
    """Keep one PDF or Word file with a draft, replacing any file attached before.

    Raises AssignmentError when the assignment takes no files, the draft is submitted, the file is
    over MAX_FILE_BYTES, empty, or not a PDF or .docx by its bytes."""
    if not spec_of(submission.lesson).files:
        raise AssignmentError("This assignment does not take files.")
    if submission.status != DRAFT:
        raise AssignmentError("This attempt has been submitted, so it can no longer be changed.")
    if not data:
        raise AssignmentError("The selected file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise AssignmentError("The selected file must be smaller than 10 MB.")
    media_type = sniff_media_type(data)
    if media_type is None:
        raise AssignmentError("The selected file must be a PDF or a Word document (.docx).")
    stored = find_file(submission)
    if stored is None:
        stored = SubmissionFile(submission_id=submission.id)
        db.session.add(stored)
    stored.filename = _clean_filename(filename, media_type)
    stored.media_type, stored.size = media_type, len(data)
    stored.sha256, stored.data, stored.uploaded_at = hashlib.sha256(data).hexdigest(), data, now
    submission.updated_at = now
    db.session.flush()
    return stored


def remove_file(submission: Submission, now: datetime) -> None:
    if submission.status != DRAFT:
        raise AssignmentError("This attempt has been submitted, so it can no longer be changed.")
    stored = find_file(submission)
    if stored is not None:
        db.session.delete(stored)
        submission.updated_at = now
        db.session.flush()


def find_file(submission: Submission) -> SubmissionFile | None:
    return db.session.scalar(select(SubmissionFile).where(SubmissionFile.submission_id == submission.id))


def submit(submission: Submission, now: datetime) -> None:
    """Send the draft for marking. The rubric and pass mark are kept with it as they are now.

    Raises AssignmentError when nothing has been written or attached, or it is already submitted."""
    if submission.status != DRAFT:
        return  # submitted twice (Back, or two tabs): the first stands
    if not submission.text.strip() and find_file(submission) is None:
        raise AssignmentError("Write your answer (or attach a file) before you submit it.")
    lesson = submission.lesson
    submission.status, submission.submitted_at, submission.updated_at = SUBMITTED, now, now
    submission.spec, submission.pass_mark = spec_of(lesson).to_dict(), lesson.pass_mark
    db.session.flush()
    log.info("submission %s (enrolment %s, %s attempt %s) submitted", submission.id,
             submission.enrolment_id, lesson.key, submission.attempt)


# --- marking ------------------------------------------------------------------------------------

#: Which mark each state collects.
STAGE_OF_STATE = {SUBMITTED: FIRST, SECOND_MARKING: SECOND, AGREEING: AGREED, MODERATION: MODERATED}


def marking_settings(course: Course) -> tuple[bool, bool]:
    """(second marking, moderation) for the course."""
    marking = course.marking or {}
    return bool(marking.get("second_marking")), bool(marking.get("moderation"))


def may_mark_stage(submission: Submission, user: User, role: str | None) -> str | None:
    """Why `user` (with `role` on the course: admin, educator, partner) may not mark the submission
    now, or None when they may. The one rule for who marks what."""
    stage = STAGE_OF_STATE.get(submission.status)
    if stage is None:
        return "This submission is not waiting for a mark."
    if stage == MODERATED:
        return None if role in ("partner", "admin") else "Only the course's partner moderates marks."
    if role not in ("educator", "admin"):
        return "Only the course's educators mark assignments."
    first = submission.mark_at(FIRST)
    if stage == SECOND and first is not None and first.marker_id == user.id:
        return "You gave the first mark; a different educator gives the second."
    if stage == AGREED and role != "admin":
        second = submission.mark_at(SECOND)
        markers = {m.marker_id for m in (first, second) if m is not None}
        if user.id not in markers:
            return "The agreed mark is recorded by one of the two markers."
    return None


@dataclass(frozen=True)
class MarkInput:
    """What a marker chose: a level mark per rubric criterion (by index), or an overall mark when
    the assignment has no rubric, and feedback for the learner."""

    levels: dict[int, float]
    mark: float | None
    feedback: str


def overall_mark(spec: AssignmentSpec, given: MarkInput) -> float:
    """The overall mark from the rubric (or the given mark without one). Raises AssignmentError."""
    if spec.rubric:
        try:
            return spec.overall_mark(given.levels)
        except ValueError as exc:
            raise AssignmentError(f"Choose a level for every criterion ({exc}).") from None
    if given.mark is None or not 0 <= given.mark <= 100:
        raise AssignmentError("Enter a mark from 0 to 100.")
    return round(float(given.mark), 1)


def save_mark(submission: Submission, marker: User, role: str | None, given: MarkInput, *, finish: bool,
              now: datetime) -> Mark:
    """Record (or change) the mark for the submission's current stage; `finish` hands it on to the
    next stage. Audited as `assignment.marked`. Raises AssignmentError (the marker's message)."""
    refusal = may_mark_stage(submission, marker, role)
    if refusal:
        raise AssignmentError(refusal)
    if len(given.feedback) > FEEDBACK_MAX:
        raise AssignmentError(f"Keep the feedback under {FEEDBACK_MAX:,} characters.")
    stage = STAGE_OF_STATE[submission.status]
    value = overall_mark(submitted_spec(submission), given)
    row = submission.mark_at(stage)
    before = None if row is None else {"mark": row.mark, "levels": row.levels, "marker_id": row.marker_id}
    if row is None:
        row = Mark(stage=stage, created_at=now)
        submission.marks.append(row)
    row.marker_id, row.mark, row.feedback = marker.id, value, given.feedback.strip()
    row.levels = {str(index): mark for index, mark in sorted(given.levels.items())}
    row.final, row.updated_at = finish, now
    if finish:
        submission.status = _next_state(submission, stage)
    submission.updated_at = now
    audit.record("assignment.marked", "assignment_submission", submission.id, actor_id=marker.id, now=now,
                 before=before, after={"stage": stage, "mark": value, "levels": row.levels, "finished": finish,
                                       "status": submission.status})
    db.session.flush()
    return row


def _next_state(submission: Submission, stage: str) -> str:
    second_marking, moderation = marking_settings(submission.lesson.course)
    if stage == FIRST and second_marking:
        return SECOND_MARKING
    if stage == SECOND:
        return AGREEING
    if stage in (FIRST, AGREED) and moderation:
        return MODERATION
    return READY


def deciding_mark(submission: Submission) -> Mark | None:
    """The mark that is released: moderated, else agreed, else the first (when it is the only one)."""
    for stage in (MODERATED, AGREED, FIRST):
        row = submission.mark_at(stage)
        if row is not None and row.final:
            return row
    return None


def release(submission: Submission, actor: User, now: datetime) -> None:
    """Show the decided mark and feedback to the learner, complete the lesson when it passed, and
    email the learner (a job). Audited as `assignment.released`. Raises AssignmentError."""
    if submission.status == RELEASED:
        return  # released twice: nothing more to do
    if submission.status != READY:
        raise AssignmentError("This submission's mark is not ready to release yet.")
    decided = deciding_mark(submission)
    submission.status, submission.released_at, submission.updated_at = RELEASED, now, now
    submission.mark = decided.mark
    pass_mark = submission.pass_mark if submission.pass_mark is not None else submission.lesson.pass_mark
    submission.passed = decided.mark >= pass_mark
    enrolment, lesson = submission.enrolment, submission.lesson
    audit.record("assignment.released", "assignment_submission", submission.id, actor_id=actor.id, now=now,
                 after={"mark": decided.mark, "passed": submission.passed, "stage": decided.stage})
    db.session.flush()
    record_marked_result(enrolment, lesson, now, percent=decided.mark, passed=submission.passed)
    learner = enrolment.user
    mail.send(learner.email, "assignment_released", key=f"assignment_released:{submission.id}",
              learner_name=learner.full_name, assignment_title=lesson.title, course_title=lesson.course.title,
              lesson_path=f"/courses/{lesson.course.slug}/{lesson.module.key}/{lesson.key}/")
    log.info("submission %s released: %s (passed %s)", submission.id, decided.mark, submission.passed)
