"""Learners' pages: course page and enrolment, lessons, quizzes, reflections, dashboard, record."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from courses import LISTED_TYPES, QuestionSpec, choice_order, grade, item_results
from lms.accounts import kept_forms, sessions
from lms.catalog import queries as catalog_queries
from lms.catalog.models import Course, Lesson, Module, Question, ReflectionPrompt
from lms.catalog.tracks import default_track, track_label
from lms.catalog.views import course_or_404
from lms.clock import utcnow
from lms.dates import iso_date, london_date
from lms.exports import csv_response
from lms.extensions import db, login_manager
from lms.forms import ActionForm
from lms.learning import completion, pagecache, queries, reveal, services
from lms.learning import dashboard as my_learning
from lms.learning.forms import QuizForm, ReflectionForm, TrackForm
from lms.learning.models import Enrolment, QuizAttempt
from lms.learning.progress import CourseProgress, OutlineLesson, compute_progress, course_structures

bp = Blueprint("learning", __name__)
# A reflection or quiz posted after the session ended is put back into the lesson page after sign-in.
kept_forms.refilled_by("learning.reflection", "learning.quiz")


# --- course page and enrolment -------------------------------------------------------------


@bp.get("/courses/<slug>/")
def course_page(slug: str):
    course = course_or_404(slug)
    enrolment = queries.enrolment_for(current_user, course)
    outline = queries.outline_of(course)
    track = _shown_track(course, enrolment)
    progress = queries.progress_for(enrolment, outline) if enrolment else None
    form = TrackForm(track=enrolment.track if enrolment else _suggested_track(course))
    form.set_tracks(course.tracks)
    return render_template(
        "learning/course.html", course=course, enrolment=enrolment, track=track, form=form,
        modules=queries.live_modules(course), outline=[ol for ol in outline if track in ol.tracks],
        progress=progress, minutes=catalog_queries.estimated_minutes([course.id])[course.id].get(track, 0),
        staff_role=catalog_queries.staff_role(current_user, course),
    )


@bp.post("/courses/<slug>/enrol")
@login_required
def enrol(slug: str):
    course = course_or_404(slug)
    form = TrackForm()
    form.set_tracks(course.tracks)
    if not form.validate_on_submit():
        flash("Choose a track to enrol.", "error")
        return redirect(url_for("learning.course_page", slug=slug))
    services.enrol(current_user, course, form.track.data, utcnow())
    db.session.commit()
    flash(f"You are enrolled on {course.title} ({track_label(form.track.data)} track).", "success")
    return redirect(url_for("learning.course_page", slug=slug))


@bp.post("/courses/<slug>/track")
@login_required
def switch_track(slug: str):
    course = course_or_404(slug)
    enrolment = queries.enrolment_for(current_user, course) or abort(404)
    form = TrackForm()
    form.set_tracks(course.tracks)
    if form.validate_on_submit():
        try:
            services.switch_track(enrolment, form.track.data, utcnow())
        except services.LearningError as error:
            flash(str(error), "error")
            return redirect(url_for("learning.course_page", slug=slug))
        db.session.commit()
        flash(f"You are now on the {track_label(form.track.data)} track. Lessons the tracks share stay complete.",
              "success")
    return redirect(url_for("learning.course_page", slug=slug))


def _suggested_track(course: Course) -> str:
    group = current_user.professional_group if current_user.is_authenticated else None
    return default_track(group, course.tracks)


def _shown_track(course: Course, enrolment: Enrolment | None) -> str:
    """The enrolled track; otherwise the one asked for (staff preview, browsing), or the suggestion."""
    if enrolment is not None:
        return enrolment.track
    asked = request.args.get("track")
    return asked if asked in course.tracks else _suggested_track(course)


# --- lessons ---------------------------------------------------------------------------------


@dataclass
class LessonView:
    """Everything a lesson URL resolves to, after the access check."""

    course: Course
    module: Module
    lesson: Lesson
    enrolment: Enrolment | None
    staff_role: str | None
    track: str
    outline: list[OutlineLesson]


def open_lesson(slug: str, module_key: str, lesson_key: str) -> LessonView:
    """Resolve a lesson URL. Only enrolled learners and the course's staff get in; others 404 or log in."""
    course = course_or_404(slug)
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    row = db.session.execute(
        select(Lesson, Module).join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id == course.id, Lesson.key == lesson_key, Module.key == module_key,
               Lesson.retired.is_(False))
    ).first()
    if row is None:
        abort(404)
    lesson, module = row
    enrolment = queries.enrolment_for(current_user, course)
    # Staff previews matter only to people not enrolled, or asking for another track.
    wants_preview = enrolment is None or "track" in request.args
    staff_role = catalog_queries.staff_role(current_user, course) if wants_preview else None
    if enrolment is None and staff_role is None:
        abort(403)
    track = enrolment.track if enrolment else _shown_track(course, None)
    if staff_role and request.args.get("track") in course.tracks:
        track = request.args["track"]
    if track not in lesson.tracks:
        abort(404)
    return LessonView(course, module, lesson, enrolment, staff_role, track, queries.outline_of(course))


def lesson_url(view_or_course, module_key: str | None = None, lesson_key: str | None = None, **kwargs) -> str:
    if isinstance(view_or_course, LessonView):
        v = view_or_course
        return url_for("learning.lesson", slug=v.course.slug, module_key=v.module.key, lesson_key=v.lesson.key,
                       **kwargs)
    return url_for("learning.lesson", slug=view_or_course.slug, module_key=module_key, lesson_key=lesson_key,
                   **kwargs)


@bp.get("/courses/<slug>/<module_key>/<lesson_key>/")
def lesson(slug: str, module_key: str, lesson_key: str):  # looks the session up itself (see below)
    fast = pagecache.lesson_page(slug, module_key, lesson_key)  # reading lessons, drawn once per revision
    if fast is not None:
        return fast
    view = open_lesson(slug, module_key, lesson_key)
    kept_quiz, kept_notes = kept_forms.take("learning.quiz"), kept_forms.take("learning.reflection")
    answers = _kept_answers(services.questions_for(view.lesson, view.track), kept_quiz) if kept_quiz else None
    page = render_lesson(view, answers=answers, kept_notes=kept_notes)
    if view.enrolment is not None:
        services.record_visit(view.enrolment, view.lesson, utcnow())
    db.session.commit()  # after rendering, so nothing is loaded twice
    return page


# The page cache looks the session up in its own statement, so the before-request hook leaves it.
sessions.LOOKED_UP_BY_VIEW.add("learning.lesson")


def _missing_answer(question: Question) -> str:
    """What to do about an unanswered question, in the words of its kind of input."""
    kind = question.spec["type"]
    if kind == "multiple":
        return "choose at least one answer"
    if kind in ("single", "truefalse"):
        return "choose an answer"
    if kind == "ordering":
        return "choose a position for every item"
    if kind == "matching":
        return "choose a match for every item"
    return "enter a number" if kind == "numeric" else "enter an answer"


def _answer_problem(question: Question, answers: dict) -> str | None:
    """Why a question's answer cannot be submitted yet (missing, or a list question half done); None if it can."""
    answer = answers.get(question.key)
    if answer is None:
        return _missing_answer(question)
    kind = question.spec["type"]
    if kind in LISTED_TYPES and len(answer) < len(_listed_keys(question)):
        return _missing_answer(question)
    if kind == "ordering" and len(set(answer.values())) < len(answer):
        return "give each item a different position"
    return None


def _listed_keys(question: Question) -> list[str]:
    """The keys of the items a learner answers one by one: ordering items, or matching's left-hand items."""
    items = question.spec.get("pairs" if question.spec["type"] == "matching" else "choices", [])
    return [item["key"] for item in items]


def _listed_answer(question: Question, value_of) -> dict:
    """An ordering answer ({item key: position}) or a matching one ({item key: choice key}) from the form's
    one field per item (`value_of(name)` gives a field's text); unchosen items left out."""
    answer: dict = {}
    choice_keys = {c["key"] for c in question.spec.get("choices", [])}
    for key in _listed_keys(question):
        value = (value_of(f"answer-{question.key}-{key}") or "").strip()
        if question.spec["type"] == "ordering" and value.isdigit() and 1 <= int(value) <= len(choice_keys):
            answer[key] = int(value)
        elif question.spec["type"] == "matching" and value in choice_keys:
            answer[key] = value
    return answer


def _kept_answers(questions: list[Question], fields: dict[str, list[str]]) -> dict:
    """Quiz answers from a kept form, shaped as `read_answers` shapes them."""
    answers = {}
    for question in questions:
        if question.spec["type"] in LISTED_TYPES:
            listed = _listed_answer(question, lambda name: (fields.get(name) or [""])[0])
            if listed:
                answers[question.key] = listed
            continue
        values = [v for v in fields.get(f"answer-{question.key}", []) if v.strip()]
        if values:
            answers[question.key] = values if question.spec["type"] == "multiple" else values[0].strip()
    return answers


def render_lesson(view: LessonView, answers: dict | None = None, errors: dict | None = None,
                  reflection_errors: dict | None = None, status: int = 200, already: QuizAttempt | None = None,
                  kept_notes: dict | None = None):
    """The lesson page: content, reflections, and the quiz (answers never included before submission)."""
    return render_template("learning/lesson.html", **lesson_context(
        view, answers=answers, errors=errors, reflection_errors=reflection_errors, already=already,
        kept_notes=kept_notes)), status


def lesson_context(view: LessonView, answers: dict | None = None, errors: dict | None = None,
                   reflection_errors: dict | None = None, already: QuizAttempt | None = None,
                   kept_notes: dict | None = None) -> dict:
    """What `learning/lesson.html` is drawn from (`render_lesson`; `pagecache` draws its skeleton from it)."""
    questions = services.questions_for(view.lesson, view.track)
    draft = None
    attempts: list[QuizAttempt] = []
    progress: CourseProgress | None = None
    if view.enrolment is not None:
        progress = queries.progress_for(view.enrolment, view.outline)
        attempts = queries.attempts_for(view.enrolment, view.lesson) if questions else []
        if questions and not _attempts_exhausted(view.lesson, attempts):
            draft = services.open_quiz(view.enrolment, view.lesson, utcnow())  # the caller commits
    # A learner sees the questions drawn for their attempt; staff previewing see the whole bank.
    shown = services.shown_questions(view.lesson, view.track, draft) if draft else questions
    quiz = _quiz_items(shown, draft, answers if answers is not None else (draft.answers if draft else {}),
                       hint_penalty=view.lesson.hint_penalty)
    track_lessons = [ol for ol in view.outline if view.track in ol.tracks]
    index = next((i for i, ol in enumerate(track_lessons) if ol.id == view.lesson.id), 0)
    return dict(
        v=view, slot=None, lesson_done=pagecache.LESSON_DONE, quiz=quiz, draft=draft, attempts=attempts,
        best=max((a.percent for a in attempts), default=None), progress=progress,
        track_lessons=track_lessons, modules=queries.live_modules(view.course),
        lessons_by_module=_by_module(track_lessons),
        previous=track_lessons[index - 1] if index > 0 else None,
        next=track_lessons[index + 1] if index + 1 < len(track_lessons) else None,
        reflections=[(p, n, _reflection_form(p, n, reflection_errors, kept_notes))
                     for p, n in queries.prompts_and_notes(view.lesson, view.track, current_user)],
        reflection_errors=reflection_errors or {}, errors=errors or {}, action_form=ActionForm(), already=already,
        quiz_form=QuizForm(token=draft.token if draft else ""), bank_size=len(questions),
        per_attempt=len(shown) if draft else services.questions_per_attempt(view.lesson, view.track),
        attempts_left=None if view.lesson.attempts is None else max(view.lesson.attempts - len(attempts), 0),
    )


def _by_module(lessons: list[OutlineLesson]) -> dict[int, list[OutlineLesson]]:
    grouped: dict[int, list[OutlineLesson]] = {}
    for lesson in lessons:
        grouped.setdefault(lesson.module_id, []).append(lesson)
    return grouped


def _reflection_form(prompt: ReflectionPrompt, note, errors: dict | None,
                     kept: dict | None = None) -> ReflectionForm:
    if errors and f"{prompt.key}-text" in request.form:
        form = ReflectionForm(prefix=prompt.key)  # what was typed (in any prompt of the page), with its error
        form.text.errors = [errors[prompt.key]] if prompt.key in errors else []
        return form
    kept_text = (kept or {}).get(f"{prompt.key}-text")
    if kept_text:  # typed before the session ended, not saved yet
        return ReflectionForm(prefix=prompt.key, formdata=None, text=kept_text[0])
    return ReflectionForm(prefix=prompt.key, formdata=None, text=note.text if note else "")


def _attempts_exhausted(lesson: Lesson, attempts: list[QuizAttempt]) -> bool:
    return lesson.attempts is not None and len(attempts) >= lesson.attempts


def _quiz_items(questions: list[Question], draft, answers: dict, hint_penalty: float = 0.0) -> list[dict]:
    """The quiz as the form shows it: public views only, in this attempt's choice order, each with what a
    hint costs (a percentage of its marks)."""
    items = []
    for number, question in enumerate(questions, start=1):
        spec = QuestionSpec.from_dict(question.spec)
        shown = draft.hints_shown.get(question.key, 0) if draft else 0
        public = spec.public_view(hints_shown=shown)
        order = draft.choice_order.get(question.key) if draft else None
        if spec.type in LISTED_TYPES and not order:  # a staff preview: shuffled too, or it shows the answer
            order = choice_order(spec, question.key)
        if order:
            by_key = {c["key"]: c for c in public["choices"]}
            public["choices"] = [by_key[k] for k in order if k in by_key]
        items.append({"number": number, "key": question.key, "q": public, "answer": answers.get(question.key),
                      "hint_penalty": hint_penalty})
    return items


#: Longest typed answer kept (a short answer is a few words; this stops a megabyte pasted in).
ANSWER_MAX = 2_000


def read_answers(questions: list[Question]) -> dict:
    """The learner's answers from the form: a key, a list of keys, text, or {item key: position or choice key},
    per question."""
    answers = {}
    for question in questions:
        field = f"answer-{question.key}"
        if question.spec["type"] == "multiple":
            value = request.form.getlist(field)[:len(question.spec.get("choices", []))]
        elif question.spec["type"] in LISTED_TYPES:
            value = _listed_answer(question, request.form.get)
        else:
            value = request.form.get(field, "").strip()[:ANSWER_MAX + 1]  # one over: the check below says so
        if value:
            answers[question.key] = value
    return answers


@bp.post("/courses/<slug>/<module_key>/<lesson_key>/quiz")
def quiz(slug: str, module_key: str, lesson_key: str):
    token = request.form.get("token") or ""
    # An enrolled learner on a published course (nearly every submission) is found with the form's state in
    # one statement; anyone else goes the full way, whose checks decide. The signed-in row (what current_user
    # is made from) gives the id, so no ORM user is made unless something needs one.
    signed_in = sessions.signed_in() if "track" not in request.args else None
    found = (services.posted_quiz_at(signed_in.id, slug, module_key, lesson_key, token)
             if signed_in is not None else None)
    if found is not None:
        course, module, lesson, enrolment, posted = found
        view = LessonView(course, module, lesson, enrolment, None, enrolment.track, queries.outline_of(course))
    else:
        view = open_lesson(slug, module_key, lesson_key)
        if view.enrolment is None:
            abort(403)  # staff preview the quiz but do not take it
    # An attempt is graded on the learner's own track, whatever track a staff preview's ?track= asked for.
    view.track = view.enrolment.track
    if view.track not in view.lesson.tracks:
        abort(404)
    if not QuizForm().validate_on_submit():
        abort(400)
    if found is None:
        posted = services.posted_quiz(view.enrolment, view.lesson, view.track, token)
    recorded, draft = posted.recorded, posted.draft
    # The questions of the attempt the form belongs to: those drawn for it.
    questions = posted.questions
    answers = read_answers(questions)
    # The lesson's reflection boxes share the quiz's form, so whatever button is pressed keeps them.
    notes, note_errors = _posted_reflections(view)
    if note_errors:
        return render_lesson(view, answers=answers, reflection_errors=note_errors)
    now = utcnow()
    if recorded is not None:  # Back in the browser and sent again: change nothing, say so
        return _already_submitted(view, recorded, answers, notes)
    hint_for = request.form.get("hint")
    action = request.form.get("action", "submit")
    if action != "submit" or hint_for:
        services.save_reflections(current_user, notes, now)
        if draft is not None:
            services.save_draft(draft, answers, now)
        anchor = "quiz"
        if hint_for and draft is not None:
            question = next((q for q in questions if q.key == hint_for), None) or abort(400)
            services.reveal_hint(draft, question, now)
            anchor = f"question-{question.key}"
        elif action.startswith("reflection-"):
            anchor = action
            flash("Your reflection is saved. Only you can read it."
                  + (" Your answers so far are saved too." if draft is not None else ""), "success")
        elif draft is not None:
            flash("Your answers are saved. You can finish this knowledge check later, on any device.", "success")
        db.session.commit()
        return redirect(lesson_url(view, _anchor=anchor))

    missing = {q.key: f"Question {n}: {problem}" for n, q in enumerate(questions, start=1)
               if (problem := _answer_problem(q, answers))}
    missing.update({q.key: f"Question {n}: keep your answer under {ANSWER_MAX:,} characters"
                    for n, q in enumerate(questions, start=1)
                    if isinstance(answers.get(q.key), str) and len(answers[q.key]) > ANSWER_MAX})
    if missing:
        services.save_reflections(current_user, notes, now)
        if draft is not None:
            services.save_draft(draft, answers, now)
        db.session.commit()
        return render_lesson(view, answers=answers, errors=missing, status=200)
    try:
        attempt_id = services.submit_attempt(view.enrolment, view.lesson, answers, token, now, posted)
    except services.LearningError as error:
        db.session.rollback()
        services.save_reflections(current_user, notes, now)
        db.session.commit()
        return render_lesson(view, answers=answers, errors={"quiz": str(error)}, status=200)
    # After the attempt: a racing twin rolls back only a transaction that has written nothing else.
    services.save_reflections(current_user, notes, now)
    db.session.commit()
    return redirect(url_for("learning.attempt", slug=slug, module_key=module_key, lesson_key=lesson_key,
                            attempt_id=attempt_id))


def _already_submitted(view: LessonView, recorded: QuizAttempt, answers: dict, notes: dict):
    """The same answers go to their results; other answers stay on the page, unsaved, beside a link to them.

    Reflections typed on the page are saved either way.
    """
    services.save_reflections(current_user, notes, utcnow())
    message = "You have already submitted these answers."
    if request.form.get("action") == "submit" and answers == queries.answers_of(recorded):
        db.session.commit()
        flash(f"{message} These are their results.", "info")
        return redirect(url_for("learning.attempt", slug=view.course.slug, module_key=view.module.key,
                                lesson_key=view.lesson.key, attempt_id=recorded.id))
    page = render_lesson(view, answers=answers, already=recorded)
    db.session.commit()  # the notes, and a new attempt's draft if the form needed one
    return page


@bp.get("/courses/<slug>/<module_key>/<lesson_key>/attempts/<int:attempt_id>")
def attempt(slug: str, module_key: str, lesson_key: str, attempt_id: int):
    view = open_lesson(slug, module_key, lesson_key)
    row = db.session.get(QuizAttempt, attempt_id)
    # Only the learner who made it; anyone else gets the same 404 as a missing attempt.
    mine = row is not None and view.enrolment is not None and row.enrolment_id == view.enrolment.id
    if not mine or row.lesson_id != view.lesson.id:
        abort(404)
    questions = {q.id: q for q in db.session.scalars(select(Question).where(
        Question.id.in_([r.question_id for r in row.responses])))}
    results = []
    for response in row.responses:
        question = questions[response.question_id]
        spec = QuestionSpec.from_dict(question.spec)
        order = row.choice_order.get(question.key) or [c.key for c in spec.choices]
        by_key = {c.key: c for c in spec.choices}
        if spec.type in LISTED_TYPES:
            results.append({"spec": spec, "response": response, "choices": [], "chosen": set(),
                            "item_rows": _item_rows(spec, response.answer),
                            "changed": _changed_since(question, spec, response)})
            continue
        chosen = response.answer if isinstance(response.answer, list) else [response.answer]
        results.append({"spec": spec, "response": response, "choices": [by_key[k] for k in order if k in by_key],
                        "chosen": set(c for c in chosen if isinstance(c, str) and c),
                        "changed": _changed_since(question, spec, response)})
    attempts = queries.attempts_for(view.enrolment, view.lesson)
    revealed = reveal.answers_revealed(view.lesson, attempts)
    return render_template("learning/attempt.html", v=view, attempt=row, results=results,
                           attempt_number=next(i for i, a in enumerate(attempts, 1) if a.id == row.id),
                           can_retry=not _attempts_exhausted(view.lesson, attempts), revealed=revealed,
                           when_revealed=reveal.WHEN_REVEALED.get(view.lesson.reveal, ""))


def _item_rows(spec: QuestionSpec, answer) -> list[dict]:
    """An ordering or matching answer item by item, for the results page: the item, what the learner gave and
    what is right (places, or the text of the chosen and the right match)."""
    choices = {c.key: c.html for c in spec.choices}
    items = {p.key: p.html for p in spec.pairs} if spec.type == "matching" else choices
    rows = []
    for result in item_results(spec, answer):
        given, right = result.given, result.right
        if spec.type == "matching":
            given, right = choices.get(given) if given else None, choices[right]
        rows.append({"html": items.get(result.key, ""), "given": given, "right": right, "correct": result.correct})
    return rows


def _answered_keys(answer) -> set[str]:
    """The item and choice keys a stored answer names (a key, a list of keys, or {item key: place or key})."""
    if isinstance(answer, dict):
        return set(answer) | {v for v in answer.values() if isinstance(v, str)}
    chosen = answer if isinstance(answer, list) else [answer]
    return {c for c in chosen if isinstance(c, str) and c}


def _changed_since(question: Question, spec: QuestionSpec, response) -> bool:
    """True when the question was republished in a way that would grade this answer differently (or dropped a
    choice it picked): the stored grade stands, and the review says the question has since changed."""
    if response.content_hash == question.content_hash:
        return False
    known = {choice.key for choice in spec.choices} | {pair.key for pair in spec.pairs}
    if spec.choices and _answered_keys(response.answer) - known:
        return True
    now = grade([spec], {question.key: response.answer}, pass_mark=0).results[0]
    return (now.correct, now.points_awarded) != (response.correct, response.points_awarded)


@bp.post("/courses/<slug>/<module_key>/<lesson_key>/complete")
def complete(slug: str, module_key: str, lesson_key: str):
    view = open_lesson(slug, module_key, lesson_key)
    if view.enrolment is None or not ActionForm().validate_on_submit():
        abort(403 if view.enrolment is None else 400)
    notes, errors = _posted_reflections(view)
    if errors:
        return render_lesson(view, reflection_errors=errors)  # nothing saved, every text kept on the page
    try:
        services.mark_lesson_complete(view.enrolment, view.lesson, utcnow(), notes)
    except services.LearningError as error:
        db.session.commit()  # the reflections typed are kept even so
        flash(str(error), "error")
        return redirect(lesson_url(view))
    db.session.commit()
    track_lessons = [ol for ol in view.outline if view.track in ol.tracks]
    ids = [ol.id for ol in track_lessons]
    following = track_lessons[ids.index(view.lesson.id) + 1] if view.lesson.id in ids[:-1] else None
    flash(f"‘{view.lesson.title}’ is complete.", "success")
    if following:
        return redirect(lesson_url(view.course, following.module_key, following.key))
    return redirect(url_for("learning.course_page", slug=slug))


@bp.post("/courses/<slug>/<module_key>/<lesson_key>/reflections/<prompt_key>")
def reflection(slug: str, module_key: str, lesson_key: str, prompt_key: str):
    view = open_lesson(slug, module_key, lesson_key)
    if view.enrolment is None:
        abort(403)
    prompt = db.session.scalar(select(ReflectionPrompt).where(
        ReflectionPrompt.lesson_id == view.lesson.id, ReflectionPrompt.key == prompt_key,
        ReflectionPrompt.retired.is_(False))) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    notes, errors = _posted_reflections(view)
    if errors:
        return render_lesson(view, reflection_errors=errors)
    services.save_reflections(current_user, notes, utcnow())
    db.session.commit()
    flash("Your reflection is saved. Only you can read it.", "success")
    return redirect(lesson_url(view, _anchor=f"reflection-{prompt.key}"))


def _posted_reflections(view: LessonView) -> tuple[dict[ReflectionPrompt, str], dict[str, str]]:
    """({prompt: text}, {prompt key: error}) for every prompt of the lesson whose box was posted.

    The lesson page may post several boxes at once (with "Mark as complete" or one "Save reflection").
    """
    notes, errors = {}, {}
    if not any(name.endswith("-text") for name in request.form):
        return notes, errors  # no box posted (a plain quiz submission): no need to read the prompts
    for prompt, _note in queries.prompts_and_notes(view.lesson, view.track, current_user):
        if f"{prompt.key}-text" not in request.form:
            continue
        form = ReflectionForm(prefix=prompt.key)
        if form.text.validate(form):
            notes[prompt] = form.text.data or ""
        else:
            errors[prompt.key] = form.text.errors[0]
    return notes, errors


# --- dashboard and learning record --------------------------------------------------------------


@bp.get("/dashboard")
def dashboard():  # looks the session up itself, in the page's one statement (see below)
    page = my_learning.page()
    return page if page is not None else login_manager.unauthorized()  # as login_required would


sessions.LOOKED_UP_BY_VIEW.add("learning.dashboard")


def _my_courses() -> list[dict]:
    """Each enrolment with its progress and where "Continue" goes, in a fixed number of queries."""
    enrolments = queries.my_enrolments(current_user)
    structures = course_structures(e.course for e in enrolments)
    done = queries.completed_lessons(e.id for e in enrolments)
    standing_of = completion.standings([e.id for e in enrolments])
    rows = []
    for enrolment in enrolments:
        outline = structures[enrolment.course_id].lessons
        progress = compute_progress(outline, enrolment.track, done[enrolment.id], enrolment.last_lesson_id)
        following = next((ol for ol in outline if ol.id == progress.next_lesson_id), None)
        completed = completion.completion_of(enrolment)
        rows.append({
            "enrolment": enrolment, "course": enrolment.course, "progress": progress, "completion": completed,
            # Once complete, the hours are those of the completion (a snapshot), not of the course now.
            "hours": completion.shown_hours(enrolment.completed_at, enrolment.completion_snapshot,
                                            enrolment.course.hours_for(enrolment.track)),
            "track": completion.shown_track(enrolment.completion_snapshot, enrolment.track),
            "standing": standing_of.get(enrolment.id),
            "earned": completion.earned_hours(enrolment, standing_of.get(enrolment.id)),
            "continue_url": lesson_url(enrolment.course, following.module_key, following.key) if following else None,
        })
    return rows


@bp.get("/record")
@login_required
def record():
    return render_template("learning/record.html", **_record_data())


@bp.get("/record/print")
@login_required
def record_print():
    return render_template("learning/record_print.html", printed_on=london_date(utcnow()), **_record_data())


@bp.get("/record.csv")
@login_required
def record_csv():
    data = _record_data()
    # One table: a Section column says whether a row is a course or a reflection note, so the file
    # opens cleanly in a spreadsheet and can be filtered.
    rows = [["Section", "Course", "Track", "Enrolled", "Completed", "CPD hours earned", "Status", "Lesson",
             "Reflection prompt", "Last edited", "My note"]]
    for r in data["rows"]:
        enrolment, completed = r["enrolment"], r["enrolment"].completed_at
        rows.append(["Course", r["course"].title, track_label(r["track"]), iso_date(enrolment.enrolled_at),
                     iso_date(completed), f"{r['earned']:g}", record_status(r), "", "", "", ""])
    for note, prompt, lesson_row, course in data["notes"]:
        rows.append(["Reflection note", course.title, "", "", "", "", "", lesson_row.title,
                     _plain(prompt.prompt_html), iso_date(note.updated_at), note.text])
    return csv_response(rows, "my-learning-record.csv")


def _record_data() -> dict:
    rows = _my_courses()
    return {"rows": rows, "notes": queries.my_notes(current_user), "earned": sum(r["earned"] for r in rows),
            "record_status": record_status}


STANDING_TEXT = {"valid": "certificate valid", "revoked": "certificate revoked: hours not counted",
                 "expired": "certificate expired: hours not counted",
                 "superseded": "certificate replaced: hours not counted"}


def record_status(row: dict) -> str:
    """"Completed, certificate valid", "Completed, awaiting a certificate", "In progress (40%)"."""
    if not row["enrolment"].completed_at:
        return f"In progress ({row['progress'].percent}%)"
    return "Completed, " + STANDING_TEXT.get(row["standing"], "certificate awaited")


def _plain(html: str) -> str:
    """Text of rendered HTML on one line: the source's hard line breaks are not the writer's meaning."""
    blocks_apart = re.sub(r"</(?:p|li|h\d|div|dd|dt)>|<br\s*/?>", " ", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", blocks_apart)).split())
