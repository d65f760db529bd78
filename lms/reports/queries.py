"""Read-only aggregate queries behind the staff reports.

Every function runs a fixed number of queries whatever the number of learners: counts and
sums are made by the database, and per-learner detail is fetched for one page (or one
streamed batch) at a time. Completion is always decided by `lms.learning.progress`.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from courses import LISTED_TYPES, QuestionSpec, item_results
from lms.accounts.models import Organisation, User
from lms.accounts.roles import PROFESSIONAL_GROUPS
from lms.catalog.models import Course, Lesson, Module, Question
from lms.catalog.tracks import track_label
from lms.clock import utcnow
from lms.credentials import standing
from lms.credentials.models import EXPIRED, REVOKED, SUPERSEDED, VALID, Certificate
from lms.dates import london_date
from lms.extensions import db
from lms.learning.counts import ALL_TIME, EnrolmentDay, LearnerCount, ProgrammeCount, ProgressState, quarter_of
from lms.learning.models import Enrolment, LessonProgress, QuizAttempt
from lms.learning.progress import CourseProgress, OutlineLesson, compute_progress, course_outlines
from lms.learning.queries import completed_lessons
from lms.learning.tallies import SUMS as TALLY_SUMS
from lms.learning.tallies import QuestionTally

PAGE_SIZE = 50
#: Rows fetched per round trip when streaming an export.
STREAM_BATCH = 1000
NO_ORGANISATION = "No organisation"


def group_label(group: str | None) -> str:
    return PROFESSIONAL_GROUPS.get(group or "", group or "Not given")


# --- course progress ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressFilters:
    """What the progress table is narrowed to; None means no restriction."""

    track: str | None = None
    organisation_id: str | None = None
    enrolled_from: date | None = None
    enrolled_to: date | None = None


#: The columns the progress table may be sorted by, and the SQL each sorts on.
SORT_COLUMNS: dict[str, ColumnElement] = {
    "name": User.full_name,
    "organisation": Organisation.name,
    "group": User.professional_group,
    "track": Enrolment.track,
    "enrolled": Enrolment.enrolled_at,
    "activity": Enrolment.last_activity_at,
    "completed": Enrolment.completed_at,
}


@dataclass(frozen=True)
class Sort:
    column: str = "name"
    descending: bool = False

    @classmethod
    def parse(cls, value: str | None) -> Sort:
        """`name`, `-enrolled`...; anything not whitelisted sorts by name."""
        value = value or ""
        descending = value.startswith("-")
        column = value.lstrip("-")
        if column not in SORT_COLUMNS:
            return cls()
        return cls(column, descending)

    def __str__(self) -> str:
        return f"{'-' if self.descending else ''}{self.column}"


@dataclass(frozen=True)
class Assessment:
    """A lesson with live questions: its best score is a column of the progress table."""

    lesson_id: int
    key: str
    title: str
    tracks: tuple[str, ...]


@dataclass(frozen=True)
class LearnerRow:
    enrolment_id: int
    name: str
    organisation: str
    professional_group: str
    track: str
    enrolled_at: datetime
    last_activity_at: datetime | None
    completed_at: datetime | None
    progress: CourseProgress
    #: {lesson id: best percent} for the assessments attempted.
    best_scores: dict[int, float]
    #: The newest certificate's status, "Awaiting approval", "Not issued", or None before completion.
    certificate: str | None = None


@dataclass(frozen=True)
class ProgressPage:
    rows: list[LearnerRow]
    total: int
    page: int
    pages: int
    assessments: list[Assessment]


def _filtered(query, filters: ProgressFilters):
    if filters.track:
        query = query.where(Enrolment.track == filters.track)
    if filters.organisation_id:
        query = query.where(User.organisation_id == filters.organisation_id)
    if filters.enrolled_from:
        query = query.where(Enrolment.enrolled_at >= datetime.combine(filters.enrolled_from, datetime.min.time()))
    if filters.enrolled_to:
        # Inclusive of the whole last day.
        until = datetime.combine(filters.enrolled_to + timedelta(days=1), datetime.min.time())
        query = query.where(Enrolment.enrolled_at < until)
    return query


def _learners_select(course: Course, filters: ProgressFilters):
    return _filtered(
        select(Enrolment.id, User.full_name, Organisation.name.label("organisation"), User.professional_group,
               Enrolment.track, Enrolment.enrolled_at, Enrolment.last_activity_at, Enrolment.completed_at)
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(Enrolment.course_id == course.id), filters)


def _count_learners(course: Course, filters: ProgressFilters) -> int:
    # Joins users only when filtering on them: counting enrolments alone is much cheaper.
    query = select(func.count()).select_from(Enrolment).where(Enrolment.course_id == course.id)
    if filters.organisation_id:
        query = query.join(User, User.id == Enrolment.user_id)
    return db.session.scalar(_filtered(query, filters))


def _ordered(query, sort: Sort):
    column = SORT_COLUMNS[sort.column]
    ordering = column.desc() if sort.descending else column.asc()
    # Empty dates go last either way; the id keeps pages stable when values tie.
    return query.order_by(ordering.nulls_last(), Enrolment.id)


def assessments_of(course: Course) -> list[Assessment]:
    """Lessons with live questions, in course order, with the tracks that have questions."""
    rows = db.session.execute(
        select(Lesson.id, Lesson.key, Lesson.title, Lesson.tracks, Question.tracks)
        .join(Module, Module.id == Lesson.module_id)
        .join(Question, Question.lesson_id == Lesson.id)
        .where(Lesson.course_id == course.id, Lesson.retired.is_(False), Module.retired.is_(False),
               Question.retired.is_(False))
        .order_by(Module.position, Lesson.position, Question.position)
    )
    found: dict[int, tuple[str, str, set[str], list[str]]] = {}
    for lesson_id, key, title, lesson_tracks, question_tracks in rows:
        entry = found.setdefault(lesson_id, (key, title, set(), list(lesson_tracks)))
        entry[2].update(question_tracks)
    return [Assessment(lesson_id, key, title, tuple(t for t in lesson_tracks if t in question_tracks))
            for lesson_id, (key, title, question_tracks, lesson_tracks) in found.items()]


def best_scores(enrolment_ids: Iterable[int]) -> dict[int, dict[int, float]]:
    """{enrolment id: {lesson id: best attempt percent}}, in one query."""
    ids = list(enrolment_ids)
    best: dict[int, dict[int, float]] = defaultdict(dict)
    if ids:
        for enrolment_id, lesson_id, percent in db.session.execute(
            select(QuizAttempt.enrolment_id, QuizAttempt.lesson_id, func.max(QuizAttempt.percent))
            .where(QuizAttempt.enrolment_id.in_(ids))
            .group_by(QuizAttempt.enrolment_id, QuizAttempt.lesson_id)
        ):
            best[enrolment_id][lesson_id] = percent
    return best


#: How each certificate status reads in the report.
CERTIFICATE_LABELS = {VALID: "Valid", EXPIRED: "Expired", REVOKED: "Revoked", SUPERSEDED: "Superseded"}
AWAITING_APPROVAL = "Awaiting approval"
NOT_ISSUED = "Not issued"


def certificate_statuses(enrolment_ids: Iterable[int], now: datetime) -> dict[int, str]:
    """{enrolment id: status of its newest certificate}, in one query; enrolments without one are left out."""
    return {enrolment_id: CERTIFICATE_LABELS.get(status, status)
            for enrolment_id, status in standing.standings(enrolment_ids, now).items()}


def _certificate_label(found: str | None, completed_at: datetime | None, issue: str) -> str | None:
    if found or completed_at is None:
        return found
    return AWAITING_APPROVAL if issue == "approval" else NOT_ISSUED


class _ProgressOf:
    """`compute_progress` for one course, remembered per (track, completed lessons): many learners share a state."""

    #: Forget everything past this many states, so a long export's memory stays bounded.
    LIMIT = 10_000

    def __init__(self, outline: list[OutlineLesson]):
        self.outline = outline
        self.known: dict[tuple[str, frozenset[int]], CourseProgress] = {}

    def __call__(self, track: str, completed: Iterable[int]) -> CourseProgress:
        key = (track, frozenset(completed))
        if key not in self.known:
            if len(self.known) >= self.LIMIT:
                self.known.clear()
            self.known[key] = compute_progress(self.outline, track, key[1])
        return self.known[key]


def _learner_rows(rows: list, progress_of: _ProgressOf, course: Course) -> list[LearnerRow]:
    """Turn one batch of enrolment rows into report rows, with three queries for the batch."""
    ids = [row.id for row in rows]
    done = completed_lessons(ids)
    scores = best_scores(ids)
    certificates = certificate_statuses(ids, utcnow())
    return [
        LearnerRow(
            enrolment_id=row.id, name=row.full_name, organisation=row.organisation or NO_ORGANISATION,
            professional_group=group_label(row.professional_group), track=row.track,
            enrolled_at=row.enrolled_at, last_activity_at=row.last_activity_at, completed_at=row.completed_at,
            progress=progress_of(row.track, done.get(row.id, ())),
            best_scores=scores.get(row.id, {}),
            certificate=_certificate_label(certificates.get(row.id), row.completed_at, course.certificate_issue),
        )
        for row in rows
    ]


def progress_page(course: Course, filters: ProgressFilters, sort: Sort, page: int,
                  per_page: int = PAGE_SIZE) -> ProgressPage:
    """One page of the progress table: seven queries, whatever the number of learners."""
    total = _count_learners(course, filters)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    query = _ordered(_learners_select(course, filters), sort)
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    progress_of = _ProgressOf(course_outlines([course.id])[course.id])
    return ProgressPage(_learner_rows(rows, progress_of, course), total, page, pages, assessments_of(course))


def iter_progress(course: Course, filters: ProgressFilters, sort: Sort) -> Iterator[LearnerRow]:
    """Every matching learner, streamed in batches with a server-side cursor, so memory stays flat."""
    progress_of = _ProgressOf(course_outlines([course.id])[course.id])
    result = db.session.execute(_ordered(_learners_select(course, filters), sort)
                                .execution_options(yield_per=STREAM_BATCH))
    for batch in result.partitions():
        yield from _learner_rows(list(batch), progress_of, course)


def organisations() -> list[tuple[str, str]]:
    """(id, name) of every organisation, retired ones included, for the filter: a short list, read at once."""
    return [(org_id, name) for org_id, name in db.session.execute(
        select(Organisation.id, Organisation.name).order_by(Organisation.name))]


# --- one learner ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LessonStatus:
    module_title: str
    lesson_id: int
    title: str
    required: bool
    #: "complete", "in progress" or "not started".
    status: str
    completed_at: datetime | None
    best_percent: float | None


@dataclass(frozen=True)
class AttemptRow:
    lesson_title: str
    submitted_at: datetime
    started_at: datetime | None
    score: float
    max_score: float
    percent: float
    passed: bool
    track: str

    @property
    def duration(self) -> timedelta | None:
        return self.submitted_at - self.started_at if self.started_at else None


@dataclass(frozen=True)
class LearnerDetail:
    row: LearnerRow
    lessons: list[LessonStatus]
    attempts: list[AttemptRow] = field(default_factory=list)


def learner_detail(course: Course, enrolment_id: int) -> LearnerDetail | None:
    """One learner's lessons and attempts on this course; None if the enrolment is on another course."""
    row = db.session.execute(_learners_select(course, ProgressFilters())
                             .where(Enrolment.id == enrolment_id)).first()
    if row is None:
        return None
    learner = _learner_rows([row], _ProgressOf(course_outlines([course.id])[course.id]), course)[0]
    return LearnerDetail(learner, _lesson_statuses(course, enrolment_id, learner), _attempts(enrolment_id))


def _lesson_statuses(course: Course, enrolment_id: int, learner: LearnerRow) -> list[LessonStatus]:
    progress = {p.lesson_id: p for p in db.session.execute(
        select(LessonProgress.lesson_id, LessonProgress.completed_at, LessonProgress.best_percent)
        .where(LessonProgress.enrolment_id == enrolment_id))}
    lessons = db.session.execute(
        select(Lesson.id, Lesson.title, Lesson.tracks, Lesson.required, Module.title.label("module_title"))
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id == course.id, Lesson.retired.is_(False), Module.retired.is_(False))
        .order_by(Module.position, Lesson.position))
    statuses = []
    for lesson in lessons:
        if learner.track not in lesson.tracks:
            continue
        record = progress.get(lesson.id)
        if lesson.id in learner.progress.completed_lesson_ids:
            status = "complete"
        elif record is not None:
            status = "in progress"
        else:
            status = "not started"
        statuses.append(LessonStatus(
            lesson.module_title, lesson.id, lesson.title, lesson.required, status,
            record.completed_at if record else None, learner.best_scores.get(lesson.id)))
    return statuses


def _attempts(enrolment_id: int) -> list[AttemptRow]:
    # Columns only: loading QuizAttempt objects would also load every response.
    return [AttemptRow(*row) for row in db.session.execute(
        select(Lesson.title, QuizAttempt.submitted_at, QuizAttempt.started_at, QuizAttempt.score,
               QuizAttempt.max_score, QuizAttempt.percent, QuizAttempt.passed, QuizAttempt.track)
        .join(Lesson, Lesson.id == QuizAttempt.lesson_id)
        .where(QuizAttempt.enrolment_id == enrolment_id)
        .order_by(QuizAttempt.submitted_at, QuizAttempt.id))]


# --- course summary -------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekCount:
    #: The Monday the week starts on.
    week: date
    enrolments: int
    completions: int


@dataclass(frozen=True)
class FunnelStep:
    label: str
    #: Learners on a track that includes this step.
    eligible: int
    reached: int

    @property
    def percent(self) -> float:
        return 100 * self.reached / self.eligible if self.eligible else 0.0


@dataclass(frozen=True)
class RateRow:
    label: str
    enrolled: int
    completed: int

    @property
    def percent(self) -> float:
        return 100 * self.completed / self.enrolled if self.enrolled else 0.0


def weeks_of(enrolled: dict[date, int], completed: dict[date, int]) -> list[WeekCount]:
    """Per-day counts as weeks (Monday to Sunday), with empty weeks filled in."""
    days = {day for day, n in enrolled.items() if n} | {day for day, n in completed.items() if n}
    if not days:
        return []
    weeks: dict[date, list[int]] = {}
    week = _monday(min(days))
    while week <= max(days):
        weeks[week] = [0, 0]
        week += timedelta(days=7)
    for day, n in enrolled.items():
        if n:
            weeks[_monday(day)][0] += n
    for day, n in completed.items():
        if n:
            weeks[_monday(day)][1] += n
    return [WeekCount(w, e, c) for w, (e, c) in weeks.items()]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_activity(course: Course) -> list[WeekCount]:
    """Enrolments and completions per week (Monday to Sunday), from the per-day counts (one query)."""
    rows = db.session.execute(select(EnrolmentDay.day, EnrolmentDay.enrolled, EnrolmentDay.completed)
                              .where(EnrolmentDay.course_id == course.id)).all()
    return weeks_of({day: e for day, e, _c in rows}, {day: c for day, _e, c in rows})


def summary(course: Course) -> dict[str, Any]:
    """Everything the course summary shows: weeks, funnel, by_track and by_organisation."""
    return {"weeks": weekly_activity(course), "funnel": module_funnel(course),
            "by_track": completion_by_track(course), "by_organisation": completion_by_organisation(course)}


def _completion_signatures(course: Course) -> list[tuple[str, frozenset[int], bool, int]]:
    """(track, completed lesson ids, course completed, number of learners) for each distinct state, from the
    progress-state counts (lms.learning.counts), so the rule in `compute_progress` runs once per state."""
    rows = db.session.execute(
        select(ProgressState.track, ProgressState.lessons, ProgressState.completed, ProgressState.enrolments)
        .where(ProgressState.course_id == course.id, ProgressState.enrolments != 0))
    return [(track, frozenset(int(i) for i in lessons.split(",") if i), bool(finished), n)
            for track, lessons, finished, n in rows]


def module_funnel(course: Course) -> list[FunnelStep]:
    """How many learners completed each module (of those whose track has it), then the course.

    The last step counts recorded completions, which stand even if the learner later
    switched to a track with more to do.
    """
    return funnel_of(course, _completion_signatures(course))


def funnel_of(course: Course, signatures: list[tuple[str, frozenset[int], bool, int]]) -> list[FunnelStep]:
    """The funnel from (track, completed lessons, course completed, learners) states."""
    outline = course_outlines([course.id])[course.id]
    modules = db.session.execute(select(Module.id, Module.title).where(
        Module.course_id == course.id, Module.retired.is_(False)).order_by(Module.position)).all()
    everything = [lesson.id for lesson in outline]
    eligible: dict[int, int] = defaultdict(int)
    reached: dict[int, int] = defaultdict(int)
    learners = completed_courses = 0
    for track, lesson_ids, finished, n in signatures:
        # With every lesson done, the completed modules are exactly the track's modules.
        for module_id in compute_progress(outline, track, everything).completed_module_ids:
            eligible[module_id] += n
        for module_id in compute_progress(outline, track, lesson_ids).completed_module_ids:
            reached[module_id] += n
        learners += n
        completed_courses += n if finished else 0
    steps = [FunnelStep(title, eligible[module_id], reached[module_id])
             for module_id, title in modules if eligible[module_id]]
    return [FunnelStep("Enrolled", learners, learners), *steps,
            FunnelStep("Completed the course", learners, completed_courses)]


def completion_by_track(course: Course) -> list[RateRow]:
    """Enrolled and completed per track, the course's tracks first (from the progress-state counts)."""
    counts = {track: (int(n), int(done)) for track, n, done in db.session.execute(
        select(ProgressState.track, func.sum(ProgressState.enrolments),
               func.sum(case((ProgressState.completed, ProgressState.enrolments), else_=0)))
        .where(ProgressState.course_id == course.id).group_by(ProgressState.track)) if n}
    tracks = list(course.tracks) + sorted(set(counts) - set(course.tracks))
    return [RateRow(track_label(t), *counts.get(t, (0, 0))) for t in tracks]


def _organisation_names() -> dict[str, str]:
    """{organisation id: name}, "" (no organisation) included: a short list."""
    return {"": NO_ORGANISATION, **{org_id: name for org_id, name in db.session.execute(
        select(Organisation.id, Organisation.name))}}


def completion_by_organisation(course: Course) -> list[RateRow]:
    """Enrolled and completed per organisation, most enrolled first (from the programme counts)."""
    names = _organisation_names()
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for org_id, n, done in db.session.execute(
        select(ProgrammeCount.organisation_id, func.sum(ProgrammeCount.enrolled), func.sum(ProgrammeCount.completed))
        .where(ProgrammeCount.course_id == course.id).group_by(ProgrammeCount.organisation_id)
    ):
        totals = found[names.get(org_id, NO_ORGANISATION)]
        totals[0] += int(n)
        totals[1] += int(done)
    return sorted((RateRow(name, n, done) for name, (n, done) in found.items() if n),
                  key=lambda r: (-r.enrolled, r.label))


# --- question statistics --------------------------------------------------------------------

#: A question is flagged only once this many learners have answered it.
MIN_RESPONSES_TO_FLAG = 20
EASY_SHARE = 0.9
HARD_SHARE = 0.2


@dataclass(frozen=True)
class OptionShare:
    key: str
    html: str
    correct: bool
    chosen: int
    share: float


@dataclass(frozen=True)
class QuestionStats:
    question_id: int
    key: str
    lesson_title: str
    position: int
    type: str
    stem_html: str
    responses: int
    correct: int
    #: Point-biserial correlation of this item with the rest of the quiz (see docs/reports.md).
    discrimination: float | None
    options: list[OptionShare]
    unanswered: int

    @property
    def share_correct(self) -> float | None:
        return self.correct / self.responses if self.responses else None

    @property
    def flags(self) -> list[str]:
        share = self.share_correct
        if share is None or self.responses < MIN_RESPONSES_TO_FLAG:
            return []
        flags = []
        if share > EASY_SHARE:
            flags.append("Almost everyone right")
        if share < HARD_SHARE:
            flags.append("Almost everyone wrong")
        if self.discrimination is not None and self.discrimination < 0:
            flags.append("Negative discrimination")
        return flags


def question_statistics(course: Course, first_attempts_only: bool = False) -> list[QuestionStats]:
    """Every live question of the course with its statistics, in two queries (the second reads the tallies).

    Only answers to the question's current version (same content hash) are counted, or to an earlier version
    with the same correct answers (publishing lists them in the spec's "comparable_hashes": choices keep their
    keys, so an inserted or removed distractor does not reset the statistics).
    """
    questions = db.session.execute(
        select(Question.id, Question.key, Question.position, Question.spec, Lesson.title)
        .join(Lesson, Lesson.id == Question.lesson_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(Question.course_id == course.id, Question.retired.is_(False), Lesson.retired.is_(False),
               Module.retired.is_(False))
        .order_by(Module.position, Lesson.position, Question.position)).all()
    earlier = [(q.id, h) for q in questions for h in q.spec.get("comparable_hashes", [])]
    sums, tallies = _tallied_sums(course, first_attempts_only, earlier)
    stats = []
    for q in questions:
        n, right, m, sx, sy, syy, sxy = sums.get(q.id, (0,) * 7)
        options, unanswered = _option_shares(q.spec, tallies.get(q.id, {}), n)
        stats.append(QuestionStats(q.id, q.key, q.title, q.position, q.spec.get("type", ""),
                                   q.spec.get("stem_html", ""), n, int(right),
                                   point_biserial(m, sx, sy, syy, sxy), options, unanswered))
    return stats


def _tallied_sums(course: Course, first_attempts_only: bool, earlier: list[tuple[int, str]] | None = None
                  ) -> tuple[dict[int, list[float]], dict[int, dict[str, int]]]:
    """Per question, from the running tallies (lms.learning.tallies), counting this course's questions'
    current version (or `earlier` comparable versions: (question id, content hash) pairs):

    - the sums for the share correct and the discrimination: n, correct, and over the answers
      with a rest of the quiz, m, Σx, Σy, Σy², Σxy;
    - {answer as JSON text: count}, identical answers counted together.
    """
    version = QuestionTally.content_hash == Question.content_hash
    if earlier:
        version = or_(version, tuple_(QuestionTally.question_id, QuestionTally.content_hash).in_(earlier))
    query = (
        select(QuestionTally.question_id, QuestionTally.answer,
               *(func.sum(getattr(QuestionTally, name)) for name in TALLY_SUMS))
        .join(Question, Question.id == QuestionTally.question_id)
        .where(Question.course_id == course.id, version)
        .group_by(QuestionTally.question_id, QuestionTally.answer)
    )
    if first_attempts_only:
        query = query.where(QuestionTally.first_attempt.is_(True))
    sums: dict[int, list[float]] = defaultdict(lambda: [0] * 7)
    tallies: dict[int, dict[str, int]] = defaultdict(dict)
    for qid, text, *figures in db.session.execute(query):
        if not figures[0]:
            continue  # every response in it was erased
        totals = sums[qid]
        for i, value in enumerate(figures):
            totals[i] += value or 0
        tallies[qid][text] = tallies[qid].get(text, 0) + int(figures[0])
    return sums, tallies


def point_biserial(n: int, sx: float, sy: float, syy: float, sxy: float) -> float | None:
    """Pearson's r from sums, where x is 0 or 1 (so the sum of x² is the sum of x)."""
    if n < 2:
        return None
    variance_x = n * sx - sx * sx
    variance_y = n * syy - sy * sy
    if variance_x <= 0 or variance_y <= 1e-9:
        return None
    r = (n * sxy - sx * sy) / math.sqrt(variance_x * variance_y)
    return max(-1.0, min(1.0, r))


def chosen_keys(answer: Any) -> set[str]:
    """The choice keys in a stored answer: "b", ["a", "c"], "a,c", True or "false"."""
    if isinstance(answer, bool):
        return {"true" if answer else "false"}
    if isinstance(answer, str):
        return {part.strip().lower() if part.strip().lower() in ("true", "false") else part.strip()
                for part in answer.split(",") if part.strip()}
    if isinstance(answer, list | tuple):
        return {item for item in answer if isinstance(item, str)}
    return set()


def _item_shares(spec: dict[str, Any], tally: dict[str, int], responses: int) -> tuple[list[OptionShare], int]:
    """Ordering and matching: per item, how many put it in its right place or matched it rightly."""
    question = QuestionSpec.from_dict(spec)
    right: dict[str, int] = defaultdict(int)
    unanswered = 0
    for text, n in tally.items():
        answer = json.loads(text) if text is not None else None
        if not isinstance(answer, dict) or not answer:
            unanswered += n
            continue
        for result in item_results(question, answer):
            right[result.key] += n if result.correct else 0
    html = {c.key: c.html for c in question.choices}
    if question.type == "matching":
        html = {p.key: f"{p.html} → {html.get(p.match, '')}" for p in question.pairs}
    keys = question.order if question.type == "ordering" else [p.key for p in question.pairs]
    options = [OptionShare(key, html.get(key, ""), True, right[key], right[key] / responses if responses else 0.0)
               for key in keys]
    return options, unanswered


def _option_shares(spec: dict[str, Any], tally: dict[str, int], responses: int) -> tuple[list[OptionShare], int]:
    if spec.get("type") in LISTED_TYPES:
        return _item_shares(spec, tally, responses)
    chosen: dict[str, int] = defaultdict(int)
    unanswered = 0
    for text, n in tally.items():
        keys = chosen_keys(json.loads(text)) if text is not None else set()
        if not keys:
            unanswered += n
        for key in keys:
            chosen[key] += n
    options = [OptionShare(c["key"], c.get("html", ""), bool(c.get("correct")), chosen[c["key"]],
                           chosen[c["key"]] / responses if responses else 0.0)
               for c in spec.get("choices", [])]
    return options, unanswered


# --- programme ------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @property
    def start(self) -> datetime:
        return datetime(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> datetime:
        return Quarter(self.year + self.number // 4, self.number % 4 + 1).start

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.number}"

    @property
    def slug(self) -> str:
        return f"{self.year}-q{self.number}"

    @classmethod
    def parse(cls, value: str | None) -> Quarter | None:
        """`2025-q1` (any case), or None for anything else."""
        year, _, number = (value or "").lower().partition("-q")
        if not (year.isdigit() and number in ("1", "2", "3", "4")) or not 2000 <= int(year) <= 2100:
            return None
        return cls(int(year), int(number))


@dataclass(frozen=True)
class ProgrammeRow:
    label: str
    learners: int
    enrolments: int
    completions: int
    cpd_hours: float


#: The ways the programme view is broken down: the column grouped on and how to name a value.
DIMENSIONS = {
    "organisation": "Organisation",
    "group": "Professional group",
    "track": "Track",
}

def _cpd_hours() -> dict[int, dict[str, float]]:
    return {cid: hours or {} for cid, hours in db.session.execute(select(Course.id, Course.cpd_hours))}


def _label(dimension: str | None, value: Any) -> str:
    if dimension == "group":
        return group_label(value)
    if dimension == "track":
        return track_label(value)
    return str(value) if value is not None else "All"


@dataclass(frozen=True)
class _Voided:
    """A completion whose hours a revoked or expired certificate voids."""

    quarter: str
    course_id: int
    track: str
    organisation_id: str
    professional_group: str

    def value(self, dimension: str | None) -> str | None:
        return {"organisation": self.organisation_id, "group": self.professional_group, "track": self.track,
                None: None}[dimension]


def _voided(now: datetime) -> list[_Voided]:
    """Completions with voided hours, found from the certificates (their number grows with revoked and
    expired certificates, not with enrolments): credentials' rule, `standing.voided_clause`."""
    # The certificates first, on their own: joined in one query, SQLite may scan every enrolment instead.
    ids = list(db.session.scalars(select(Certificate.enrolment_id).where(standing.voided_clause(now)).distinct()))
    if not ids:
        return []
    return [_Voided(quarter_of(london_date(at)), cid, track, org or "", group or "")
            for cid, track, at, org, group in db.session.execute(
                select(Enrolment.course_id, Enrolment.track, Enrolment.completed_at, User.organisation_id,
                       User.professional_group)
                .join(User, User.id == Enrolment.user_id)
                .where(Enrolment.id.in_(ids), Enrolment.completed_at.is_not(None)))]


def _display(dimension: str | None, value: str | None, names: dict[str, str]) -> Any:
    """A stored breakdown value as the report groups it: organisations by name, "" as no value."""
    if dimension == "organisation":
        return names.get(value, NO_ORGANISATION)
    return value or None


@dataclass
class _Period:
    """The counts of one period (a quarter, or all time), read once for every breakdown of it."""

    #: (course id, track, organisation id, professional group, enrolled, completed)
    counts: list[tuple]
    #: {(breakdown, value): distinct learners}
    learners: dict[tuple[str, str], int]

    @classmethod
    def read(cls, quarter: Quarter | None) -> _Period:
        where = [ProgrammeCount.quarter == quarter.slug] if quarter else []
        keys = (ProgrammeCount.course_id, ProgrammeCount.track, ProgrammeCount.organisation_id,
                ProgrammeCount.professional_group)
        counts = [tuple(row) for row in db.session.execute(
            select(*keys, func.sum(ProgrammeCount.enrolled), func.sum(ProgrammeCount.completed))
            .where(*where).group_by(*keys))]
        learners = {(breakdown, value): n for breakdown, value, n in db.session.execute(
            select(LearnerCount.breakdown, LearnerCount.value, LearnerCount.learners)
            .where(LearnerCount.period == (quarter.slug if quarter else ALL_TIME)))}
        return cls(counts, learners)


#: Where each breakdown's value is in a `_Period.counts` row.
_VALUE_AT = {"track": 1, "organisation": 2, "group": 3}


def programme_breakdown(dimension: str | None, quarter: Quarter | None,
                        hours: dict[int, dict[str, float]] | None = None,
                        voided: list[_Voided] | None = None, period: _Period | None = None,
                        names: dict[str, str] | None = None) -> list[ProgrammeRow]:
    """Learners, enrolments, completions and CPD hours by `dimension` (None: one total row).

    Learners and enrolments count those who enrolled in the quarter; completions and CPD hours those who
    completed in it. Read from the running counts (lms.learning.counts): a few queries over small tables.
    """
    hours = _cpd_hours() if hours is None else hours
    voided = _voided(utcnow()) if voided is None else voided
    period = _Period.read(quarter) if period is None else period
    names = _organisation_names() if names is None else names
    figures: dict[Any, list[float]] = defaultdict(lambda: [0, 0, 0, 0.0])  # learners, enrolled, completed, hours
    lost: dict[tuple, int] = defaultdict(int)
    for v in voided:
        if quarter is None or v.quarter == quarter.slug:
            lost[_display(dimension, v.value(dimension), names), v.course_id, v.track] += 1
    by_value: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for row in period.counts:
        totals = by_value[_display(dimension, row[_VALUE_AT[dimension]] if dimension else None, names),
                          row[0], row[1]]
        totals[0] += int(row[4])
        totals[1] += int(row[5])
    for (shown, course_id, track), (enrolled, completed) in by_value.items():
        totals = figures[shown]
        totals[1] += enrolled
        totals[2] += completed
        totals[3] += (completed - lost[shown, course_id, track]) * float(hours.get(course_id, {}).get(track, 0))
    for (breakdown, value), n in period.learners.items():
        if breakdown == (dimension or "all"):
            figures[_display(dimension, value, names) if dimension else None][0] += n
    rows = [ProgrammeRow(_label(dimension, v), int(f[0]), int(f[1]), int(f[2]), f[3])
            for v, f in figures.items() if f[1] or f[2]]
    if dimension is None and not rows:
        rows = [ProgrammeRow("All", 0, 0, 0, 0.0)]
    return sorted(rows, key=lambda r: (-r.enrolments, -r.completions, r.label))


def programme_by_quarter(hours: dict[int, dict[str, float]] | None = None,
                         voided: list[_Voided] | None = None) -> list[tuple[Quarter, ProgrammeRow]]:
    """The same figures for every calendar quarter with any enrolment or completion, newest first."""
    hours = _cpd_hours() if hours is None else hours
    voided = _voided(utcnow()) if voided is None else voided
    lost: dict[tuple, int] = defaultdict(int)
    for v in voided:
        lost[v.quarter, v.course_id, v.track] += 1
    figures: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0.0])
    for slug, course_id, track, enrolled, completed in db.session.execute(
        select(ProgrammeCount.quarter, ProgrammeCount.course_id, ProgrammeCount.track,
               func.sum(ProgrammeCount.enrolled), func.sum(ProgrammeCount.completed))
        .group_by(ProgrammeCount.quarter, ProgrammeCount.course_id, ProgrammeCount.track)
    ):
        totals = figures[slug]
        totals[1] += int(enrolled)
        totals[2] += int(completed)
        totals[3] += (int(completed) - lost[slug, course_id, track]) * float(hours.get(course_id, {}).get(track, 0))
    for slug, n in db.session.execute(select(LearnerCount.period, LearnerCount.learners).where(
            LearnerCount.breakdown == "all", LearnerCount.period != ALL_TIME)):
        figures[slug][0] += n
    found = sorted(((Quarter.parse(slug), f) for slug, f in figures.items() if f[1] or f[2]), reverse=True)
    return [(quarter, ProgrammeRow(quarter.label, int(f[0]), int(f[1]), int(f[2]), f[3])) for quarter, f in found]


def programme(quarter: Quarter | None) -> dict[str, Any]:
    """Everything the programme view shows, in a fixed number of queries over the counts."""
    hours, voided, period, names = _cpd_hours(), _voided(utcnow()), _Period.read(quarter), _organisation_names()
    return {
        "totals": programme_breakdown(None, quarter, hours, voided, period, names)[0],
        "by_quarter": programme_by_quarter(hours, voided),
        **{name: programme_breakdown(name, quarter, hours, voided, period, names) for name in DIMENSIONS},
    }
