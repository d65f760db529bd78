"""Which published ids learners have data on, found from the foreign keys that point at them."""

from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError

from lms.catalog.models import Course, CourseAsset, CourseStaff, Lesson, Module, Question, ReflectionPrompt
from lms.extensions import db

CONTENT_MODELS = (Module, Lesson, Question, ReflectionPrompt)
CATALOG_TABLES = {m.__table__ for m in (Course, CourseAsset, CourseStaff, *CONTENT_MODELS)}


def learner_references(table):
    """Columns outside the catalog that refer to rows of `table` (progress, attempts, notes...)."""
    for other in db.metadata.sorted_tables:
        if other in CATALOG_TABLES:
            continue
        for fk in other.foreign_keys:
            if fk.column.table is table:
                yield fk.parent


def ids_with_learner_data(course_id: int) -> set[str]:
    """Stable ids of this course's modules, lessons, questions and prompts that learners have data on.

    Any table that refers to a content row counts, so a new kind of learner data is covered
    as soon as its table has a foreign key.
    """
    found: set[str] = set()
    for model in CONTENT_MODELS:
        for column in learner_references(model.__table__):
            rows = db.session.execute(
                select(model.key).where(model.course_id == course_id, model.id.in_(select(column)))
            )
            found.update(rows.scalars())
    # A module holding a lesson with learner data has learner data too.
    found.update(db.session.scalars(
        select(Module.key).join(Lesson, Lesson.module_id == Module.id)
        .where(Module.course_id == course_id, Lesson.key.in_(found))
    ))
    return found


def learner_data_by_course() -> dict[str, set[str]]:
    """{course key: ids with learner data} for every published course."""
    return {key: ids_with_learner_data(course_id)
            for course_id, key in db.session.execute(select(Course.id, Course.key))}


def published_revisions() -> dict[str, str]:
    """{course key: revision it was last published from}, so a build can skip what has not changed."""
    return {key: revision for key, revision in db.session.execute(select(Course.key, Course.revision))}


def learner_data_if_available() -> dict[str, set[str]] | None:
    """`learner_data_by_course()`, or None when there is no migrated database to ask (a
    checking machine with no database, or one nobody has migrated), so checks can still run."""
    try:
        tables = set(inspect(db.engine).get_table_names())
        needed = {Course.__table__.name} | {m.__table__.name for m in CONTENT_MODELS}
        if not needed <= tables:
            return None
        return learner_data_by_course()
    except SQLAlchemyError:
        db.session.rollback()
        return None
