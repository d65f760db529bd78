"""Publishing a large course's draft as a job, so the request does not wait for it."""

from __future__ import annotations

from lms import jobs
from lms.authoring import drafts
from lms.clock import utcnow
from lms.extensions import db
from lms.jobs.models import Job


@jobs.task("editor.publish")
def publish(course_key: str, version: int, message: str, requested_by: int, **_payload) -> None:
    """Publish the draft; a refusal (errors, learner data, a newer draft) is the job's result, not a
    failure to retry: the same draft would be refused again."""
    job = db.session.get(Job, jobs.current_job_id()) if jobs.current_job_id() else None
    try:
        summary, revision = drafts.publish_draft(course_key, version, message, author_id=requested_by, now=utcnow())
    except (drafts.PublishRefused, drafts.DraftConflict, drafts.EditError) as error:
        db.session.rollback()
        job = db.session.get(Job, job.id) if job else None
        refused = str(error) if not isinstance(error, drafts.DraftConflict) else \
            "someone saved the draft after you asked to publish it; check it and publish again"
        result = {"refused": refused, "findings": [str(f) for f in getattr(error, "findings", ())]}
    else:
        result = {"revision": revision.number if revision else None, "summary": str(summary)}
    if job is not None:
        job.result = result
