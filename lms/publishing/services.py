"""Publish a compiled course: upsert every item by its stable id, in the caller's transaction.

Nothing that did not change is written. An item that left the content is deleted when no
learner has data on it, kept as `retired` when the course lists it in `retired`, and
refused otherwise. The caller commits once, so a build is all or nothing.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import defer

from courses import CompileCache, CompiledCourse, compile_source
from lms import audit
from lms.accounts.models import Organisation
from lms.catalog.models import Course, CourseAsset, Lesson, Module, Question, ReflectionPrompt
from lms.extensions import db
from lms.publishing.models import SourceRevision
from lms.publishing.queries import ids_with_learner_data
from lms.publishing.sources import DatabaseSource

log = logging.getLogger(__name__)


class PublishError(Exception):
    """The course cannot be published as it stands; the message says why and how to fix it."""


@dataclass
class PublishSummary:
    course: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired or self.removed)

    def __str__(self) -> str:
        return (f"{self.course}: {self.created} created, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.retired} retired, {self.removed} removed")


def count_items(compiled: CompiledCourse) -> int:
    """Modules, lessons, questions and prompts: what a summary counts."""
    return sum(1 + sum(1 + len(lesson.questions) + len(lesson.reflections) for lesson in module.lessons)
               for module in compiled.modules)


def publish_course(
    compiled: CompiledCourse, now: datetime, on_lesson: Callable[[], None] | None = None, *,
    actor_id: int | None = None, via: str = "cli",
) -> PublishSummary:
    """Bring the database in line with `compiled`; flushes, never commits.

    A course whose revision changes gets a `course.published` audit entry (before and after revision).
    """
    summary = PublishSummary(compiled.id)
    course = db.session.scalar(select(Course).where(Course.key == compiled.id))
    if course is not None and course.revision == compiled.revision:
        summary.unchanged = count_items(compiled)
        return summary  # the same source files: nothing to write
    _check_references(compiled, course)
    old_revision = course.revision if course is not None else None

    course_values = _course_values(compiled)
    if course is None:
        course = Course(key=compiled.id, published_at=now, **course_values)
        db.session.add(course)
        db.session.flush()
    else:
        _apply(course, course_values)
    course.updated_at = now
    upsert = _Upserter(course.id, summary)

    for module in compiled.modules:
        module_row = upsert(Module, module.id, {
            "title": module.title, "tracks": list(module.tracks), "position": module.position,
            "intro_html": dict(module.intro_html), "content_hash": module.content_hash,
        })
        for lesson in module.lessons:
            lesson_row = upsert(Lesson, lesson.id, {
                "module_id": module_row.id, "title": lesson.title, "tracks": list(lesson.tracks),
                "position": lesson.position, "estimated_minutes": dict(lesson.estimated_minutes),
                "outcomes": list(lesson.outcomes), "pass_mark": lesson.pass_mark,
                "attempts": lesson.attempts, "required": lesson.required, "shuffle": lesson.shuffle,
                "draw": None if lesson.draw is None else lesson.draw.to_dict(),
                "shuffle_questions": lesson.shuffle_questions, "hint_penalty": lesson.hint_penalty,
                "reveal": lesson.reveal,
                "html": dict(lesson.html), "content_hash": lesson.content_hash,
                "source_path": _relative(lesson.source_path, compiled),
                "kind": lesson.kind,
                "assignment": None if lesson.assignment is None else lesson.assignment.to_dict(),
            })
            for position, question in enumerate(lesson.questions, start=1):
                previous = upsert.existing(Question).get(question.id)
                spec, content_hash = question.to_dict(), question.content_hash
                if previous is not None and previous.content_hash != content_hash:
                    spec = stable_choice_keys(previous.spec, spec)
                    if same_meaning(previous.spec, spec):
                        # Only the order changed: the same version for statistics and reviews.
                        content_hash = previous.content_hash
                        spec = {**spec, "content_hash": content_hash}
                    elif same_answers(previous.spec, spec):
                        # Still comparable for statistics (e.g. a distractor added): count earlier answers too.
                        spec = {**spec, "comparable_hashes": [*previous.spec.get("comparable_hashes", []),
                                                              previous.content_hash]}
                row = upsert(Question, question.id, {
                    "lesson_id": lesson_row.id, "position": position, "tracks": list(question.tracks),
                    "spec": spec, "content_hash": content_hash,
                })
                if row.spec != spec:  # a reorder keeps the hash, so the upsert left the spec as it was
                    row.spec = spec
            for position, prompt in enumerate(lesson.reflections, start=1):
                upsert(ReflectionPrompt, prompt.id, {
                    "lesson_id": lesson_row.id, "position": position, "tracks": list(prompt.tracks),
                    "prompt_html": prompt.prompt_html,
                })
            if on_lesson:
                on_lesson()

    _remove_leftovers(course, compiled, upsert.seen, summary)
    _publish_assets(course, compiled)
    audit.record("course.published", "course", course.id, actor_id=actor_id, via=via, now=now,
                 before={"revision": old_revision} if old_revision else None,
                 after={"revision": compiled.revision, "status": course.status, "created": summary.created,
                        "updated": summary.updated, "retired": summary.retired, "removed": summary.removed})
    db.session.flush()
    log.info("published %s", summary)
    return summary


def _course_values(compiled: CompiledCourse) -> dict[str, Any]:
    return {
        "slug": compiled.slug, "title": compiled.title, "summary": compiled.summary,
        "tracks": list(compiled.tracks), "cpd_hours": dict(compiled.cpd_hours),
        "outcomes": [{"id": o.id, "text": o.text, "tracks": list(o.tracks)} for o in compiled.outcomes],
        "pass_mark": compiled.pass_mark, "partner_id": compiled.partner,
        "certificate_issue": compiled.certificate.issue,
        "certificate_valid_months": compiled.certificate.valid_for_months,
        "status": compiled.status, "overview_html": dict(compiled.overview_html),
        "retired_keys": list(compiled.retired), "revision": compiled.revision,
        "content_hash": compiled.content_hash,
        "marking": {"second_marking": compiled.marking.second_marking,
                    "moderation": compiled.marking.moderation},
    }


def _check_references(compiled: CompiledCourse, course: Course | None) -> None:
    clash = db.session.scalar(select(Course).where(Course.slug == compiled.slug, Course.key != compiled.id))
    if clash is not None:
        raise PublishError(f"{compiled.id}: the slug '{compiled.slug}' is already used by the course "
                           f"'{clash.key}'; give this course another `slug` in course.md")
    if compiled.partner and db.session.get(Organisation, compiled.partner) is None:
        raise PublishError(f"{compiled.id}: partner '{compiled.partner}' is not a known organisation; "
                           "use an organisation id from `flask orgs sync`, e.g. imperial-college-london")


def _apply(row, values: dict[str, Any]) -> bool:
    """Set only the values that differ; True if anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


#: Columns that a row's `content_hash` covers. A row whose hash is unchanged keeps them as they
#: are, so they are not even loaded: a rebuild after a typo fix reads ids and hashes, not every
#: lesson's HTML.
HASHED_COLUMNS = {
    Module: ("title", "tracks", "intro_html"),
    Lesson: ("title", "tracks", "estimated_minutes", "outcomes", "pass_mark", "attempts", "required",
             "shuffle", "html",
             "draw", "shuffle_questions", "hint_penalty", "reveal", "kind", "assignment"),
    Question: ("tracks", "spec"),
}


def stable_choice_keys(old_spec: dict[str, Any], new_spec: dict[str, Any]) -> dict[str, Any]:
    """`new_spec` with each choice keeping the key it had in `old_spec` when its text is the same.

    Stored answers and statistics refer to choices by key, so a key must keep meaning the same choice when an
    educator reorders, inserts or removes choices. A new choice gets a key never used by this question before.
    """
    if new_spec.get("type") not in ("single", "multiple"):
        return new_spec  # true/false keys are "true"/"false"; other types have no choices
    old_keys = {_choice_text(c): c["key"] for c in old_spec.get("choices", [])}
    taken = {c["key"] for c in old_spec.get("choices", [])}
    kept = [old_keys.pop(_choice_text(c), None) for c in new_spec.get("choices", [])]
    taken.update(k for k in kept if k)
    fresh = (k for k in (*string.ascii_lowercase, *(f"c{n}" for n in range(27, 1000))) if k not in taken)
    choices = [{**c, "key": key or next(fresh)} for c, key in zip(new_spec["choices"], kept, strict=True)]
    return {**new_spec, "choices": choices}


def same_meaning(old_spec: dict[str, Any], new_spec: dict[str, Any]) -> bool:
    """True when two specs differ at most in the order of their choices (keys already made stable)."""
    def canonical(spec: dict[str, Any]) -> dict[str, Any]:
        return {**spec, "choices": sorted(spec.get("choices", []), key=lambda c: c["key"]), "content_hash": None}

    return canonical(old_spec) == canonical(new_spec)


def same_answers(old_spec: dict[str, Any], new_spec: dict[str, Any]) -> bool:
    """True when the question asks the same and the same choices (by key) are correct: answers to either
    version mean the same, so statistics may count both."""
    def answers(spec: dict[str, Any]) -> tuple:
        return (spec.get("type"), spec.get("stem_html"), spec.get("points"),
                sorted(c["key"] for c in spec.get("choices", []) if c.get("correct")),
                sorted(spec.get("accepted", [])), spec.get("numeric"),
                # ordering and matching: the right order and the right pairs are the answers
                spec.get("order"), sorted((p["key"], p["match"]) for p in spec.get("pairs", [])))

    return bool(new_spec.get("choices")) and answers(old_spec) == answers(new_spec)


def _choice_text(choice: dict[str, Any]) -> str:
    return " ".join(choice.get("html", "").split())


class _Upserter:
    """Creates or updates content rows by stable id, counting what it did."""

    def __init__(self, course_id: int, summary: PublishSummary):
        self.course_id = course_id
        self.summary = summary
        self.rows: dict[type, dict[str, Any]] = {}
        self.seen: dict[type, set[str]] = {}

    def existing(self, model) -> dict[str, Any]:
        if model not in self.rows:
            hashed = [defer(getattr(model, name)) for name in HASHED_COLUMNS.get(model, ())]
            self.rows[model] = {row.key: row for row in db.session.scalars(
                select(model).where(model.course_id == self.course_id).options(*hashed))}
            self.seen[model] = set()
        return self.rows[model]

    def __call__(self, model, key: str, values: dict[str, Any]):
        rows = self.existing(model)
        self.seen[model].add(key)
        values = {**values, "retired": False}
        row = rows.get(key)
        hashed = HASHED_COLUMNS.get(model, ())
        if hashed and row is not None and row.content_hash == values["content_hash"]:
            values = {name: value for name, value in values.items() if name not in hashed}
        if row is None:
            row = model(course_id=self.course_id, key=key, **values)
            db.session.add(row)
            db.session.flush()  # children need its id
            rows[key] = row
            self.summary.created += 1
        elif _apply(row, values):
            self.summary.updated += 1
        else:
            self.summary.unchanged += 1
        return row


def _remove_leftovers(course: Course, compiled: CompiledCourse, seen: dict[type, set[str]],
                      summary: PublishSummary) -> None:
    with_data = ids_with_learner_data(course.id)
    retired_ok = set(compiled.retired)
    # Children first, so nothing is deleted while something still refers to it.
    for model in (Question, ReflectionPrompt, Lesson, Module):
        leftovers = db.session.scalars(select(model).where(
            model.course_id == course.id, model.retired.is_(False), model.key.not_in(seen.get(model, set()))
        )).all()
        for row in leftovers:
            kept_by_children = model is Module and db.session.scalar(
                select(Lesson.id).where(Lesson.module_id == row.id).limit(1)) is not None
            kept_by_children = kept_by_children or (model is Lesson and db.session.scalar(
                select(Question.id).where(Question.lesson_id == row.id).union(
                    select(ReflectionPrompt.id).where(ReflectionPrompt.lesson_id == row.id)).limit(1)
            ) is not None)
            if row.key in with_data or kept_by_children:
                if row.key not in retired_ok and not kept_by_children:
                    raise PublishError(
                        f"{compiled.id}: '{row.key}' was removed but learners have data on it; put it "
                        "back, or list it under `retired` in course.md to keep their data and hide it")
                row.retired = True
                summary.retired += 1
            else:
                db.session.delete(row)
                summary.removed += 1
        db.session.flush()


def _publish_assets(course: Course, compiled: CompiledCourse) -> None:
    existing = {a.path: a for a in db.session.scalars(select(CourseAsset).where(CourseAsset.course_id == course.id))}
    wanted = {asset.path for asset in compiled.assets}
    for asset in compiled.assets:
        row = existing.get(asset.path)
        if row is not None and row.sha256 == asset.sha256:
            continue
        data = compiled.source.read(asset.path) if compiled.source else asset.source_path.read_bytes()
        if row is None:
            db.session.add(CourseAsset(course_id=course.id, path=asset.path, media_type=asset.media_type,
                                       sha256=asset.sha256, data=data))
        else:
            row.media_type, row.sha256, row.data = asset.media_type, asset.sha256, data
    gone = set(existing) - wanted
    if gone:
        db.session.execute(delete(CourseAsset).where(CourseAsset.course_id == course.id,
                                                     CourseAsset.path.in_(gone)))


def _relative(path, compiled: CompiledCourse) -> str:
    try:
        return str(path.relative_to(compiled.source_dir.parent))
    except ValueError:
        return str(path)


def publish_revision(revision: SourceRevision, now: datetime, *, actor_id: int | None, via: str,
                     cache: CompileCache | None = None,
                     on_lesson: Callable[[], None] | None = None) -> PublishSummary:
    """Compile a stored source revision (learner data checked) and publish it with `publish_course`;
    flushes, never commits. Raises PublishError when the revision has errors or its course.md names
    another course than the revision's."""
    course = db.session.scalar(select(Course).where(Course.key == revision.course_key))
    learner_data = {course.key: ids_with_learner_data(course.id)} if course is not None else {}
    result = compile_source(DatabaseSource(revision), ids_with_learner_data=learner_data, cache=cache)
    if result.exit_code != 0 or not result.courses:
        shown = "; ".join(str(f) for f in result.errors[:3])
        raise PublishError(f"{revision.course_key}: revision {revision.number} has errors ({shown})")
    compiled = result.courses[0]
    if compiled.id != revision.course_key:
        raise PublishError(f"{revision.course_key}: revision {revision.number} is of the course "
                           f"'{compiled.id}'")
    return publish_course(compiled, now, on_lesson, actor_id=actor_id, via=via)


def check_references(compiled: CompiledCourse) -> None:
    """Raise PublishError if the course's slug or partner would be refused at publishing."""
    _check_references(compiled, None)
