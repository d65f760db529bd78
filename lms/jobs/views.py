"""The admin jobs page (what ran, when, why it failed, retry) and a job's status page for whoever started it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from lms.accounts.access import role_required
from lms.accounts.roles import ADMIN
from lms.extensions import db
from lms.jobs.models import DONE, FAILED, PENDING, Job
from lms.jobs.outbox import retry

bp = Blueprint("jobs", __name__)

PAGE_SIZE = 50
STATUS_FILTERS = {"": "Any status", FAILED: "Failed", PENDING: "Waiting or running", DONE: "Done"}
REFRESH_SECONDS = 5  # the status page reloads itself this often while the job is not finished


# Times are shown with lms.dates' london_time filter, the one format for people.


@bp.get("/admin/jobs")
@role_required(ADMIN)
def admin_list():
    """Every job, newest first, filtered by ?status= and ?task=, PAGE_SIZE a page."""
    status = request.args.get("status", "")
    status = status if status in STATUS_FILTERS else ""
    task = request.args.get("task", "")
    page = max(int(request.args.get("page", "1")) if request.args.get("page", "1").isdigit() else 1, 1)
    query = select(Job)
    if status:
        query = query.where(Job.status == status)
    if task:
        query = query.where(Job.task == task)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    jobs = list(db.session.scalars(query.order_by(Job.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    counts = dict(db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
    task_names = list(db.session.scalars(select(Job.task).distinct().order_by(Job.task)))
    return render_template("jobs/admin_list.html", jobs=jobs, status=status, task=task, task_names=task_names,
                           statuses=STATUS_FILTERS, counts=counts, total=total, page=page,
                           pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1))


@bp.post("/admin/jobs/<int:job_id>/retry")
@role_required(ADMIN)
def admin_retry(job_id: int):
    job = db.get_or_404(Job, job_id)
    try:
        retry(job, actor_id=current_user.id)
    except ValueError:
        flash(f"Job {job.id} is {'running' if job.running else job.status}, so it was not retried.")
        return redirect(url_for("jobs.admin_list", status=FAILED))
    db.session.commit()
    flash(f"Job {job.id} ({job.task}) will run again shortly.", "success")
    return redirect(url_for("jobs.admin_list", status=FAILED))


@bp.get("/jobs/<int:job_id>")
@login_required
def status(job_id: int):
    """How far a job has got, for the person who started it (payload requested_by) and admins; others 404."""
    job = db.session.get(Job, job_id)
    if job is None or not (current_user.has_role(ADMIN) or job.payload.get("requested_by") == current_user.id):
        abort(404)
    finished = job.status in (DONE, FAILED)
    download = (job.result or {}).get("download") if job.status == DONE else None
    if not (isinstance(download, str) and download.startswith("/") and not download.startswith("//")):
        download = None  # only a link within this site
    # WCAG 2.2.1: the person can stop the updates (?refresh=off); a Refresh header, not a meta tag or script.
    refreshing = not finished and request.args.get("refresh") != "off"
    response = make_response(render_template("jobs/status.html", job=job, finished=finished, download=download,
                                             refreshing=refreshing, refresh_seconds=REFRESH_SECONDS))
    if refreshing:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response
