"""Reading lessons drawn once per published revision and track, then filled in for each learner.

A reading lesson (no knowledge check on the learner's track, not an assignment) looks the same to
every learner on a track except for a few places: the "Complete" marks in the course contents, the
text and "Last saved" time of their reflections, their name in the header and the CSRF token;
whether the lesson itself is complete changes the page more (no "Mark as complete" form), so it is
part of the key, as is the role (the header's menu). The page is drawn from the very templates and
context the full path uses (`views.lesson_context`), with `slot` marking those places, and kept per
process; a request then costs one Core query on the request's reading connection (`database.reader`,
no ORM, no transaction) and a join of the drawn text with this learner's values. Anything else
(staff previews, quizzes, assignments, a form kept over a sign-in) goes the full way. A request with
a message to show draws the header and messages with `base.html` around the filled content.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template, render_template_string, request, session
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import and_, bindparam, select, update

from lms import database, security
from lms.accounts import kept_forms, sessions
from lms.accounts.models import User
from lms.catalog.models import PUBLISHED, Course, Lesson, Module, ReflectionPrompt
from lms.clock import utcnow
from lms.dates import london_time
from lms.learning import services
from lms.learning.drawn import SOMEONE, Drawn, cut, no_messages, slot
from lms.learning.forms import ReflectionForm
from lms.learning.models import Enrolment, LessonProgress, ReflectionNote
from lms.learning.progress import CourseProgress, OutlineLesson, compute_progress, course_structures
from lms.learning.queries import completed_list, lesson_ids

# The slots whose args are ids (of a lesson, of a module).
_IDS = ("lesson", "module")

#: What follows a completed lesson in the course contents, on both paths (lesson.html writes `lesson_done`).
LESSON_DONE = Markup('<span class="nhsuk-u-visually-hidden"> (complete)</span> ✓')


@dataclass(frozen=True)
class Skeleton:
    """A lesson page drawn for every learner on a track and role: the blocks of lesson.html, with slots."""

    title: Markup
    before_content: Markup
    content: Drawn
    #: The whole page (header and footer too), for requests with no message to show.
    page: Drawn
    #: (reflection prompt id, key) for the prompts shown, in order.
    prompts: tuple[tuple[int, str], ...]


# Keyed by (course id, revision, updated_at, lesson id, track, lesson complete, role, script root: every
# address in the page starts with it): a republished
# course changes its revision and updated_at, so its old pages are never served again. Oldest out first.
_CACHE: OrderedDict[tuple, Skeleton | None] = OrderedDict()
_CACHE_SIZE = 512
_MISSING = object()


# Built once, on the tables (no ORM entities): each request only binds its values. One round trip: the
# signed-in session's row (`sessions.with_session`) with my enrolment on the course, my completed lessons as
# "3,5,8", and a row for each of my notes on the lesson's prompts (no note: one row; not enrolled: NULLs).
_users, _courses, _enrolments = User.__table__, Course.__table__, Enrolment.__table__
_modules, _lessons = Module.__table__, Lesson.__table__
_progress, _notes, _prompts = LessonProgress.__table__, ReflectionNote.__table__, ReflectionPrompt.__table__
_MY_DONE = completed_list(_enrolments.c.id)
_THE_LESSONS_PROMPTS = (
    select(_prompts.c.id)
    .join(_lessons, _lessons.c.id == _prompts.c.lesson_id).join(_modules, _modules.c.id == _lessons.c.module_id)
    .where(_lessons.c.course_id == _courses.c.id, _lessons.c.key == bindparam("lesson_key"),
           _modules.c.key == bindparam("module_key")))
# What `course_structures` reads of a course (the row's own `id` is the user's).
_Course = namedtuple("_Course", "id revision updated_at")
_MY_PAGE = sessions.with_session(lambda statement: (
    statement.add_columns(
        _courses.c.id.label("course_id"), _courses.c.status, _courses.c.revision, _courses.c.updated_at,
        _enrolments.c.id.label("enrolment_id"), _enrolments.c.track, _enrolments.c.last_lesson_id,
        _enrolments.c.last_activity_at, _MY_DONE.label("done"), _notes.c.prompt_id, _notes.c.text,
        _notes.c.updated_at.label("saved_at"))
    .outerjoin(_enrolments, and_(_enrolments.c.user_id == _users.c.id, _enrolments.c.course_id == (
        select(_courses.c.id).where(_courses.c.slug == bindparam("slug")).scalar_subquery())))
    .outerjoin(_courses, _courses.c.id == _enrolments.c.course_id)
    .outerjoin(_notes, and_(_notes.c.user_id == _users.c.id, _notes.c.prompt_id.in_(_THE_LESSONS_PROMPTS)))))


# The "confirm your email" callout, keyed by (verified, address prefix): the same for every learner alike.
_NOTICES: dict[tuple[bool, str], Markup] = {}


def clear() -> None:
    _CACHE.clear()
    _PROGRESS.clear()
    _NOTICES.clear()


def unverified_notice() -> Markup:
    """What `accounts/_unverified_notice.html` draws on the dashboard for the signed-in learner, drawn
    once per process for the verified and once for the unverified (it holds nothing personal)."""
    key = (sessions.signed_in().email_verified_at is not None, request.script_root)
    if key not in _NOTICES:
        template = '{% include "accounts/_unverified_notice.html" %}'  # autoescaped, as every page
        _NOTICES[key] = Markup(render_template_string(template))  # noqa: S704
    return _NOTICES[key]


def lesson_page(slug: str, module_key: str, lesson_key: str):
    """The page of a reading lesson for the enrolled learner asking, or None to take the full path.

    One query (course with my enrolment, my completed lessons and my notes on the lesson); writes only
    when "Continue" moves (`services.record_visit`'s rule).
    """
    if request.args or session.get(kept_forms.FLAG):
        sessions.signed_in()  # looked up before the full path's writes, as for every other page
        return None
    rows = sessions.signed_in_with(_MY_PAGE, {"slug": slug, "module_key": module_key, "lesson_key": lesson_key})
    row = rows[0] if rows else None
    if row is None or row.enrolment_id is None or row.status != PUBLISHED:
        return None  # signed out, not enrolled, or a draft: the full path decides (log in, staff preview, 403, 404)
    lessons = course_structures([_Course(row.course_id, row.revision, row.updated_at)])[row.course_id].lessons
    lesson = _find(lessons, module_key, lesson_key, row.track)
    if lesson is None:
        return None
    done, progress = _my_progress(row, lessons)
    my_notes = {r.prompt_id: (r.text, r.saved_at) for r in rows if r.prompt_id is not None}
    # The role picks the header's menu; everything else in the header is a slot.
    key = (row.course_id, row.revision, row.updated_at, lesson.id, row.track, lesson.id in done, row.role,
           request.script_root)
    # One read of the shared dict: another thread may evict the key between a check and a second read.
    skeleton = _CACHE.get(key, _MISSING)
    if skeleton is _MISSING:
        skeleton = _CACHE[key] = _draw(slug, module_key, lesson_key, lesson.id in done)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    if skeleton is None:
        return None
    # Only the prompts the page shows (not retired, on this track); keyed as the slots are.
    notes = {prompt_key: my_notes[prompt_id] for prompt_id, prompt_key in skeleton.prompts if prompt_id in my_notes}
    if session.get("_flashes"):  # a message to show once: the header and messages drawn by base.html
        page = render_template("learning/lesson_filled.html", title=skeleton.title,
                               before_content=skeleton.before_content,
                               content=fill(skeleton.content, progress, notes, row.full_name))
    else:
        page = fill(skeleton.page, progress, notes, row.full_name)
    _record_visit(row, lesson.id)
    return page


# Progress by (course, revision, track, my completed lessons as the statement lists them): learners share
# the same few states of a course. Oldest out first.
_PROGRESS: OrderedDict[tuple, tuple[frozenset[int], CourseProgress]] = OrderedDict()
_PROGRESS_SIZE = 4096


def _my_progress(row, lessons) -> tuple[frozenset[int], CourseProgress]:
    """(my completed lesson ids, my progress) from the page's row."""
    key = (row.course_id, row.revision, row.updated_at, row.track, row.done)
    found = _PROGRESS.get(key)
    if found is None:
        done = lesson_ids(row.done)
        found = _PROGRESS[key] = (done, compute_progress(lessons, row.track, done))
        while len(_PROGRESS) > _PROGRESS_SIZE:
            _PROGRESS.popitem(last=False)
    return found


def _find(lessons, module_key: str, lesson_key: str, track: str) -> OutlineLesson | None:
    return next((ol for ol in lessons if ol.key == lesson_key and ol.module_key == module_key
                 and track in ol.tracks), None)


def fill(drawn: Drawn, progress: CourseProgress, notes: dict[str, tuple[str, datetime]], name: str) -> Markup:
    """A skeleton's content or page with this learner's marks, notes, name and CSRF token in its slots."""
    parts = list(drawn.parts)
    done = progress.completed_lesson_ids
    for place, lesson_id in drawn.places("lesson"):
        if lesson_id in done:
            parts[place] = LESSON_DONE
    done = progress.completed_module_ids
    for place, module_id in drawn.places("module"):
        if module_id in done:
            parts[place] = _module_mark()
    for place, key in drawn.places("text"):
        if key in notes:
            parts[place] = escape(notes[key][0])
    for place, key in drawn.places("saved"):
        if key in notes:
            parts[place] = Markup('<p class="nhsuk-body-s">Last saved %s.</p>') % london_time(notes[key][1])
    name = escape(name)
    for place, _arg in drawn.places("name"):
        parts[place] = name
    token = escape(security.csrf_token())
    for place, _arg in drawn.places("csrf"):
        parts[place] = token
    return Markup("".join(parts))  # noqa: S704 - drawn by the template; fills escaped


def _draw(slug: str, module_key: str, lesson_key: str, complete: bool) -> Skeleton | None:
    """Draw the lesson's page for every learner on the asker's track (None: not a reading lesson)."""
    from lms.learning import views  # views imports this module

    view = views.open_lesson(slug, module_key, lesson_key)
    if view.enrolment is None or view.lesson.kind == "assignment" or services.questions_for(view.lesson, view.track):
        return None
    context = views.lesson_context(view)
    context.update(
        slot=slot, get_flashed_messages=no_messages,  # a message waiting is this learner's, shown by the caller
        progress=CourseProgress(0, 0, 0, 0, completed_lesson_ids=frozenset({view.lesson.id} if complete else ())),
        reflections=[(prompt, None, ReflectionForm(prefix=prompt.key, formdata=None, text=f"\x00text:{prompt.key}\x00"))
                     for prompt, _note, _form in context["reflections"]],
    )
    app = current_app._get_current_object()
    template = app.jinja_env.get_template("learning/lesson.html")
    app.update_template_context(context)
    page = template.new_context(context)
    for _ in template.root_render_func(page):  # the whole page once: that runs its imports, which blocks use
        pass
    token = generate_csrf()
    blocks = {name: Markup("".join(template.blocks[name](page)).replace(token, slot("csrf")))  # noqa: S704
              for name in ("title", "before_content", "content")}  # (the template's own output, escaped there)
    whole = render_template("learning/lesson_filled.html", **blocks, current_user=SOMEONE,
                            get_flashed_messages=no_messages)
    return Skeleton(blocks["title"], blocks["before_content"], cut(blocks["content"], _IDS),
                    cut(whole.replace(token, slot("csrf")), _IDS),
                    tuple((prompt.id, prompt.key) for prompt, _note, _form in context["reflections"]))


def _module_mark() -> Markup:
    """The "Complete" tag after a completed module's name in the course contents, with its leading space."""
    global _MODULE_MARK
    if _MODULE_MARK is None:
        _MODULE_MARK = Markup(current_app.jinja_env.from_string(  # noqa: S704 - the template's tag macro
            "{% import 'macros/nhs.html' as nhs %} {{ nhs.tag('Complete', 'green') }}").render())
    return _MODULE_MARK


_MODULE_MARK: Markup | None = None


def _record_visit(row, lesson_id: int) -> None:
    """Remember where the learner is, for "Continue": only when they moved on, or every few minutes
    (`services.visit_worth_recording` decides), as one UPDATE committed on its own."""
    now = utcnow()
    if not services.visit_worth_recording(row.last_lesson_id, row.last_activity_at, lesson_id, now):
        return
    conn = database.reader()
    conn.execute(update(_enrolments).where(_enrolments.c.id == row.enrolment_id)
                 .values(last_lesson_id=lesson_id, last_activity_at=now))
    conn.commit()
