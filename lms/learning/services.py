"""Functions that change a learner's state. They flush, never commit; the view commits once."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value

from courses import Draw, QuestionSpec, choice_order, draw_questions, grade
from lms.accounts.models import User
from lms.catalog.models import PUBLISHED, Course, Lesson, Module, Question, ReflectionPrompt
from lms.catalog.tracks import track_label
from lms.database import insert_or_ignore
from lms.extensions import db
from lms.learning import counts, events, queries, tallies
from lms.learning.completion import take_snapshot
from lms.learning.models import (
    Enrolment,
    LessonProgress,
    QuestionResponse,
    QuizAttempt,
    QuizDraft,
    ReflectionNote,
)
from lms.learning.progress import compute_progress, course_structures

log = logging.getLogger(__name__)


class LearningError(ValueError):
    """Something the learner asked for that cannot be done; the message says why."""


def enrol(user: User, course: Course, track: str, now: datetime) -> Enrolment:
    """Enrol `user` on `course` on `track`, or return the enrolment they already have."""
    if track not in course.tracks:
        raise LearningError(f"Choose one of this course's tracks: {', '.join(course.tracks)}.")
    existing = find_enrolment(user, course)
    if existing:
        return existing
    enrolment = Enrolment(user_id=user.id, course_id=course.id, track=track, enrolled_at=now,
                          last_activity_at=now)
    db.session.add(enrolment)
    try:
        db.session.flush()
    except IntegrityError:  # enrolled twice at once (nothing else written yet): keep the first
        db.session.rollback()
        return find_enrolment(user, course)
    counts.enrolment_added(enrolment)
    log.info("user %s enrolled on %s (%s)", user.id, course.key, track)
    return enrolment


def find_enrolment(user: User, course: Course) -> Enrolment | None:
    return db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id,
                                                     Enrolment.course_id == course.id))


def switch_track(enrolment: Enrolment, track: str, now: datetime) -> None:
    """Move to another track; completed lessons the tracks share stay complete."""
    course = enrolment.course
    if track not in course.tracks:
        raise LearningError(f"Choose one of this course's tracks: {', '.join(course.tracks)}.")
    if track == enrolment.track:
        return
    if enrolment.completed_at is not None:
        # What was completed is what the certificate and record say; a switch must never inflate it.
        raise LearningError("You have completed this course on the "
                            f"{track_label(enrolment.track)} track, and your certificate and learning record "
                            "show that. The track cannot be changed after completion.")
    counts.track_switching(enrolment, track)
    enrolment.track = track
    enrolment.last_activity_at = now
    db.session.flush()
    update_progress(enrolment, now)


VISIT_GRANULARITY = timedelta(minutes=5)


def visit_worth_recording(last_lesson_id: int | None, last_activity_at: datetime | None, lesson_id: int,
                          now: datetime) -> bool:
    """Whether opening `lesson_id` now moves "Continue" or the last activity enough to write it down:
    another lesson, or the same one after `VISIT_GRANULARITY`."""
    recent = last_activity_at is not None and now - last_activity_at < VISIT_GRANULARITY
    return last_lesson_id != lesson_id or not recent


def record_visit(enrolment: Enrolment, lesson: Lesson, now: datetime) -> None:
    """Remember where the learner is, for "Continue" (re-reading the same lesson writes nothing)."""
    if not visit_worth_recording(enrolment.last_lesson_id, enrolment.last_activity_at, lesson.id, now):
        return
    enrolment.last_lesson_id = lesson.id
    enrolment.last_activity_at = now
    db.session.flush()


def questions_for(lesson: Lesson, track: str) -> list[Question]:
    rows = db.session.scalars(select(Question).where(Question.lesson_id == lesson.id,
                                                     Question.retired.is_(False)).order_by(Question.position))
    return [q for q in rows if track in q.tracks]


def mark_lesson_complete(enrolment: Enrolment, lesson: Lesson, now: datetime,
                         notes: dict[ReflectionPrompt, str] | None = None) -> None:
    """Complete a lesson that has no questions for the learner's track, saving the reflections typed on it.

    The notes are saved (flushed) even when LearningError says the lesson cannot be completed this way.
    """
    save_reflections(enrolment.user, notes or {}, now)
    if lesson.kind == "assignment":
        raise LearningError("This assignment is complete when your released mark reaches its pass mark.")
    if questions_for(lesson, enrolment.track):
        raise LearningError("This lesson is completed by passing its knowledge check.")
    update_progress(enrolment, now, *_complete_lesson(enrolment, lesson, now, percent=None, passed=True))


def open_quiz(enrolment: Enrolment, lesson: Lesson, now: datetime) -> QuizDraft:
    """The learner's current attempt at this quiz: its token, the questions drawn for it (in the order shown),
    their choice order, and the answers and hints saved so far.

    The draw and both orders are made once, seeded by the attempt's token, and kept with the draft, so a
    reload or a return on another device shows the same questions in the same order.
    """
    draft = find_draft(enrolment, lesson)
    if draft is not None:
        return draft
    token = secrets.token_urlsafe(24)
    pool = {question.key: QuestionSpec.from_dict(question.spec)
            for question in questions_for(lesson, enrolment.track)}
    drawn = draw_questions(list(pool.values()), Draw.from_dict(lesson.draw), seed=token,
                           shuffle=lesson.shuffle_questions)
    order = {key: list(choice_order(pool[key], token, shuffle=lesson.shuffle)) for key in drawn}
    insert_or_ignore(QuizDraft, {  # opened in two tabs at once: both use the first
        "enrolment_id": enrolment.id, "lesson_id": lesson.id, "token": token, "question_keys": list(drawn),
        "choice_order": order, "answers": {}, "hints_shown": {}, "started_at": now, "updated_at": now,
    })
    return find_draft(enrolment, lesson)


def shown_questions(lesson: Lesson, track: str, taken: QuizDraft | QuizAttempt | None) -> list[Question]:
    """The questions of an attempt (open or submitted), in the order it shows them: those drawn for it, or
    every question of the track when nothing was drawn (no attempt yet, or one from before draws)."""
    questions = questions_for(lesson, track)
    keys = taken.question_keys if taken is not None else None
    if keys is None:
        return questions
    by_key = {question.key: question for question in questions}
    return [by_key[key] for key in keys if key in by_key]


def questions_per_attempt(lesson: Lesson, track: str) -> int:
    """How many questions an attempt at the lesson shows on `track` (what its draw takes from the bank)."""
    pool = [QuestionSpec.from_dict(question.spec) for question in questions_for(lesson, track)]
    return len(draw_questions(pool, Draw.from_dict(lesson.draw), seed="size"))


def find_draft(enrolment: Enrolment, lesson: Lesson) -> QuizDraft | None:
    return db.session.scalar(select(QuizDraft).where(QuizDraft.enrolment_id == enrolment.id,
                                                     QuizDraft.lesson_id == lesson.id))


def save_draft(draft: QuizDraft, answers: dict[str, Any], now: datetime) -> None:
    """Keep unfinished answers on the server, to finish later on any device."""
    draft.answers = answers
    draft.updated_at = now
    db.session.flush()


def reveal_hint(draft: QuizDraft, question: Question, now: datetime) -> int:
    """Show one more hint for `question`; returns how many are now shown. Each hint shown costs the
    lesson's hint penalty when the attempt is submitted."""
    available = len(question.spec.get("hints_html", []))
    shown = min(draft.hints_shown.get(question.key, 0) + 1, available)
    draft.hints_shown = {**draft.hints_shown, question.key: shown}
    draft.updated_at = now
    db.session.flush()
    return shown



@dataclass
class PostedQuiz:
    """A learner's state at a knowledge check when its form comes back (`posted_quiz`)."""

    #: The open attempt (None once submitted, or never opened).
    draft: QuizDraft | None
    #: The attempt already recorded with the posted token (Back in the browser and sent again), if any.
    recorded: QuizAttempt | None
    #: How many attempts at this lesson are recorded.
    attempts_used: int
    #: The questions of the attempt the form belongs to, in the order shown.
    questions: list[queries.GradedQuestion]
    #: The answers to `events.attempt_facts` read with the form ({name: bool}; empty when not read).
    facts: dict[str, bool] = field(default_factory=dict)


def posted_quiz(enrolment: Enrolment, lesson: Lesson, track: str, token: str) -> PostedQuiz:
    """Read what a posted quiz form needs: two statements (three when the token was already used)."""
    mine = and_(QuizAttempt.enrolment_id == enrolment.id, QuizAttempt.lesson_id == lesson.id)
    used, recorded_id, draft = db.session.execute(
        select(select(func.count()).where(mine).scalar_subquery(),
               select(QuizAttempt.id).where(mine, QuizAttempt.token == token).scalar_subquery(), QuizDraft)
        .select_from(Enrolment)
        .outerjoin(QuizDraft, and_(QuizDraft.enrolment_id == Enrolment.id, QuizDraft.lesson_id == lesson.id))
        .where(Enrolment.id == enrolment.id)
    ).one()
    recorded = db.session.get(QuizAttempt, recorded_id) if token and recorded_id is not None else None
    return PostedQuiz(draft, recorded, used, _graded_questions(lesson.course, lesson, track, recorded or draft))


def _graded_questions(course: Course, lesson: Lesson, track: str,
                      taken: QuizDraft | QuizAttempt | None) -> list[queries.GradedQuestion]:
    """`shown_questions` for grading: the same questions in the same order, as cached read-only copies."""
    questions = [q for q in queries.graded_questions(course, lesson.id) if track in q.tracks]
    keys = taken.question_keys if taken is not None else None
    if keys is None:
        return questions
    by_key = {question.key: question for question in questions}
    return [by_key[key] for key in keys if key in by_key]


def posted_quiz_at(user_id: int, slug: str, module_key: str, lesson_key: str,
                   token: str) -> tuple[Course, Module, Lesson, Enrolment, PostedQuiz] | None:
    """An enrolled learner's posted quiz form by its URL: (course, module, lesson, enrolment, `posted_quiz`'s
    state), in one statement (one more when the token was used already; the questions are cached per revision).

    None unless the course is published, the lesson live under that module and the learner enrolled: then
    the caller takes the full way (`views.open_lesson`), whose checks decide (404, 403, a staff preview).
    """
    names = tuple(events.attempt_facts)
    row = db.session.execute(_posted_quiz_at(names), {
        "user_id": user_id, "slug": slug, "module_key": module_key, "lesson_key": lesson_key, "token": token,
    }).first()
    if row is None:
        return None
    course, module, lesson, enrolment, draft, used, recorded_id, *facts = row
    recorded = db.session.get(QuizAttempt, recorded_id) if token and recorded_id is not None else None
    questions = _graded_questions(course, lesson, enrolment.track, recorded or draft)
    return course, module, lesson, enrolment, PostedQuiz(draft, recorded, used, questions,
                                                         dict(zip(names, map(bool, facts), strict=True)))


@cache
def _posted_quiz_at(names: tuple[str, ...]):
    # Every submission runs this: built once (after the mappers are set up), only the values bound.
    mine = and_(QuizAttempt.enrolment_id == Enrolment.id, QuizAttempt.lesson_id == Lesson.id)
    return (
        select(Course, Module, Lesson, Enrolment, QuizDraft,
               select(func.count()).where(mine).scalar_subquery(),
               select(QuizAttempt.id).where(mine, QuizAttempt.token == bindparam("token")).scalar_subquery(),
               *(events.attempt_facts[name](Enrolment) for name in names))
        .join(Lesson, and_(Lesson.course_id == Course.id, Lesson.key == bindparam("lesson_key"),
                           Lesson.retired.is_(False)))
        .join(Module, and_(Module.id == Lesson.module_id, Module.key == bindparam("module_key")))
        .join(Enrolment, and_(Enrolment.course_id == Course.id, Enrolment.user_id == bindparam("user_id")))
        .outerjoin(QuizDraft, and_(QuizDraft.enrolment_id == Enrolment.id, QuizDraft.lesson_id == Lesson.id))
        .where(Course.slug == bindparam("slug"), Course.status == PUBLISHED)
        # The pages' HTML is not needed to grade; a page drawn after an error loads it.
        .options(defer(Course.overview_html), defer(Module.intro_html), defer(Lesson.html), defer(Lesson.assignment)))


def submit_attempt(enrolment: Enrolment, lesson: Lesson, answers: dict[str, Any], attempt_token: str,
                   now: datetime, posted: PostedQuiz | None = None) -> int:
    """Grade and record one attempt; returns its id. Posting the same token again returns the same attempt's.

    `posted` is what `posted_quiz` read for this form (read here when not given). The attempt, its
    responses, the draft's removal, progress and tallies are written with Core statements (no ORM
    objects are flushed); raises LearningError when the draft is gone or the attempts are used up.
    """
    posted = posted or posted_quiz(enrolment, lesson, enrolment.track, attempt_token)
    if posted.recorded is not None:
        return posted.recorded.id
    draft = posted.draft
    if draft is None or not secrets.compare_digest(draft.token, attempt_token):
        # A twin request may have recorded this very attempt (and used up the draft) meanwhile.
        existing = _attempt_id_by_token(enrolment, lesson, attempt_token)
        if existing is not None:
            return existing
        raise LearningError("This knowledge check was restarted somewhere else. Your answers are below: "
                            "check them and submit again.")
    if lesson.attempts is not None and posted.attempts_used >= lesson.attempts:
        raise LearningError(f"You have used all {lesson.attempts} attempts at this knowledge check.")
    questions = posted.questions
    specs = [q.parsed for q in questions]
    hints = {q.key: draft.hints_shown.get(q.key, 0) for q in questions}
    result = grade(specs, answers, pass_mark=lesson.pass_mark, hints_used=hints, hint_penalty=lesson.hint_penalty)
    values = {
        "enrolment_id": enrolment.id, "lesson_id": lesson.id, "token": attempt_token, "track": enrolment.track,
        "choice_order": draft.choice_order, "question_keys": [q.key for q in questions],
        "score": result.score, "max_score": result.max_score, "percent": result.percent,
        "pass_mark": lesson.pass_mark, "passed": bool(result.passed), "started_at": draft.started_at,
        "submitted_at": now,
    }
    attempts = QuizAttempt.__table__
    try:
        attempt_id = db.session.execute(insert(attempts), values).inserted_primary_key[0]
    except IntegrityError:  # the same attempt posted twice at once: the first one stands
        db.session.rollback()  # nothing else was written in this transaction yet
        found = _attempt_id_by_token(enrolment, lesson, attempt_token)
        if found is None:
            raise
        return found
    responses = [{
        "attempt_id": attempt_id, "question_id": question.id, "position": position,
        "answer": answers.get(question.key), "points_awarded": graded.points_awarded,
        "points_possible": graded.points_possible, "correct": graded.correct, "content_hash": question.content_hash,
        "hints_used": hints[question.key], "hint_penalty": graded.hint_penalty,
    } for position, (question, graded) in enumerate(zip(questions, result.results, strict=True), start=1)]
    db.session.execute(insert(QuestionResponse.__table__), responses)  # one executemany
    db.session.execute(_DELETE_DRAFT, {"draft_id": draft.id})
    db.session.expunge(draft)
    update_progress(enrolment, now, *_complete_lesson(enrolment, lesson, now, percent=result.percent,
                                                      passed=bool(result.passed)))
    # An unsaved copy of what was written, for the listeners (never added to the session).
    attempt = QuizAttempt(id=attempt_id, **values)
    events.attempt_recorded.send(enrolment, attempt=attempt, enrolment=enrolment, now=now, facts=posted.facts)
    # Last: every submission of this quiz updates the same tally rows, whose locks are held until commit.
    tallies.record_attempt(result.score, result.max_score, responses, not posted.attempts_used)
    log.info("attempt %s: enrolment %s lesson %s scored %s%%", attempt_id, enrolment.id, lesson.key, result.percent)
    return attempt_id


# Every submission runs these: built once, only the values bound.
_drafts, _progress, _enrolments = QuizDraft.__table__, LessonProgress.__table__, Enrolment.__table__
_DELETE_DRAFT = delete(_drafts).where(_drafts.c.id == bindparam("draft_id"))
# (Bound names other than the columns': update() keeps those for its SET clause.)
_MY_PROGRESS = (_progress.c.enrolment_id == bindparam("enrolment"), _progress.c.lesson_id == bindparam("lesson"))
_BEST = case((or_(_progress.c.best_percent.is_(None), _progress.c.best_percent < bindparam("percent")),
              bindparam("percent")), else_=_progress.c.best_percent)
# {percent given: (the UPDATE that completes a lesson not yet complete, the UPDATE that does not)}
_PROGRESS_UPDATES = {
    scored: (update(_progress).where(*_MY_PROGRESS, _progress.c.completed_at.is_(None))
             .values(completed_at=bindparam("now"), updated_at=bindparam("now"),
                     **({"best_percent": _BEST} if scored else {})),
             update(_progress).where(*_MY_PROGRESS)
             .values(updated_at=bindparam("now"), **({"best_percent": _BEST} if scored else {})))
    for scored in (True, False)}
_COMPLETED_LESSONS = select(_progress.c.lesson_id).where(_progress.c.enrolment_id == bindparam("enrolment"),
                                                          _progress.c.completed_at.is_not(None))
# The last activity noted, and the lessons now completed read in the same round trip (for `update_progress`).
_done = _progress.alias("done")  # named, as enrolments has a completed_at too
_TOUCH_ENROLMENT = (
    update(_enrolments).where(_enrolments.c.id == bindparam("enrolment")).values(last_activity_at=bindparam("now"))
    .returning(queries.completed_list(bindparam("enrolment"), _done)))


def _attempt_id_by_token(enrolment: Enrolment, lesson: Lesson, token: str) -> int | None:
    # This lesson's only: a token from another knowledge check must not stand for an attempt at this one.
    return db.session.scalar(select(QuizAttempt.id).where(
        QuizAttempt.enrolment_id == enrolment.id, QuizAttempt.lesson_id == lesson.id, QuizAttempt.token == token))


def _complete_lesson(enrolment: Enrolment, lesson: Lesson, now: datetime, *, percent: float | None,
                     passed: bool) -> tuple[tuple[Any, Any] | None, set[int]]:
    """Record the lesson's progress: completed when passed, best score kept (Core statements, no ORM flush).

    Returns (the progress-state move when this call completed the lesson, the ids of the enrolment's completed
    lessons now), for `update_progress`.
    """
    inserted = insert_or_ignore(LessonProgress, {  # the first time: one statement
        "enrolment_id": enrolment.id, "lesson_id": lesson.id, "best_percent": percent,
        "completed_at": now if passed else None, "updated_at": now})
    claimed = passed and inserted
    if not inserted:
        completing, keeping = _PROGRESS_UPDATES[percent is not None]
        values = {"enrolment": enrolment.id, "lesson": lesson.id, "now": now, "percent": percent}
        # Only one of two racing requests sets the completion, so it is counted in the summary once.
        claimed = passed and db.session.execute(completing, values).rowcount == 1
        if not claimed:
            db.session.execute(keeping, values)
    moved = tallies.lesson_completed(enrolment.id, enrolment.course_id, lesson.id, now) if claimed else None
    # Its snapshot is taken after the summary's upsert, where a racing completion of this enrolment waits to commit.
    completed = db.session.execute(_TOUCH_ENROLMENT, {"enrolment": enrolment.id, "now": now}).scalar()
    set_committed_value(enrolment, "last_activity_at", now)  # what the UPDATE wrote
    return moved, set(queries.lesson_ids(completed))


def record_marked_result(enrolment: Enrolment, lesson: Lesson, now: datetime, *, percent: float,
                         passed: bool) -> None:
    """A released mark on a marked assignment (lms.assignments): the lesson completes when it passed,
    like a passed quiz, and the course may complete with it."""
    update_progress(enrolment, now, *_complete_lesson(enrolment, lesson, now, percent=percent, passed=passed))


def update_progress(enrolment: Enrolment, now: datetime, moved: tuple[Any, Any] | None = None,
                    completed: set[int] | None = None) -> bool:
    """Check whether the course is now complete; the first time it is, send `course_completed`.

    `moved` and `completed` are `_complete_lesson`'s (the completed lessons are read when not given). `moved`
    is added to the counts last, or before the completion's recount (the order it always had there). Returns
    True when this call completed the course.
    """
    newly_complete = False
    if enrolment.completed_at is None:
        outline = course_structures([enrolment.course])[enrolment.course_id].lessons  # cached per revision
        if completed is None:
            completed = set(db.session.scalars(_COMPLETED_LESSONS, {"enrolment": enrolment.id}))
        newly_complete = compute_progress(outline, enrolment.track, completed).complete
    if moved is not None:
        # Rows shared by every learner moving through the course: locked from here to the commit.
        counts.add(*moved)
    if not newly_complete:
        return False
    # Only one of two racing requests sets it, so completion is announced exactly once.
    claimed = db.session.execute(
        update(Enrolment).where(Enrolment.id == enrolment.id, Enrolment.completed_at.is_(None))
        .values(completed_at=now).execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(enrolment, ["completed_at"])
    if claimed != 1:
        return False
    counts.course_completed(enrolment)
    enrolment.completion_snapshot = take_snapshot(enrolment, now)
    db.session.flush()
    log.info("enrolment %s completed course %s", enrolment.id, enrolment.course_id)
    events.course_completed.send(enrolment, enrolment=enrolment, now=now)
    return True


def save_reflections(user: User, notes: dict[ReflectionPrompt, str], now: datetime) -> None:
    """Keep each of the learner's notes (the page may post several prompts at once)."""
    for prompt, text in notes.items():
        save_reflection(user, prompt, text, now)


def save_reflection(user: User, prompt: ReflectionPrompt, text: str, now: datetime) -> ReflectionNote | None:
    """Keep the learner's private note (an empty text deletes it)."""
    note = db.session.scalar(select(ReflectionNote).where(ReflectionNote.user_id == user.id,
                                                          ReflectionNote.prompt_id == prompt.id))
    text = text.strip()
    if not text:
        if note is not None:
            db.session.delete(note)
            db.session.flush()
        return None
    if note is None:
        note = ReflectionNote(user_id=user.id, prompt_id=prompt.id, text=text, created_at=now, updated_at=now)
        db.session.add(note)
    else:
        note.text, note.updated_at = text, now
    db.session.flush()
    return note
