"""A small published course built straight from the models, and learners who work through it.

Learners act through `lms.learning.services`, so attempts are graded and completion decided
exactly as in the product. Shared by the web tests and the browser test.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lms.catalog.models import Course, CourseStaff, Lesson, Module, Question
from lms.extensions import db
from lms.learning import services
from lms.learning.models import Enrolment

ALL = ["postgraduate", "ahp", "junior"]
START = datetime(2025, 1, 6, 9, 0)  # a Monday


def _hash(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def spec(key: str, kind: str, correct: list[str], tracks: list[str], n_choices: int = 4) -> dict[str, Any]:
    """A question spec as `courses.QuestionSpec.to_dict()` makes it."""
    keys = ["true", "false"] if kind == "truefalse" else [chr(ord("a") + i) for i in range(n_choices)]
    return {
        "id": key, "type": kind, "points": 1.0, "tracks": tracks, "stem_html": f"<p>Question {key}?</p>",
        "choices": [{"key": k, "html": f"<p>Option {k} of {key}</p>", "correct": k in correct, "feedback_html": ""}
                    for k in keys],
        "accepted": [], "numeric": [], "hints_html": [], "explanation_html": "", "content_hash": _hash(key),
    }


@dataclass
class CourseFixture:
    course: Course
    modules: dict[str, Module] = field(default_factory=dict)
    lessons: dict[str, Lesson] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)


# (module key, title, [(lesson key, title, tracks, required, [(question key, type, correct answers)])])
OUTLINE = [
    ("finding", "Finding ideas", [
        ("what", "What innovation is", ALL, True, []),
        ("problems", "Spotting problems", ALL, True, []),
        ("check-1", "Knowledge check 1", ALL, True, [("q1", "single", ["b"]), ("q2", "multiple", ["a", "c"]),
                                                     ("q3", "truefalse", ["true"])]),
    ]),
    ("testing", "Testing ideas", [
        ("pdsa", "PDSA cycles", ALL, True, []),
        ("appraisal", "Critical appraisal", ["postgraduate"], True, []),
        ("reading", "Further reading", ALL, False, []),
        ("check-2", "Knowledge check 2", ALL, True, [("q4", "single", ["a"]), ("q5", "single", ["d"])]),
    ]),
]


def make_course(slug: str = "innovation", title: str = "Innovation in practice", cpd_hours: dict | None = None,
                tracks: list[str] | None = None, certificate_issue: str = "approval") -> CourseFixture:
    """A course of two modules (see OUTLINE). Certificates wait for approval by default, so completing
    the course in a test does not render a PDF; pass "automatic" to issue them."""
    tracks = tracks or ALL
    course = Course(key=slug, slug=slug, title=title, summary="", tracks=tracks,
                    cpd_hours=cpd_hours or {"postgraduate": 10, "ahp": 6, "junior": 4.5}, outcomes=[],
                    pass_mark=70, overview_html={t: "" for t in tracks}, retired_keys=[], revision=_hash(slug),
                    content_hash=_hash(slug), published_at=START, updated_at=START,
                    certificate_issue=certificate_issue)
    db.session.add(course)
    db.session.flush()
    made = CourseFixture(course)
    for m_pos, (m_key, m_title, lessons) in enumerate(OUTLINE, start=1):
        module = Module(course_id=course.id, key=m_key, title=m_title, tracks=tracks, position=m_pos,
                        intro_html={}, content_hash=_hash(slug, m_key))
        db.session.add(module)
        db.session.flush()
        made.modules[m_key] = module
        for l_pos, (l_key, l_title, l_tracks, required, questions) in enumerate(lessons, start=1):
            lesson = Lesson(course_id=course.id, module_id=module.id, key=l_key, title=l_title, tracks=l_tracks,
                            position=l_pos, estimated_minutes={}, outcomes=[], pass_mark=60, attempts=None,
                            required=required, shuffle=False, html={t: "<p>Text</p>" for t in l_tracks},
                            content_hash=_hash(slug, l_key))
            db.session.add(lesson)
            db.session.flush()
            made.lessons[l_key] = lesson
            for q_pos, (q_key, kind, correct) in enumerate(questions, start=1):
                question = Question(course_id=course.id, lesson_id=lesson.id, key=q_key, position=q_pos,
                                    tracks=l_tracks, spec=spec(q_key, kind, correct, l_tracks),
                                    content_hash=_hash(q_key))
                db.session.add(question)
                made.questions[q_key] = question
    db.session.flush()
    return made


def add_staff(course: Course, user, role: str = "educator") -> None:
    db.session.add(CourseStaff(course_id=course.id, user_id=user.id, role=role))
    db.session.flush()


def enrol(user, made: CourseFixture, track: str = "junior", when: datetime = START) -> Enrolment:
    return services.enrol(user, made.course, track, when)


def read(enrolment: Enrolment, made: CourseFixture, *keys: str, when: datetime = START) -> None:
    for key in keys:
        services.mark_lesson_complete(enrolment, made.lessons[key], when)


def answer(enrolment: Enrolment, made: CourseFixture, lesson_key: str, answers: dict[str, Any],
           when: datetime = START, minutes: int = 5):
    """One submitted attempt at a knowledge check, started `minutes` before `when`."""
    lesson = made.lessons[lesson_key]
    draft = services.open_quiz(enrolment, lesson, when - timedelta(minutes=minutes))
    return services.submit_attempt(enrolment, lesson, answers, draft.token, when)


RIGHT_1 = {"q1": "b", "q2": ["a", "c"], "q3": "true"}
RIGHT_2 = {"q4": "a", "q5": "d"}
WRONG_1 = {"q1": "a", "q2": ["b"], "q3": "false"}


def complete_course(enrolment: Enrolment, made: CourseFixture, when: datetime = START) -> None:
    """Everything the learner's track requires, passed first time."""
    read(enrolment, made, "what", "problems", "pdsa", when=when)
    if enrolment.track == "postgraduate":
        read(enrolment, made, "appraisal", when=when)
    answer(enrolment, made, "check-1", RIGHT_1, when)
    answer(enrolment, made, "check-2", RIGHT_2, when)


def bulk_learners(made: CourseFixture, count: int, first: int = 0, password_hash: str = "scrypt:not-used") -> None:
    """Many learners at once, inserted directly (fast), in three states by turn: finished, part way
    with a failed then a passed attempt at check 1, and only enrolled."""
    from sqlalchemy import insert, select

    from lms.accounts.models import User
    from lms.learning import tallies
    from lms.learning.models import LessonProgress, QuestionResponse, QuizAttempt

    orgs, tracks = ["cnwl", "clch", "brent-council"], ["junior", "postgraduate", "ahp"]
    users = [{"email": f"bulk{n}@example.nhs.uk", "full_name": f"Bulk Learner {n:05d}", "password_hash": password_hash,
              "role": "learner", "organisation_id": orgs[n % 3], "professional_group": "nurse",
              "session_token": f"token{n}"} for n in range(first, first + count)]
    db.session.execute(insert(User), users)
    ids = dict(db.session.execute(select(User.email, User.id).where(User.email.in_([u["email"] for u in users]))).all())
    enrolments = [{"user_id": ids[u["email"]], "course_id": made.course.id, "track": tracks[n % 3],
                   "enrolled_at": START + timedelta(days=n), "last_activity_at": START + timedelta(days=n, hours=1),
                   "completed_at": START + timedelta(days=n + 1) if n % 3 == 0 else None}
                  for n, u in zip(range(first, first + count), users, strict=True)]
    db.session.execute(insert(Enrolment), enrolments)
    rows = db.session.execute(select(Enrolment.id, Enrolment.track, Enrolment.completed_at)
                              .where(Enrolment.user_id.in_(ids.values()))).all()
    required = {t: [lesson for lesson in made.lessons.values() if t in lesson.tracks and lesson.required]
                for t in tracks}
    progress, attempts = [], []
    for enrolment_id, track, completed_at in rows:
        when = completed_at or START
        done = required[track] if completed_at else [made.lessons["what"], made.lessons["check-1"]]
        if completed_at or enrolment_id % 3 == 1:
            progress += [{"enrolment_id": enrolment_id, "lesson_id": lesson.id, "completed_at": when,
                          "best_percent": 100.0 if lesson.key.startswith("check") else None, "updated_at": when}
                         for lesson in done]
            attempts += [{"enrolment_id": enrolment_id, "lesson_id": made.lessons["check-1"].id, "token": f"t{k}",
                          "track": track, "choice_order": {}, "score": score, "max_score": 3.0,
                          "percent": 100 * score / 3, "pass_mark": 60.0, "passed": score >= 2,
                          "started_at": when - timedelta(minutes=5), "submitted_at": when}
                         for k, score in enumerate([1.0, 3.0])]
    db.session.execute(insert(LessonProgress), progress)
    db.session.execute(insert(QuizAttempt), attempts)
    attempt_rows = db.session.execute(select(QuizAttempt.id, QuizAttempt.score).where(
        QuizAttempt.enrolment_id.in_([r[0] for r in rows]))).all()
    questions = [made.questions[k] for k in ("q1", "q2", "q3")]
    db.session.execute(insert(QuestionResponse), [
        {"attempt_id": attempt_id, "question_id": q.id, "position": i + 1,
         "answer": RIGHT_1[q.key] if i < score else WRONG_1[q.key], "points_awarded": 1.0 if i < score else 0.0,
         "points_possible": 1.0, "correct": i < score, "content_hash": q.content_hash}
        for attempt_id, score in attempt_rows for i, q in enumerate(questions)])
    tallies.rebuild()  # rows inserted behind the services' back: recount, as after a load
    db.session.commit()
