"""Uploading a course as a ZIP: check it like `flask content check`, then publish it through the one
publishing path as a job.

A new course needs no administrator's approval: only an administrator can give someone the educator
role, every upload is in the audit trail, and the uploader decides whether learners see the course with
`status:` in course.md, exactly as with `flask content build`. The educator who uploads a new course
becomes its educator; a course that exists already can be uploaded again only by its educators and
administrators.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

from flask import current_app
from sqlalchemy import select

from courses import CompileCache, CompiledCourse, CompileResult, Finding, ZipError, ZipSource, compile_source
from courses.report import summary_line
from lms import audit, jobs
from lms.accounts.models import User
from lms.accounts.roles import ADMIN, EDUCATOR
from lms.catalog.models import Course
from lms.catalog.queries import staff_role
from lms.catalog.services import add_course_staff
from lms.clock import utcnow
from lms.extensions import db
from lms.jobs.models import Job
from lms.publishing.models import SourceRevision
from lms.publishing.queries import ids_with_learner_data
from lms.publishing.services import PublishError, check_references, publish_revision
from lms.publishing.sources import latest_revision, record_revision

TASK = "courses.publish_upload"
PROGRESS_SECONDS = 2.0  # how often a publishing job reports how many lessons it has done
#: Who may upload a course that exists already (their staff role on it).
WRITERS = (ADMIN, EDUCATOR)


class UploadRefused(Exception):
    """The archive, or the course in it, cannot be taken; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    """An archive compiled as `flask content check` would: every finding, the summary line, and the
    course when it has no errors (and this person may publish it)."""

    findings: tuple[Finding, ...]
    summary: str
    course: CompiledCourse | None
    source: ZipSource
    is_new: bool = False

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.is_error)


def _cache() -> CompileCache:
    return CompileCache(current_app.config["CONTENT_CACHE_DIR"])


def folder_name(filename: str) -> str:
    """The course folder an archive stands for when it has no top folder: its file name without
    `.zip`, in the letters a slug may have (it is the course's default slug)."""
    stem = PurePath(filename.replace("\\", "/")).name
    stem = re.sub(r"\.zip$", "", stem, flags=re.IGNORECASE)
    return re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-_") or "course"


def check_upload(data: bytes, filename: str, user: User) -> CheckedUpload:
    """Unpack and compile an uploaded course. Raises UploadRefused for an archive that is refused
    (paths outside it, links, too many files, too large, too compressed, not a ZIP) and for a course
    this person may not publish (another team's course, a slug or partner publishing would refuse)."""
    try:
        source = ZipSource(data, folder_name(filename))
    except ZipError as error:
        raise UploadRefused(f"The file was refused: {error}.") from error
    result = compile_source(source, cache=_cache())
    named = _named_course(result)
    existing = db.session.scalar(select(Course).where(Course.key == named)) if named else None
    may_publish(named or "", existing, user)  # before any finding about someone else's course is shown
    if existing is not None and source.top_folder is None:
        # no top folder: the course keeps the folder name it has (its default slug), whatever the file is called
        latest = latest_revision(existing.key)
        source = source.renamed(latest.folder_name if latest is not None else existing.slug)
    if existing is not None:  # again with what learners have done on it (every file from the cache now)
        result = compile_source(source, ids_with_learner_data={existing.key: ids_with_learner_data(existing.id)},
                                cache=_cache())
    course = result.courses[0] if result.courses else None
    checked = CheckedUpload(result.findings, summary_line(result), course, source, is_new=existing is None)
    if course is None:
        return checked
    try:
        check_references(course)
    except PublishError as error:
        raise UploadRefused(str(error)) from error
    return checked


def _named_course(result: CompileResult) -> str | None:
    """The course id course.md gives, when it could be read."""
    return next((s.id for s in result.summaries), None)


def may_publish(course_key: str, course: Course | None, user: User) -> None:
    """Raise UploadRefused unless ``user`` may publish the course ``course_key`` (``course`` is its
    row, None for a new course)."""
    if not user.has_role(ADMIN, EDUCATOR):
        raise UploadRefused("Only educators and administrators can upload courses.")
    if course is not None and staff_role(user, course) not in WRITERS:
        raise UploadRefused(
            f"The course '{course_key}' (the id in course.md) is someone else's: you can upload new "
            "versions only of courses you are an educator on. Ask an administrator to add you to it, "
            "or give your course its own id.")


@dataclass(frozen=True, slots=True)
class Upload:
    """What became of an upload: its check, and the key of the job publishing it (None when it was
    only checked, or has errors)."""

    checked: CheckedUpload
    job_key: str | None


def upload_course(data: bytes, filename: str, user: User, *, message: str, publish: bool,
                  now: datetime) -> Upload:
    """Check an uploaded course (see ``check_upload``, which raises UploadRefused) and, when it has no
    errors and ``publish`` is asked, start publishing it. In the caller's transaction."""
    checked = check_upload(data, filename, user)
    if checked.course is None or not publish:
        return Upload(checked, None)
    return Upload(checked, start_publishing(checked, user, message, filename, now))


def start_publishing(checked: CheckedUpload, user: User, message: str, filename: str,
                     now: datetime) -> str:
    """Record the checked course's files as its next source revision (with author and message),
    audited, and enqueue the job that publishes it; returns the job's key."""
    course = checked.course
    assert course is not None
    message = message.strip() or f"Uploaded {filename}"
    revision = record_revision(checked.source, course.id, now, author_id=user.id, message=message,
                               compiled_revision=course.revision)
    if revision is None:  # the same files as the latest revision: publish that one
        revision = latest_revision(course.id)
    assert revision is not None
    audit.record("course.uploaded", "course", course.id, actor_id=user.id, now=now,
                 after={"revision": revision.number, "file": filename, "new_course": checked.is_new,
                        "message": message})
    key = f"{TASK}:{revision.id}:{uuid.uuid4().hex}"
    jobs.enqueue(TASK, key, now, revision_id=revision.id, requested_by=user.id, course=course.id)
    return key


@jobs.task(TASK)
def publish_upload(revision_id: int, requested_by: int, course: str = "") -> None:
    """Publish an uploaded revision. A refusal (someone else's course by now, ids with learner data
    removed since the check) is the job's result, not a failure to retry: the same files would be
    refused again."""
    revision = db.session.get(SourceRevision, revision_id)
    user = db.session.get(User, requested_by)
    if revision is None or user is None:
        return
    existing = db.session.scalar(select(Course).where(Course.key == revision.course_key))
    now = utcnow()
    total = sum(1 for f in revision.files if f.path.count("/") == 1 and f.path.endswith(".md")
                and not f.path.endswith("/module.md"))
    done, reported = 0, time.monotonic()

    def progress() -> None:
        # at most every PROGRESS_SECONDS: on SQLite each report waits for the job's own writes
        nonlocal done, reported
        done += 1
        if time.monotonic() - reported >= PROGRESS_SECONDS:
            reported = time.monotonic()
            jobs.report_progress(done, total)

    try:
        may_publish(revision.course_key, existing, user)
        summary = publish_revision(revision, now, actor_id=user.id, via="upload", cache=_cache(),
                                   on_lesson=progress)
    except (UploadRefused, PublishError) as error:
        db.session.rollback()
        _set_result({"course": revision.course_key, "revision": revision.number, "error": str(error)})
        return
    published = db.session.scalar(select(Course).where(Course.key == revision.course_key))
    if existing is None and user.has_role(EDUCATOR):
        add_course_staff(published, user, EDUCATOR, actor_id=user.id, via="upload")
    _set_result({"course": revision.course_key, "revision": revision.number, "slug": published.slug,
                 "summary": str(summary), "changed": summary.changed})


def _set_result(result: dict) -> None:
    job_id = jobs.current_job_id()
    if job_id is not None:
        db.session.get(Job, job_id).result = result


def find_job(key: str) -> Job | None:
    return jobs.find(key)


def job_for(job_id: int, user: User) -> Job | None:
    """An upload's publishing job, for the person who started it and administrators."""
    job = db.session.get(Job, job_id)
    if job is None or job.task != TASK:
        return None
    if not (user.has_role(ADMIN) or job.payload.get("requested_by") == user.id):
        return None
    return job
