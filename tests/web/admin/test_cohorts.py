"""Cohorts: a CSV of learners checked by line before anything is written, a preview, one transaction."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.accounts import recovery
from lms.accounts.models import User
from lms.audit import AuditEntry
from lms.catalog.models import CourseStaff
from lms.clock import utcnow
from lms.extensions import db
from lms.jobs.models import Job
from lms.learning import cohorts
from lms.learning.models import CohortUpload, Enrolment
from tests.conftest import log_in

GOOD = ("email,name,track,organisation\n"
        "new.person@example.nhs.uk,New Person,postgraduate,cnwl\n"
        "KNOWN@example.nhs.uk,Ignored Name,AHP,\n"
        "enrolled@example.nhs.uk,Already Here,junior,Brent Council\n")


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def educator(make_user, tiny_course):
    person = make_user(role="educator", full_name="Eddie Educator")
    db.session.add(CourseStaff(course_id=tiny_course.id, user_id=person.id, role="educator"))
    db.session.commit()
    return person


@pytest.fixture
def people(make_user, tiny_course):
    known = make_user(email="known@example.nhs.uk", full_name="Known Person")
    enrolled = make_user(email="enrolled@example.nhs.uk", full_name="Already Here")
    db.session.add(Enrolment(user_id=enrolled.id, course_id=tiny_course.id, track="junior"))
    db.session.commit()
    return known, enrolled


def upload(client, text, filename="cohort.csv", encoding="utf-8"):
    import io

    data = text.encode(encoding) if isinstance(text, str) else text
    return client.post_form("/manage/courses/tiny-course/enrol/upload",
                            {"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def test_preview_shows_what_will_happen_and_confirm_writes_it_all(app, client, login, educator, people, tiny_course):
    known, enrolled = people
    login(educator)
    users_before, enrolments_before = count(User), count(Enrolment)
    response = upload(client, GOOD)
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "New account, invitation emailed, enrolled" in page and "Existing account enrolled" in page
    assert "Already enrolled: nothing changes" in page and "Confirm and enrol 2 learners" in page
    # Nothing is written by the upload or the preview.
    assert (count(User), count(Enrolment)) == (users_before, enrolments_before)

    response = client.post_form(preview_url)
    assert response.status_code == 302
    new = db.session.scalar(select(User).where(User.email == "new.person@example.nhs.uk"))
    assert (new.full_name, new.role, new.organisation_id) == ("New Person", "learner", "cnwl")
    tracks = dict(db.session.execute(select(Enrolment.user_id, Enrolment.track)
                                     .where(Enrolment.course_id == tiny_course.id)).all())
    assert tracks == {new.id: "postgraduate", known.id: "ahp", enrolled.id: "junior"}
    db.session.refresh(known)
    assert known.full_name == "Known Person"  # an existing account's details are not changed

    # One invitation, to the new account only, with a link tied to its password.
    [job] = db.session.scalars(select(Job).where(Job.task == "mail.send")).all()
    assert job.payload["to"] == "new.person@example.nhs.uk" and job.payload["template"] == "invitation"
    context = job.payload["context"]
    assert (context["course_title"], context["inviter_name"]) == ("Tiny course", "Eddie Educator")
    token = context["set_password_url"].rsplit("/", 1)[1]
    assert context["set_password_url"].startswith("http://localhost/reset-password/")  # the address served
    assert recovery.check_reset(token, utcnow() + timedelta(days=6)) == new  # an invitation lasts a week

    summary = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "course.cohort_enrolled"))
    assert summary.actor_id == educator.id and summary.after["new_accounts"] == 1 and summary.after["enrolled"] == 2
    per_person = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.enrolled_by_staff")).all()
    assert {e.target_id for e in per_person} == {str(new.id), str(known.id)}

    # A confirmed upload cannot be confirmed again.
    again = client.post_form(preview_url, follow_redirects=True)
    assert "expired or has been confirmed already" in again.get_data(as_text=True)
    assert count(Enrolment) == enrolments_before + 2


def test_invited_accounts_cannot_sign_in_until_they_choose_a_password(app, client, login, educator):
    login(educator)
    client.post_form(upload(client, "email,name,track\nnewbie@example.nhs.uk,New Bie,junior\n").headers["Location"])
    assert db.session.scalar(select(User).where(User.email == "newbie@example.nhs.uk")) is not None
    for guess in ("", "!invited:", "correct horse battery"):
        assert log_in(app.test_client(), "newbie@example.nhs.uk", guess or "x").status_code == 200


def test_every_problem_is_reported_by_line_and_nothing_is_written(client, login, educator, people):
    login(educator)
    text = ("email,name,track,organisation\n"
            "good@example.nhs.uk,Good Person,junior,\n"
            "not-an-email,Bad Email,junior,\n"
            "good@example.nhs.uk,Twice,junior,\n"
            "other@example.nhs.uk,,junior,\n"
            "third@example.nhs.uk,Third,surgery,\n"
            "fourth@example.nhs.uk,Fourth,ahp,Nowhere Trust\n"
            "\n"
            ",No Email,ahp,\n")
    before = (count(User), count(Enrolment), count(CohortUpload), count(Job))
    response = upload(client, text)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    problems = re.findall(r"<li>(Line \d+: [^<]+)</li>", page)
    assert [p.split(":")[0] for p in problems] == ["Line 3", "Line 4", "Line 5", "Line 6", "Line 7", "Line 9"]
    assert "not an email address" in problems[0]
    assert "also on line 2" in problems[1]
    assert "name is missing" in problems[2]
    assert "unknown track &#39;surgery&#39;" in problems[3] or "unknown track 'surgery'" in problems[3]
    assert "unknown organisation" in problems[4]
    assert "email address is missing" in problems[5]
    assert "Nothing has been saved" in page
    assert (count(User), count(Enrolment), count(CohortUpload), count(Job)) == before


@pytest.mark.parametrize(("text", "encoding", "expected"), [
    ("email,name\na@example.nhs.uk,A\n", "utf-8", "Line 1: the column &#39;track&#39; is missing"),
    ("", "utf-8", "Line 1: the file is empty"),
    ("email,name,track\n", "utf-8", "Line 2: there are no learners"),
    ("email,name,track,team\na@example.nhs.uk,A,ahp,x\n", "utf-8", "Line 1: the column &#39;team&#39; is not one"),
    ("email,name,track\na@example.nhs.uk,Zoë Brontë,ahp\nb@example.nhs.uk,Siân,junior\n", "cp1252",
     "Line 2: is not UTF-8 text"),
])
def test_file_level_problems(client, login, educator, text, encoding, expected):
    login(educator)
    response = upload(client, text, encoding=encoding)
    assert response.status_code == 422
    assert expected in response.get_data(as_text=True)
    assert count(CohortUpload) == 0


def test_a_wrong_encoding_names_every_bad_line(app, tiny_course):
    data = "email,name,track\na@example.nhs.uk,Zoë,ahp\nb@example.nhs.uk,Bob,ahp\nc@example.nhs.uk,Siân,ahp\n"
    parsed = cohorts.read_cohort_csv(data.encode("cp1252"), tiny_course)
    assert [p.line for p in parsed.problems] == [2, 4]


def test_a_byte_order_mark_and_labels_are_accepted(app, tiny_course):
    data = "\ufeffEmail,Name,Track\nA@Example.nhs.uk,A Person,Allied health professionals\n".encode()
    parsed = cohorts.read_cohort_csv(data, tiny_course)
    assert parsed.problems == []
    assert parsed.rows == [{"line": 2, "email": "a@example.nhs.uk", "name": "A Person", "track": "ahp",
                            "organisation_id": None}]


def test_the_upload_is_one_transaction(client, login, educator, monkeypatch):
    login(educator)
    rows = "".join(f"person{n}@example.nhs.uk,Person {n},junior\n" for n in range(5))
    preview_url = upload(client, "email,name,track\n" + rows).headers["Location"]
    sent = []

    def failing_invite(user, course, inviter, now):
        sent.append(user.email)
        if len(sent) == 3:
            raise RuntimeError("mail queue down")

    monkeypatch.setattr(cohorts, "invite", failing_invite)
    users_before = count(User)
    with pytest.raises(RuntimeError):
        client.post_form(preview_url)
    db.session.rollback()
    assert count(User) == users_before and count(Enrolment) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.in_(["user.enrolled_by_staff", "course.cohort_enrolled"]))) == 0
    assert db.session.scalar(select(CohortUpload.confirmed_at)) is None


def test_only_the_uploader_confirms_and_only_on_that_course(app, client, login, educator, make_user, tiny_course):
    login(educator)
    preview_url = upload(client, "email,name,track\nx@example.nhs.uk,X,junior\n").headers["Location"]
    admin = make_user(role="admin")
    other = app.test_client()
    assert log_in(other, admin.email).status_code == 302
    response = other.post_form(preview_url)
    assert response.status_code == 302 and count(Enrolment) == 0


def test_access_learners_and_partners_403_other_educators_404(app, client, make_user, login, tiny_course):
    for role, expected in (("learner", 403), ("partner", 403), ("lead", 403), ("educator", 404)):
        person = make_user(role=role)
        c = app.test_client()
        assert log_in(c, person.email).status_code == 302
        assert c.get("/manage/courses/tiny-course/enrol").status_code == expected, role
        assert c.post_form("/manage/courses/tiny-course/enrol/one",
                           {"email": "a@example.nhs.uk", "name": "A", "track": "junior"}).status_code == expected
    assert count(Enrolment) == 0
    login(make_user(role="admin"))
    assert client.get("/manage/courses/tiny-course/enrol").status_code == 200
    assert client.get("/manage/courses/nope/enrol").status_code == 404


def test_enrol_one_person_by_email(client, login, educator, people, tiny_course):
    known, _ = people
    login(educator)
    response = client.post_form("/manage/courses/tiny-course/enrol/one",
                                {"email": "Known@example.nhs.uk", "name": "", "track": "ahp"})
    assert response.status_code == 302
    assert db.session.scalar(select(Enrolment.track).where(Enrolment.user_id == known.id)) == "ahp"
    # Someone without an account needs a name, then gets an account and an invitation.
    response = client.post_form("/manage/courses/tiny-course/enrol/one",
                                {"email": "fresh@example.nhs.uk", "name": "", "track": "junior"})
    assert response.status_code == 200 and "Enter the person" in response.get_data(as_text=True)
    client.post_form("/manage/courses/tiny-course/enrol/one",
                     {"email": "fresh@example.nhs.uk", "name": "Fresh Face", "track": "junior",
                      "organisation_id": "cnwl"})
    fresh = db.session.scalar(select(User).where(User.email == "fresh@example.nhs.uk"))
    assert fresh.full_name == "Fresh Face" and fresh.organisation_id == "cnwl"
    [job] = db.session.scalars(select(Job).where(Job.task == "mail.send")).all()
    assert job.payload["to"] == "fresh@example.nhs.uk"
    # Twice is harmless.
    response = client.post_form("/manage/courses/tiny-course/enrol/one",
                                {"email": "fresh@example.nhs.uk", "name": "Fresh Face", "track": "junior"},
                                follow_redirects=True)
    assert "was already enrolled" in response.get_data(as_text=True)
    assert count(Enrolment) == 3


def test_a_deactivated_account_is_a_problem_at_preview(client, login, educator, make_user):
    gone = make_user(email="gone@example.nhs.uk")
    from lms.clock import utcnow

    gone.deactivated_at = utcnow()
    db.session.commit()
    login(educator)
    response = upload(client, "email,name,track\ngone@example.nhs.uk,Gone,junior\n")
    assert response.status_code == 422 and "Line 2: the account gone@example.nhs.uk is deactivated" in \
        response.get_data(as_text=True)


def test_invitation_templates_render(app):
    from flask import render_template

    context = {"set_password_url": "https://lms.example/password/reset/abc", "course_title": "Tiny course",
               "inviter_name": "Eddie Educator"}
    text = render_template("mail/invitation.txt", **context)
    html = render_template("mail/invitation.html", **context)
    assert text.splitlines()[0] == "You have been enrolled on Tiny course"
    assert "https://lms.example/password/reset/abc" in text and 'href="https://lms.example/password/reset/abc"' in html
