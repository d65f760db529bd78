"""Staff reports: course progress, one learner, summary with charts, question statistics, programme.

Every page is read-only and filtered with GET; `?format=csv` (with `table=` on pages that
show several tables) downloads the same table as CSV.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select

from lms.accounts.access import role_required
from lms.catalog.models import Course, CourseStaff
from lms.catalog.tracks import track_label
from lms.clock import utcnow
from lms.dates import iso_date, long_date
from lms.extensions import db
from lms.learning.models import Enrolment
from lms.reports import charts, exports, queries
from lms.reports.access import PROGRAMME_ROLES, REPORT_ROLES, reportable_course_or_abort, sees_every_course
from lms.reports.forms import ProgressFilterForm, QuarterForm, QuestionFilterForm, choices
from lms.reports.numbers import whole_percent
from lms.reports.queries import DIMENSIONS, ProgressFilters, Quarter, Sort

bp = Blueprint("reports", __name__, url_prefix="/manage")
bp.add_app_template_filter(whole_percent, "whole_percent")

#: Column headings of the progress table that sort, in the order shown.
SORTABLE_HEADINGS = {
    "name": "Name",
    "organisation": "Organisation",
    "group": "Professional group",
    "track": "Track",
    "enrolled": "Enrolled",
    "activity": "Last activity",
    "completed": "Completed",
}


@bp.context_processor
def report_helpers() -> dict[str, Any]:
    return {"url_with": url_with, "track_label": track_label, "plain_text": exports.plain_text}


def url_with(**changes: Any) -> str:
    """This page's URL with some query arguments changed (None removes one)."""
    args = request.args.to_dict()
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def wants_csv() -> bool:
    return request.args.get("format") == "csv"


def csv_name(*parts: str) -> str:
    return "-".join([*parts, iso_date(utcnow())]) + ".csv"


def page_number() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() else 1


def csv_table() -> str:
    return request.args.get("table", "")


# --- index ----------------------------------------------------------------------------------


@bp.get("/reports")
@role_required(*REPORT_ROLES)
def index():
    """The courses this person may report on, with their enrolment and completion counts."""
    query = (select(Course, func.count(Enrolment.id), func.count(Enrolment.completed_at))
             .outerjoin(Enrolment, Enrolment.course_id == Course.id)
             .group_by(Course.id).order_by(Course.title))
    if not sees_every_course(current_user):
        query = query.where(Course.id.in_(select(CourseStaff.course_id).where(CourseStaff.user_id == current_user.id)))
    return render_template("reports/index.html", courses=db.session.execute(query).all())


# --- course progress ------------------------------------------------------------------------


def progress_filters(form: ProgressFilterForm) -> ProgressFilters:
    """The filters to apply: a field with an error is ignored (and its error shown)."""
    form.validate()

    def valid(field) -> Any:
        return None if field.errors else (field.data or None)

    return ProgressFilters(valid(form.track), valid(form.organisation), valid(form.enrolled_from),
                           valid(form.enrolled_to))


def sort_headings(sort: Sort) -> dict[str, dict[str, Any]]:
    """Each sortable heading with its link (which flips the order when already sorted) and aria-sort."""
    headings = {}
    for column, label in SORTABLE_HEADINGS.items():
        current = sort.column == column
        flip = Sort(column, not sort.descending) if current else Sort(column)
        aria = ("descending" if sort.descending else "ascending") if current else None
        headings[column] = {"label": label, "href": url_with(sort=str(flip), page=None), "aria_sort": aria}
    return headings


def pagination(page: int, pages: int) -> list[int | None]:
    """Page numbers to link to: first, last and those around the current one; None is a gap."""
    shown = sorted({1, pages, *range(max(1, page - 1), min(pages, page + 1) + 1)})
    items: list[int | None] = []
    for number in shown:
        if items and number - (items[-1] or 0) > 1:
            items.append(None)
        items.append(number)
    return items


@bp.get("/courses/<slug>/progress")
@role_required(*REPORT_ROLES)
def progress(slug: str):
    course = reportable_course_or_abort(slug)
    form = ProgressFilterForm(request.args)
    form.set_choices(course.tracks, queries.organisations())
    filters = progress_filters(form)
    sort = Sort.parse(request.args.get("sort"))
    if wants_csv():
        assessments = queries.assessments_of(course)
        rows = exports.progress_rows(queries.iter_progress(course, filters, sort), assessments)
        return exports.stream_csv(exports.progress_header(assessments), rows, csv_name(course.slug, "progress"))
    result = queries.progress_page(course, filters, sort, page_number())
    return render_template("reports/progress.html", course=course, form=form, result=result, sort=sort,
                           headings=sort_headings(sort), pages=pagination(result.page, result.pages),
                           filtered=filters != ProgressFilters())


@bp.get("/courses/<slug>/learners/<int:enrolment_id>")
@role_required(*REPORT_ROLES)
def learner(slug: str, enrolment_id: int):
    course = reportable_course_or_abort(slug)
    # Another course's enrolment id under this course's URL is simply not found.
    detail = queries.learner_detail(course, enrolment_id) or abort(404)
    if wants_csv():
        if csv_table() == "attempts":
            return exports.stream_csv(exports.ATTEMPTS_HEADER, exports.attempt_rows(detail.attempts),
                                      csv_name(course.slug, "attempts", str(enrolment_id)))
        return exports.stream_csv(exports.LESSONS_HEADER, exports.lesson_rows(detail.lessons),
                                  csv_name(course.slug, "lessons", str(enrolment_id)))
    return render_template("reports/learner.html", course=course, detail=detail)


# --- summary --------------------------------------------------------------------------------


#: The summary's tables as CSV: (header, course -> rows); only the one asked for is queried.
SUMMARY_CSV = {
    "weekly": (exports.WEEKLY_HEADER, lambda c: exports.weekly_rows(queries.weekly_activity(c))),
    "funnel": (exports.FUNNEL_HEADER, lambda c: exports.funnel_rows(queries.module_funnel(c))),
    "tracks": (exports.rate_header("track"), lambda c: exports.rate_rows(queries.completion_by_track(c))),
    "organisations": (exports.rate_header("organisation"),
                      lambda c: exports.rate_rows(queries.completion_by_organisation(c))),
}


@bp.get("/courses/<slug>/summary")
@role_required(*REPORT_ROLES)
def summary(slug: str):
    course = reportable_course_or_abort(slug)
    if wants_csv():
        table = csv_table() if csv_table() in SUMMARY_CSV else "weekly"
        header, rows = SUMMARY_CSV[table]
        return exports.stream_csv(header, rows(course), csv_name(course.slug, table))
    weeks = queries.weekly_activity(course)
    funnel = queries.module_funnel(course)
    by_track = queries.completion_by_track(course)
    by_organisation = queries.completion_by_organisation(course)
    return render_template("reports/summary.html", course=course, weeks=weeks, funnel=funnel, by_track=by_track,
                           by_organisation=by_organisation,
                           charts=summary_charts(weeks, funnel, by_track, by_organisation))


def summary_charts(weeks, funnel, by_track, by_organisation) -> dict[str, Markup]:
    week_labels = [long_date(w.week) for w in weeks]
    return {
        "weekly": charts.column_chart(
            "chart-weekly", "Enrolments and completions per week",
            f"Column chart over {len(weeks)} weeks; the table below gives the numbers.", week_labels,
            [charts.Series("Enrolments", [w.enrolments for w in weeks]),
             charts.Series("Completions", [w.completions for w in weeks])]),
        "funnel": charts.bar_chart(
            "chart-funnel", "Completion by module",
            "Bar chart of the percentage of learners who completed each module; the table below gives the numbers.",
            [s.label for s in funnel], [whole_percent(s.percent) for s in funnel], maximum=100, unit="%"),
        "tracks": charts.bar_chart(
            "chart-tracks", "Completion rate by track",
            "Bar chart of the percentage of learners on each track who completed the course.",
            [r.label for r in by_track], [whole_percent(r.percent) for r in by_track], maximum=100, unit="%"),
        "organisations": charts.bar_chart(
            "chart-organisations", "Completion rate by organisation",
            "Bar chart of the percentage of learners from each organisation who completed the course.",
            [r.label for r in by_organisation], [whole_percent(r.percent) for r in by_organisation],
            maximum=100, unit="%"),
    }


# --- questions ------------------------------------------------------------------------------


@bp.get("/courses/<slug>/questions")
@role_required(*REPORT_ROLES)
def questions(slug: str):
    course = reportable_course_or_abort(slug)
    form = QuestionFilterForm(request.args)
    first_only = form.validate() and form.attempts.data == "first"
    stats = queries.question_statistics(course, first_attempts_only=first_only)
    if wants_csv():
        if csv_table() == "options":
            return exports.stream_csv(exports.OPTIONS_HEADER, exports.option_rows(stats),
                                      csv_name(course.slug, "question-options"))
        return exports.stream_csv(exports.QUESTIONS_HEADER, exports.question_rows(stats),
                                  csv_name(course.slug, "questions"))
    return render_template("reports/questions.html", course=course, form=form, stats=stats,
                           min_responses=queries.MIN_RESPONSES_TO_FLAG)


# --- programme ------------------------------------------------------------------------------


@bp.get("/programme")
@role_required(*PROGRAMME_ROLES)
def programme():
    asked = request.args.get("quarter") or None
    quarter = Quarter.parse(asked)
    period = quarter.label if quarter else "All time"
    if wants_csv():
        return programme_csv(csv_table(), quarter, period)
    data = queries.programme(quarter)
    form = QuarterForm(request.args)
    quarters = [q for q, _ in data["by_quarter"]]
    if quarter and quarter not in quarters:
        quarters = sorted([*quarters, quarter], reverse=True)
    form.quarter.choices = choices([("", "All time"), *[(q.slug, q.label) for q in quarters]])
    if asked and quarter is None:
        form.quarter.errors = ["Choose a period from the list"]
    return render_template("reports/programme.html", form=form, period=period, quarter=quarter, data=data,
                           dimensions=DIMENSIONS)


def programme_csv(table: str, quarter: Quarter | None, period: str):
    """One of the programme's tables (by organisation, group or track for the period; or per quarter)."""
    if table in DIMENSIONS:
        header = exports.programme_header(DIMENSIONS[table].lower().replace(" ", "_"))
        rows = exports.programme_rows(period, queries.programme_breakdown(table, quarter))
        return exports.stream_csv(header, rows, csv_name("programme", table))
    return exports.stream_csv(exports.QUARTERS_HEADER, exports.quarter_rows(queries.programme_by_quarter()),
                              csv_name("programme", "quarters"))
