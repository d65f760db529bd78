"""The learner's dashboard (/dashboard): read in one statement and drawn from parts kept per process.

What learners share is drawn once with the real templates (`lms.learning.drawn`), with slots where one
learner's facts go: the page around the cards (`learning/dashboard.html`) per role and for learners with
and without courses, and each course's card (`learning/_dashboard_card.html`) per shape, the key being
everything the card's template branches on (course title and address, track and hours shown, complete,
lesson and module totals, which certificate paragraph...), so any change draws a new one. A request
then costs one Core statement, which also looks the session up (`sessions.signed_in_with`: no ORM user,
no second look-up), with my enrolments with their courses, partner's name, completed lessons and the
certificate columns credentials joins in; progress counted from the course's plan for the track
(`progress.track_plan`); and string joins.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from datetime import datetime
from functools import cache
from operator import itemgetter
from types import SimpleNamespace

from flask import render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from lms.accounts import sessions
from lms.accounts.models import Organisation, User
from lms.catalog.models import Course, hours_for
from lms.clock import utcnow
from lms.dates import long_date
from lms.learning import completion, pagecache
from lms.learning.drawn import SOMEONE, Drawn, cut, no_messages, slot
from lms.learning.models import Enrolment
from lms.learning.progress import course_structures, progress_counts, track_plan
from lms.learning.queries import completed_list, lesson_ids
from lms.security import csrf_token

# --- what credentials adds (learning may not import it) ---------------------------------------

_certificates: dict[str, object] = {}


def register_certificates(join, status_at, problem_text) -> None:
    """Set by credentials. `join(statement, enrolments table) -> statement` outer-joins, for each enrolment,
    the columns certificate_code, certificate_status, certificate_expires_at, certificate_revoked_at,
    certificate_revoked_reason (its newest certificate; None without one) and issue_error (why a completion
    without one waits, or None); `status_at(status, expires_at, now) -> str` (valid, revoked, superseded,
    expired); `problem_text(issue_error) -> str | None`, what the learner is told."""
    _certificates.update(join=join, status_at=status_at, problem_text=problem_text)
    _statement.cache_clear()


@cache
def _statement():
    """The signed-in session's look-up (`sessions.with_session`: the user's columns) with a row for each of my
    enrolments, latest activity first (one row of NULLs without any). Built once, on the tables; labelled so
    that nothing clashes with the user's columns (`id`, `created_at`...)."""
    u, e, c = User.__table__, Enrolment.__table__, Course.__table__
    o = Organisation.__table__
    done = completed_list(e.c.id)

    # Labelled "my_...": the session's statement names the user's columns `id`, `created_at`...
    mine = {"enrolment_id": e.c.id, "track": e.c.track, "last_lesson_id": e.c.last_lesson_id,
            "last_activity_at": e.c.last_activity_at, "completed_at": e.c.completed_at,
            "completion_snapshot": e.c.completion_snapshot, "course_id": c.c.id, "slug": c.c.slug,
            "title": c.c.title, "cpd_hours": c.c.cpd_hours, "certificate_issue": c.c.certificate_issue,
            "revision": c.c.revision, "updated_at": c.c.updated_at, "partner_id": o.c.id, "partner_name": o.c.name,
            "done_lessons": done}

    def my_enrolments(statement):
        statement = (
            statement.add_columns(*(column.label(f"my_{name}") for name, column in mine.items()))
            .outerjoin(e, e.c.user_id == u.c.id).outerjoin(c, c.c.id == e.c.course_id)
            .outerjoin(o, o.c.id == c.c.partner_id)
            .order_by(e.c.last_activity_at.desc().nulls_last(), e.c.id.desc()))
        return _certificates["join"](statement, e)

    statement = sessions.with_session(my_enrolments)
    names = list(statement.selected_columns.keys())
    return statement, itemgetter(*(names.index(f"my_{name}" if name in mine else name) for name in _Mine._fields))


#: A row's columns of my enrolment, read out of it at once (a Row's attributes cost more than a namedtuple's).
_Mine = namedtuple("_Mine", [
    "enrolment_id", "track", "last_lesson_id", "last_activity_at", "completed_at", "completion_snapshot", "course_id",
    "slug", "title", "cpd_hours", "certificate_issue", "revision", "updated_at", "partner_id", "partner_name",
    "done_lessons", "certificate_code", "certificate_status", "certificate_expires_at", "certificate_revoked_at",
    "certificate_revoked_reason", "issue_error"])
# What `course_structures` reads of a course.
_Course = namedtuple("_Course", "id revision updated_at")


# --- the page ------------------------------------------------------------------------------------

# Cards keyed by their shape (see `_card`), oldest out first; pages by (role, has courses, script root);
# lesson addresses by (script root, course slug, revision, publication time, lesson id); a valid
# certificate's addresses by (script root, code).
_CARDS: OrderedDict[tuple, Drawn] = OrderedDict()
_CARDS_SIZE = 1024
_PAGES: dict[tuple, Drawn] = {}
_LESSON_URLS: dict[tuple, str] = {}
_LESSON_URLS_SIZE = 4096
_CERTIFICATE_URLS: dict[tuple[str, str], dict[str, str]] = {}


def clear() -> None:
    _CARDS.clear()
    _PAGES.clear()
    _LESSON_URLS.clear()
    _CERTIFICATE_URLS.clear()


def page() -> str | None:
    """The signed-in learner's dashboard (None when nobody is signed in): one statement that also looks the
    session up; their facts exactly as the templates would draw them."""
    statement, mine = _statement()
    rows = sessions.signed_in_with(statement, {})
    if not rows:
        return None
    me = rows[0]
    enrolments = [_Mine._make(mine(row)) for row in rows] if me.my_enrolment_id is not None else []
    now = utcnow()
    structures = course_structures(_Course(e.course_id, e.revision, e.updated_at) for e in enrolments)
    root = request.script_root
    cards, earned, in_progress = [], 0.0, 0.0
    for enrolment in enrolments:
        card, hours, counted = _card(enrolment, structures[enrolment.course_id].lessons, now, root)
        cards.append(f"\n\n{card}\n")  # as the template's loop put them
        earned += counted
        if enrolment.completed_at is None:
            in_progress += hours
    values = {"unverified_notice": pagecache.unverified_notice(), "earned": f"{earned:g}",
              "in_progress": f"{in_progress:g}", "cards": Markup("".join(cards))}  # noqa: S704 - filled cards
    if session.get("_flashes"):  # a message to show once: the header and messages drawn by base.html
        return render_template("learning/dashboard.html", has_courses=bool(enrolments), **values)
    key = (me.role, bool(enrolments), root)
    drawn = _PAGES.get(key)
    if drawn is None:
        drawn = _PAGES[key] = _draw_page(bool(enrolments))
    values["name"], values["csrf"] = me.full_name, csrf_token()
    return drawn.fill(values)


def _card(row: _Mine, outline, now: datetime, root: str) -> tuple[Markup, float, float]:
    """(The enrolment's card, the CPD hours it is worth, the hours it has earned)."""
    track, completed_at, snapshot = row.track, row.completed_at, row.completion_snapshot
    lessons_done, modules_done, next_lesson_id = progress_counts(
        plan := track_plan(outline, track), lesson_ids(row.done_lessons), row.last_lesson_id)
    completed = completed_at is not None
    hours = completion.shown_hours(completed_at, snapshot, hours_for(row.cpd_hours, track))
    code = row.certificate_code
    status = (_certificates["status_at"](row.certificate_status, row.certificate_expires_at, now)
              if code is not None else None)
    problem = _certificates["problem_text"](row.issue_error) if row.issue_error is not None else None
    continue_url = (_lesson_url(root, row, outline, next_lesson_id)
                    if next_lesson_id is not None and not completed else None)
    # Everything the card's template branches on, or prints the same for every learner of this shape.
    key = (root, row.title, row.slug, completion.shown_track(snapshot, track), hours, completed,
           plan.lessons_total, plan.modules_total, row.last_activity_at is not None, status,
           row.certificate_expires_at is not None, bool(problem), row.certificate_issue, continue_url is not None)
    drawn = _CARDS.get(key)
    if drawn is None:
        drawn = _CARDS[key] = _draw_card(key)
        while len(_CARDS) > _CARDS_SIZE:
            _CARDS.popitem(last=False)
    values = {"lessons_done": lessons_done, "modules_done": modules_done,
              "last_activity": long_date(row.last_activity_at), "continue_url": continue_url or "",
              "problem": problem or "",
              "partner": row.partner_name if row.partner_id is not None else "the course partner"}
    if status is not None:
        values.update(code=code, expires=long_date(row.certificate_expires_at),
                      revoked_on=long_date(row.certificate_revoked_at), reason=row.certificate_revoked_reason)
        if status == "valid":
            values.update(_certificate_urls(root, code))
    earned = completion.counted_hours(hours if completed else None, status)
    return drawn.fill(values), hours, earned


def _lesson_url(root: str, row: _Mine, outline, lesson_id: int) -> str:
    """The address of a lesson of the row's course (url_for's, kept: it costs more than the rest of a card)."""
    key = (root, row.slug, row.revision, row.updated_at, lesson_id)
    url = _LESSON_URLS.get(key)
    if url is None:
        lesson = next(ol for ol in outline if ol.id == lesson_id)
        if len(_LESSON_URLS) >= _LESSON_URLS_SIZE:
            _LESSON_URLS.clear()
        url = _LESSON_URLS[key] = url_for("learning.lesson", slug=row.slug, module_key=lesson.module_key,
                                          lesson_key=lesson.key)
    return url


def _certificate_urls(root: str, code: str) -> dict[str, str]:
    """A valid certificate's download and Open Badge addresses (url_for's, kept as lesson addresses are)."""
    key = (root, code)
    urls = _CERTIFICATE_URLS.get(key)
    if urls is None:
        if len(_CERTIFICATE_URLS) >= _LESSON_URLS_SIZE:
            _CERTIFICATE_URLS.clear()
        urls = _CERTIFICATE_URLS[key] = {
            "download_url": url_for("credentials.download", code=code),
            "badge_download_url": url_for("badges.credential", code=code, download=1),
            "badge_url": url_for("badges.credential", code=code)}
    return urls


def _draw_card(key: tuple) -> Drawn:
    (_root, title, slug, track, hours, completed, lessons_total, modules_total, has_activity, status, has_expiry,
     has_problem, certificate_issue, has_continue) = key
    card = SimpleNamespace(
        title=title, slug=slug, track=track, hours=hours, completed=completed, lessons_total=lessons_total,
        modules_total=modules_total, status=status, has_expiry=has_expiry, certificate_issue=certificate_issue,
        lessons_done=slot("lessons_done"), modules_done=slot("modules_done"),
        last_activity=slot("last_activity") if has_activity else None,
        problem=slot("problem") if has_problem else None,
        continue_url=str(slot("continue_url")) if has_continue else None,
        **{name: slot(name) for name in ("code", "expires", "revoked_on", "reason", "download_url",
                                         "badge_download_url", "badge_url", "partner")})
    return cut(render_template("learning/_dashboard_card.html", c=card))


def _draw_page(has_courses: bool) -> Drawn:
    """The whole page for every learner of the asker's role, with slots for their name, token, hours and cards."""
    html = render_template(
        "learning/dashboard.html", current_user=SOMEONE, get_flashed_messages=no_messages,
        has_courses=has_courses, unverified_notice=slot("unverified_notice"), earned=str(slot("earned")),
        in_progress=str(slot("in_progress")), cards=slot("cards"))
    return cut(html.replace(generate_csrf(), slot("csrf")))
