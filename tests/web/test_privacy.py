"""UK GDPR: download my data, delete my account (and admins erasing on request), retention, and the
privacy, accessibility and help pages."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from lms import audit, jobs, mail
from lms.accounts.models import KeptForm, User
from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.credentials.models import Certificate
from lms.extensions import db
from lms.jobs.models import Job
from lms.privacy import services, views
from lms.privacy.models import DataExport
from tests.web.credentials.test_certificates import complete_course
from tests.web.learning.helpers import CHECK, WRONG, enrol, submit

NAME = "Zoë Quillfeather-Nguyễn"
EMAIL = "zoe.quillfeather@example.nhs.uk"
REGISTRATION = "PA98765"
REFLECTION = "On the ward we trialled a new handover sheet"
KEPT = "Typed as the session ended: a huddle at ten"
ANSWER = "vermilion, I think"  # distinctive: a short answer like "red" is inside words such as "retired"


@pytest.fixture
def learner(client, tiny_course, imperial_signatory, make_user, login):
    """A learner with a certificate, a failed attempt with a typed answer, a reflection, an audit entry
    about them written by an admin, and an email job addressed to them."""
    user = make_user(full_name=NAME, email=EMAIL, registration_body="HCPC", registration_number=REGISTRATION)
    admin = make_user(role="admin", email="admin@example.nhs.uk")
    login(user)
    enrol(client)
    submit(client, {**WRONG, "q-second": ANSWER})
    client.post_form(CHECK + "reflections/r-think", {"r-think-text": REFLECTION})
    complete_course(client)
    audit.record("user.organisation_set", "user", user.id, actor_id=admin.id,
                 before={"email": EMAIL, "full_name": NAME, "organisation": None},
                 after={"email": EMAIL, "full_name": NAME, "organisation": "cnwl"})
    certificate = db.session.scalar(select(Certificate))
    audit.record("certificate.revoked", "certificate", certificate.id, actor_id=admin.id, after={"reason": "test"})
    mail.send(EMAIL, "welcome", key=f"welcome:{user.id}", full_name=NAME)
    db.session.add(KeptForm(user_id=user.id, created_at=utcnow(), endpoint="learning.reflection", page=CHECK,
                            fields={"r-think-text": [KEPT]}))  # text posted after a session ended
    db.session.commit()
    assert db.session.scalar(select(Certificate.snapshot)).get("learner_name") == NAME
    return user


def tables_holding(*needles: str) -> list[str]:
    """Every table.column whose value contains any of `needles` (case-insensitive, also JSON-escaped)."""
    forms = {n.lower() for n in needles} | {json.dumps(n)[1:-1].lower() for n in needles}
    found = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                for column, value in zip(table.columns, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(value, bytes | memoryview):
                        text = bytes(value).decode("latin-1")
                    elif isinstance(value, dict | list):
                        text = json.dumps(value, ensure_ascii=False) + json.dumps(value)
                    else:
                        text = str(value)
                    if any(form in text.lower() for form in forms):
                        found.append(f"{table.name}.{column.name}")
    return sorted(set(found))


def test_download_my_data_builds_a_zip_as_a_job_that_only_they_can_fetch(app, client, learner, make_user):
    assert "Download your data" in client.get("/profile").get_data(as_text=True)
    response = client.post_form("/profile/data")
    assert response.status_code == 302
    status_url = response.headers["Location"]
    job = db.session.scalar(select(Job).where(Job.task == "privacy.export"))
    assert job.status == "done", job.last_error
    page = client.get(status_url)
    assert "Refresh" not in page.headers and "Your data is ready" in page.get_data(as_text=True)
    export = db.session.scalar(select(DataExport))
    download = client.get(f"/profile/data/{export.id}/download")
    assert download.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert {"data.json", "account.csv", "enrolments.csv", "progress.csv", "quiz_attempts.csv", "answers.csv",
            "reflections.csv", "certificates.csv", "audit_entries.csv"} <= set(archive.namelist())
    data = json.loads(archive.read("data.json"))
    assert data["account"][0]["email"] == EMAIL and data["account"][0]["full_name"] == NAME
    assert data["reflections"][0]["text"] == REFLECTION
    assert KEPT in data["text_kept_after_sign_out"][0]["fields"]
    assert any(ANSWER in row["answer"] for row in data["answers"])
    assert data["certificates"][0]["code"] == db.session.scalar(select(Certificate.code))
    assert any(row["action"] == "user.organisation_set" for row in data["audit_entries"])
    assert any(row["action"] == "certificate.revoked" for row in data["audit_entries"])
    assert REFLECTION in archive.read("reflections.csv").decode("utf-8-sig")
    assert ANSWER in archive.read("answers.csv").decode("utf-8-sig")
    assert NAME in archive.read("account.csv").decode("utf-8-sig")
    listing = client.get("/profile/data").get_data(as_text=True)
    assert f'href="{status_url}"' in listing and "(ready)" in listing

    # Nobody else can see or fetch it.
    client.post_form("/logout")
    other = make_user()
    client.post_form("/login", {"email": other.email, "password": "correct horse battery"})
    assert client.get(status_url).status_code == 404
    assert client.get(f"/profile/data/{export.id}/download").status_code == 404


def test_the_status_page_refreshes_itself_while_the_zip_is_built(client, learner):
    export = DataExport(user_id=learner.id, requested_at=utcnow())
    db.session.add(export)
    db.session.commit()
    page = client.get(f"/profile/data/{export.id}")
    assert page.headers["Refresh"] == "3"
    assert "We are preparing your data" in page.get_data(as_text=True)
    assert "<script" not in page.get_data(as_text=True).split("</head>", 1)[1]
    assert client.get(f"/profile/data/{export.id}/download").status_code == 302


def test_delete_my_account_erases_name_and_email_from_every_table(client, learner):
    code = db.session.scalar(select(Certificate.code))
    client.post_form("/profile/data")  # an export holding their data, deleted with the account
    assert client.get("/profile/delete").status_code == 200
    response = client.post_form("/profile/delete", {"password": "correct horse battery"})
    assert "Confirm that you want to delete your account" in response.get_data(as_text=True)
    response = client.post_form("/profile/delete", {"confirm": "y", "password": "wrong password here"})
    assert "Your password is not correct" in response.get_data(as_text=True)
    assert tables_holding(EMAIL)  # the check below can find them: here it still does

    response = client.post_form("/profile/delete", {"confirm": "y", "password": "correct horse battery"})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 302  # logged out
    db.session.expire_all()
    assert tables_holding(NAME, EMAIL, REGISTRATION, REFLECTION, ANSWER, KEPT) == []
    assert tables_holding("Quillfeather", "zoe.quillfeather") == []

    # The certificate still verifies, without the holder.
    page = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "The holder&#39;s record has been removed" in page or "The holder's record has been removed" in page
    assert "Tiny course" in page and "This certificate is valid" in page and NAME not in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.erased"))
    assert entry.actor_id == learner.id and entry.after["reason"] == "request"
    # An email to them that had not gone yet is cancelled, not retried towards nobody.
    welcome = db.session.scalar(select(Job).where(Job.key == f"mail:welcome:{learner.id}"))
    assert welcome.payload["to"] == "[removed]"
    assert welcome.status in ("done", "failed") and welcome.status != "pending"
    # Staff cannot download a PDF that no longer exists; the code still verifies.
    admin_client = client.application.test_client()
    admin_client.post_form("/login", {"email": "admin@example.nhs.uk", "password": "correct horse battery"})
    assert admin_client.get(f"/certificates/{code}.pdf").status_code == 404
    # They cannot sign in again.
    assert client.post_form("/login", {"email": EMAIL, "password": "correct horse battery"}).status_code == 200


def test_a_recent_sign_in_stands_in_for_the_password_and_an_old_one_does_not(client, learner, monkeypatch):
    monkeypatch.setattr(views, "RECENT_SIGN_IN", timedelta(0))
    response = client.post_form("/profile/delete", {"confirm": "y"})
    assert "sign in again" in response.get_data(as_text=True)
    assert db.session.get(User, learner.id).erased_at is None
    monkeypatch.setattr(views, "RECENT_SIGN_IN", timedelta(minutes=10))
    assert client.post_form("/profile/delete", {"confirm": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, learner.id).erased_at is not None


def test_an_admin_erases_an_account_on_request_from_the_command_line(client, runner, learner):
    result = runner.invoke(args=["users", "erase", EMAIL, "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert tables_holding(NAME, EMAIL, REFLECTION) == []
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.erased"))
    assert entry.via == "cli" and entry.after["reason"] == "admin"
    assert runner.invoke(args=["users", "erase", "nobody@example.nhs.uk", "--yes"]).exit_code == 1


def test_retention_warns_then_erases_30_days_later_and_a_sign_in_saves_the_account(app, client, make_user, login):
    app.config["RETENTION_INACTIVE_MONTHS"] = 12
    now = utcnow()
    idle = make_user(full_name="Idle Person", email="idle@example.nhs.uk")
    returning = make_user(email="returning@example.nhs.uk")
    active = make_user()
    admin = make_user(role="admin")
    for user in (idle, returning, admin):
        user.last_seen_at = now - timedelta(days=400)
    active.last_seen_at = now - timedelta(days=10)
    db.session.commit()
    assert "accounts.retention" in jobs.nightly_tasks()

    assert services.apply_retention(now) == (2, 0)
    db.session.commit()
    warnings = list(db.session.scalars(select(Job).where(Job.task == "mail.send")))
    assert sorted(j.payload["to"] for j in warnings) == ["idle@example.nhs.uk", "returning@example.nhs.uk"]
    assert {j.payload["template"] for j in warnings} == {"retention_warning"}
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", warnings[0].payload["context"]["erase_on"])
    assert services.apply_retention(now) == (0, 0)  # idempotent: the same night warns nobody twice
    db.session.commit()

    login(returning)  # signing in after the warning keeps the account
    assert services.apply_retention(now + timedelta(days=29)) == (0, 0)
    assert services.apply_retention(now + timedelta(days=31)) == (0, 1)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, idle.id).erased_at is not None
    assert db.session.get(User, returning.id).erased_at is None
    assert db.session.get(User, admin.id).erased_at is None
    assert tables_holding("Idle Person", "idle@example.nhs.uk") == []
    assert services.apply_retention(now + timedelta(days=32)) == (0, 0)  # idempotent


def test_the_nightly_retention_task_runs_as_a_job(app, make_user):
    app.config["RETENTION_INACTIVE_MONTHS"] = 1
    user = make_user()
    user.last_seen_at = utcnow() - timedelta(days=60)
    db.session.commit()
    jobs.enqueue("accounts.retention", key="accounts.retention:test")
    db.session.commit()
    job = db.session.scalar(select(Job).where(Job.task == "accounts.retention"))
    assert job.status == "done", job.last_error
    assert db.session.get(User, user.id).retention_warned_at is not None


@pytest.mark.parametrize(("url", "texts"), [
    ("/privacy", ["data controller", "lawful basis", "How long we keep it", "Your rights", "privacy@example.nhs.uk"]),
    ("/accessibility", ["Compliance status", "partially compliant", "Non-accessible content",
                        "Reporting accessibility problems", "Enforcement procedure", "This statement was prepared on"]),
    ("/help", ["Help and contact", "learning-support@example.nhs.uk"]),
])
def test_information_pages_say_what_they_must_and_are_in_the_footer(client, url, texts):
    html = client.get(url).get_data(as_text=True)
    for text in texts:
        assert text.lower() in html.lower(), text
    footer = client.get("/login").get_data(as_text=True).split('class="nhsuk-footer"', 1)[1]
    assert f'href="{url}"' in footer


def test_the_privacy_notice_shows_the_configured_controller(app, client):
    app.config["PRIVACY_CONTROLLER"] = "North West London Integrated Care Board, 15 Marylebone Road"
    assert "15 Marylebone Road" in client.get("/privacy").get_data(as_text=True)


def test_every_table_is_scanned(app):
    assert {"users", "certificates", "audit_entries", "jobs", "reflection_notes", "question_responses",
            "data_exports", "sso_identities"} <= {t.name for t in db.metadata.sorted_tables}
    assert isinstance(db.metadata, sa.MetaData)


def test_the_only_administrator_cannot_be_erased(runner, make_user):
    admin = make_user(role="admin", email="only.admin@example.nhs.uk")
    result = runner.invoke(args=["users", "erase", admin.email, "--yes"])
    assert result.exit_code == 1 and "only administrator" in result.output
    assert db.session.get(User, admin.id).erased_at is None
    make_user(role="admin")
    assert runner.invoke(args=["users", "erase", admin.email, "--yes"]).exit_code == 0
