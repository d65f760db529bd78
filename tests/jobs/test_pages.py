"""The admin jobs page, the retry button and a job's status page: who may see them, CSRF, what they show."""

from __future__ import annotations

from sqlalchemy import select

from lms import jobs
from lms.audit import AuditEntry
from lms.extensions import db
from lms.jobs.models import DONE, FAILED, PENDING, Job


def failed_job(app, key="broken") -> Job:
    app.config["JOBS_MAX_ATTEMPTS"] = 1
    jobs.enqueue("tests.always_fails", key)
    db.session.commit()
    job = db.session.scalar(select(Job).where(Job.key == key))
    assert job.status == FAILED
    return job


def test_only_admins_see_the_jobs_page(app, client, make_user, login):
    assert client.get("/admin/jobs").status_code == 302  # to the login page
    login(make_user("lead"))
    assert client.get("/admin/jobs").status_code == 403


def test_admins_see_what_failed_when_and_why_and_can_filter(app, client, make_user, login):
    failed_job(app)
    jobs.enqueue("tests.record", "fine", name="fine")
    db.session.commit()
    login(make_user("admin"))
    page = client.get("/admin/jobs?status=failed").get_data(as_text=True)
    assert "tests.always_fails" in page
    assert "ValueError: the drawing service is down" in page
    assert "tests.record" not in page.split("<table", 1)[1]
    assert "Retry" in page
    page = client.get("/admin/jobs?task=tests.record").get_data(as_text=True)
    assert "tests.always_fails" not in page.split("<table", 1)[1]
    assert 'href="/admin/jobs"' in client.get("/").get_data(as_text=True)  # in the admin's menu


def test_retry_needs_csrf_and_an_admin_and_is_audited(app, client, make_user, login):
    job = failed_job(app)
    job_id = job.id
    learner = make_user()
    login(learner)
    assert client.post_form(f"/admin/jobs/{job_id}/retry").status_code == 403
    client.post_form("/logout")
    admin = make_user("admin")
    login(admin)
    assert client.post(f"/admin/jobs/{job_id}/retry").status_code == 400  # no CSRF token
    db.session.expire_all()
    assert db.session.get(Job, job_id).status == FAILED
    app.config["JOBS_MAX_ATTEMPTS"] = 2
    response = client.post_form(f"/admin/jobs/{job_id}/retry")
    assert response.status_code == 302
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert (job.status, job.attempts) == (PENDING, 1)  # ran again at once (tests) and failed again
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "job.retried"))
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "job", str(job_id))
    assert entry.before["status"] == FAILED


def test_a_retried_job_that_now_works_is_done(app, client, make_user, login, monkeypatch):
    job_id = failed_job(app, key="fixed").id
    monkeypatch.setitem(jobs.outbox._registry, "tests.always_fails", lambda **payload: None)  # cause fixed
    login(make_user("admin"))
    client.post_form(f"/admin/jobs/{job_id}/retry")
    db.session.expire_all()
    assert db.session.get(Job, job_id).status == DONE
    assert client.post_form(f"/admin/jobs/{job_id}/retry").status_code == 302  # a done job is left alone
    retried = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "job.retried")).all()
    assert len(retried) == 1  # the refused second retry wrote nothing


def test_the_status_page_is_for_whoever_started_the_job_and_admins(app, client, make_user, login):
    app.config["JOBS_IMMEDIATE"] = False
    owner, other = make_user(), make_user()
    jobs.enqueue("tests.batch", "export", total=3, requested_by=owner.id)
    db.session.commit()
    job_id = db.session.scalar(select(Job.id).where(Job.key == "export"))
    assert client.get(f"/jobs/{job_id}").status_code == 302
    login(other)
    assert client.get(f"/jobs/{job_id}").status_code == 404
    client.post_form("/logout")
    login(owner)
    response = client.get(f"/jobs/{job_id}")
    assert response.status_code == 200
    assert response.headers["Refresh"] == "5"
    assert "Stop updating this page" in response.get_data(as_text=True)
    stopped = client.get(f"/jobs/{job_id}?refresh=off")  # WCAG 2.2.1: the person may stop the updates
    assert "Refresh" not in stopped.headers
    assert "Check again" in stopped.get_data(as_text=True)
    assert client.get(f"/jobs/{job_id + 1000}").status_code == 404


def test_the_status_page_shows_progress_and_then_the_download(app, client, make_user, login):
    app.config["JOBS_IMMEDIATE"] = False
    owner = make_user()
    jobs.enqueue("tests.batch", "zip", total=10, requested_by=owner.id)
    db.session.commit()
    job = db.session.scalar(select(Job).where(Job.key == "zip"))
    job.progress_done, job.progress_total = 4, 10
    db.session.commit()
    login(owner)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'value="4"' in page and 'max="10"' in page
    assert "4 of 10 done" in page
    job.status, job.result = DONE, {"download": "/manage/exports/zip-1.zip"}
    db.session.commit()
    response = client.get(f"/jobs/{job.id}")
    assert "Refresh" not in response.headers
    page = response.get_data(as_text=True)
    assert 'href="/manage/exports/zip-1.zip"' in page
    assert "Stop updating" not in page
    job.result = {"download": "https://evil.example/steal"}
    db.session.commit()
    assert "evil.example" not in client.get(f"/jobs/{job.id}").get_data(as_text=True)


def test_admins_see_every_status_page(app, client, make_user, login):
    job = failed_job(app, key="seen")
    login(make_user("admin"))
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "stopped after 1 attempts" in page
    assert "the drawing service is down" in page
