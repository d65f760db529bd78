"""Every report table as CSV: headers and rows, streamed while the rows are read.

Cells are made safe against spreadsheet formulas by `lms.exports` (the one place that does it).
Column names are documented in docs/reports.md; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from flask import Response, stream_with_context
from markupsafe import Markup

from lms.catalog.tracks import track_label
from lms.dates import london
from lms.exports import csv_lines
from lms.reports.queries import (
    Assessment,
    AttemptRow,
    FunnelStep,
    LearnerRow,
    LessonStatus,
    ProgrammeRow,
    QuestionStats,
    RateRow,
    WeekCount,
)

#: Lines are gathered into chunks of about this many characters before being sent.
CHUNK_CHARS = 32_768


def _chunked(lines: Iterable[str]) -> Iterator[str]:
    """Fewer, larger writes to the socket than one per line."""
    buffer: list[str] = []
    size = 0
    for line in lines:
        buffer.append(line)
        size += len(line)
        if size >= CHUNK_CHARS:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


def stream_csv(header: list[str], rows: Iterable[Iterable[Any]], filename: str) -> Response:
    """A CSV download that starts at once: rows are read and sent as the client receives them."""

    def all_rows() -> Iterator[Iterable[Any]]:
        yield header
        yield from rows

    return Response(stream_with_context(_chunked(csv_lines(all_rows()))), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


def _when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    # Stored times are UTC; a person reads London time (with its offset, so the CSV stays exact).
    return london(value).isoformat(sep=" ", timespec="seconds") if isinstance(value, datetime) else value.isoformat()


def _seconds(value: timedelta | None) -> int | str:
    return int(value.total_seconds()) if value is not None else ""


def _percent(value: float | None) -> float | str:
    return round(value, 1) if value is not None else ""


# --- course progress ------------------------------------------------------------------------


def progress_header(assessments: list[Assessment]) -> list[str]:
    return ["enrolment_id", "name", "organisation", "professional_group", "track", "enrolled_at",
            "last_activity_at", "lessons_done", "lessons_total", "modules_done", "modules_total",
            *[f"best_percent:{a.key}" for a in assessments], "completed_at", "certificate_status"]


def progress_rows(rows: Iterable[LearnerRow], assessments: list[Assessment]) -> Iterator[list[Any]]:
    for r in rows:
        yield [r.enrolment_id, r.name, r.organisation, r.professional_group, track_label(r.track),
               _when(r.enrolled_at), _when(r.last_activity_at), r.progress.lessons_done, r.progress.lessons_total,
               r.progress.modules_done, r.progress.modules_total,
               *[_percent(r.best_scores.get(a.lesson_id)) for a in assessments],
               _when(r.completed_at), r.certificate or ""]


# --- one learner ----------------------------------------------------------------------------

LESSONS_HEADER = ["module", "lesson", "required", "status", "completed_at", "best_percent"]
ATTEMPTS_HEADER = ["lesson", "track", "started_at", "submitted_at", "duration_seconds", "score", "max_score",
                   "percent", "passed"]


def lesson_rows(lessons: Iterable[LessonStatus]) -> Iterator[list[Any]]:
    for s in lessons:
        yield [s.module_title, s.title, "yes" if s.required else "no", s.status, _when(s.completed_at),
               _percent(s.best_percent)]


def attempt_rows(attempts: Iterable[AttemptRow]) -> Iterator[list[Any]]:
    for a in attempts:
        yield [a.lesson_title, track_label(a.track), _when(a.started_at), _when(a.submitted_at),
               _seconds(a.duration), a.score, a.max_score, _percent(a.percent), "yes" if a.passed else "no"]


# --- summary --------------------------------------------------------------------------------

WEEKLY_HEADER = ["week_starting", "enrolments", "completions"]
FUNNEL_HEADER = ["step", "learners_eligible", "learners_reached", "percent"]
RATE_HEADER = ["{label}", "enrolled", "completed", "completion_percent"]


def weekly_rows(weeks: Iterable[WeekCount]) -> Iterator[list[Any]]:
    for w in weeks:
        yield [w.week.isoformat(), w.enrolments, w.completions]


def funnel_rows(steps: Iterable[FunnelStep]) -> Iterator[list[Any]]:
    for s in steps:
        yield [s.label, s.eligible, s.reached, _percent(s.percent)]


def rate_header(label: str) -> list[str]:
    return [label if h == "{label}" else h for h in RATE_HEADER]


def rate_rows(rates: Iterable[RateRow]) -> Iterator[list[Any]]:
    for r in rates:
        yield [r.label, r.enrolled, r.completed, _percent(r.percent)]


# --- questions ------------------------------------------------------------------------------

QUESTIONS_HEADER = ["lesson", "question_key", "position", "type", "responses", "correct", "percent_correct",
                    "discrimination", "flags"]
OPTIONS_HEADER = ["lesson", "question_key", "option_key", "option_text", "correct_option", "chosen",
                  "percent_chosen"]


def question_rows(stats: Iterable[QuestionStats]) -> Iterator[list[Any]]:
    for q in stats:
        share = q.share_correct
        yield [q.lesson_title, q.key, q.position, q.type, q.responses, q.correct,
               _percent(100 * share if share is not None else None),
               round(q.discrimination, 3) if q.discrimination is not None else "", "; ".join(q.flags)]


def plain_text(html: str) -> str:
    """The text of a choice or question stem, for tables and CSV cells."""
    return Markup(html).striptags()  # noqa: S704 - stripped to plain text, never output as markup


def option_rows(stats: Iterable[QuestionStats]) -> Iterator[list[Any]]:
    for q in stats:
        for o in q.options:
            yield [q.lesson_title, q.key, o.key, plain_text(o.html), "yes" if o.correct else "no", o.chosen,
                   _percent(100 * o.share)]


# --- programme ------------------------------------------------------------------------------

PROGRAMME_HEADER = ["period", "{label}", "learners", "enrolments", "completions", "cpd_hours"]


def programme_header(label: str) -> list[str]:
    return [label if h == "{label}" else h for h in PROGRAMME_HEADER]


def programme_rows(period: str, rows: Iterable[ProgrammeRow]) -> Iterator[list[Any]]:
    for r in rows:
        yield [period, r.label, r.learners, r.enrolments, r.completions, round(r.cpd_hours, 2)]


QUARTERS_HEADER = ["quarter", "learners", "enrolments", "completions", "cpd_hours"]


def quarter_rows(rows: Iterable[tuple[Any, ProgrammeRow]]) -> Iterator[list[Any]]:
    for _quarter, r in rows:
        yield [r.label, r.learners, r.enrolments, r.completions, round(r.cpd_hours, 2)]
