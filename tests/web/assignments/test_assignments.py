"""Marked written assignments, through the real pages: drafts, files, submission, marking, release,
completion, resubmission, second marking and moderation, access and the audit trail."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.assignments.models import Submission
from lms.audit.models import AuditEntry
from lms.catalog.models import Course, CourseStaff
from lms.extensions import db
from lms.learning.models import Enrolment, LessonProgress
from tests.conftest import log_in
from tests.web.accounts.helpers import mails
from tests.web.learning.helpers import CHECK, RIGHT, submit

pytestmark = pytest.mark.db

ESSAY = "/courses/tiny-course/m-two/l-essay/"
SAVE = ESSAY + "submission"
CONFIRM = ESSAY + "submission/confirm"
QUEUE = "/manage/courses/tiny-course/marking"
PDF_BYTES = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ANSWER = "I would change the handover on our ward, because the audit showed missed observations."


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def course(publish):
    return publish(assignment="")


def person(app, make_user, role="learner", course=None, staff_role=None):
    """A logged-in client for a new user (with a role on `course` when given)."""
    user = make_user(role=role)
    if course is not None and staff_role:
        db.session.add(CourseStaff(course_id=course.id, user_id=user.id, role=staff_role))
        db.session.commit()
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    return client, user


def learner(app, make_user, track="junior"):
    client, user = person(app, make_user)
    assert client.post_form("/courses/tiny-course/enrol", {"track": track}).status_code == 302
    return client, user


def save(client, text=ANSWER, action="save", **extra):
    return client.post_form(SAVE, {"text": text, "action": action, **extra})


def submit_essay(client, text=ANSWER, **extra):
    assert save(client, text, action="submit", **extra).headers["Location"].endswith(CONFIRM)
    response = client.post_form(CONFIRM)
    assert response.status_code == 302
    return latest()


def latest() -> Submission:
    db.session.expire_all()
    return db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()


def mark(client, submission, levels=(70, 50), feedback="Clear and well argued.", action="finish"):
    data = {f"level-{i}": str(v) for i, v in enumerate(levels)}
    return client.post_form(f"{QUEUE}/{submission.id}", {**data, "feedback": feedback, "action": action})


def essay_complete(user) -> bool:
    db.session.expire_all()
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id))
    return db.session.scalar(select(LessonProgress.completed_at).join(
        Submission, Submission.lesson_id == LessonProgress.lesson_id).where(
        LessonProgress.enrolment_id == enrolment.id).limit(1)) is not None


# --- the learner -------------------------------------------------------------------------------


def test_lesson_page_shows_brief_rubric_word_limit_and_no_mark_as_complete(app, make_user, course):
    client, _ = learner(app, make_user)
    html = client.get(ESSAY).get_data(as_text=True)
    assert "Write a short essay" in html
    assert "Word limit: 50 words" in html
    assert "Evidence (40% of the mark)" in html and "a plan that anticipates resistance" in html
    assert 'enctype="multipart/form-data"' in html and 'name="upload"' in html
    assert "Mark as complete" not in html
    assert client.post_form(ESSAY + "complete").status_code == 302
    assert not db.session.scalars(select(LessonProgress.completed_at).where(
        LessonProgress.completed_at.is_not(None))).all()


def test_draft_is_kept_with_its_word_count(app, make_user, course):
    client, _ = learner(app, make_user)
    assert save(client, "first words here").status_code == 302
    assert save(client, ANSWER).status_code == 302
    draft = latest()
    assert (draft.status, draft.text, draft.word_count, draft.attempt) == ("draft", ANSWER, 14, 1)
    html = client.get(ESSAY).get_data(as_text=True)
    assert ANSWER in html and "14 words" in html
    long = " ".join(["word"] * 60)
    save(client, long)
    assert "10 over the limit" in client.get(ESSAY).get_data(as_text=True)


def test_submit_asks_for_confirmation_then_locks_the_text(app, make_user, course):
    client, _ = learner(app, make_user)
    response = save(client, action="submit")
    assert response.headers["Location"].endswith(CONFIRM)
    assert latest().status == "draft"  # saved, not yet submitted
    page = client.get(CONFIRM).get_data(as_text=True)
    assert "Submit your assignment for marking?" in page and "14" in page
    client.post_form(CONFIRM)
    submitted = latest()
    assert submitted.status == "submitted" and submitted.submitted_at is not None
    assert submitted.spec["rubric"][0]["title"] == "Evidence" and submitted.pass_mark == 50
    refused = save(client, "A changed answer.")
    assert refused.status_code == 400
    assert "can no longer be changed" in refused.get_data(as_text=True)
    assert latest().text == ANSWER
    assert client.post_form(CONFIRM).status_code == 302  # pressed again: nothing changes
    assert db.session.scalar(select(Submission.status)) == "submitted"


def test_an_empty_answer_cannot_be_submitted(app, make_user, course):
    client, _ = learner(app, make_user)
    save(client, "   ", action="submit")
    response = client.post_form(CONFIRM, follow_redirects=True)
    assert "Write your answer" in response.get_data(as_text=True)
    assert latest().status == "draft"


def test_files_are_checked_by_their_bytes_and_the_text_is_kept_anyway(app, make_user, course):
    client, user = learner(app, make_user)
    fake = save(client, ANSWER, upload=(io.BytesIO(b"MZ not a pdf"), "essay.pdf"))
    assert fake.status_code == 400
    assert "must be a PDF or a Word document" in fake.get_data(as_text=True)
    assert latest().text == ANSWER  # typed text saved before the file was refused
    # encoded in memory: the test client's own temporary file for large bodies is never closed
    too_big = FileStorage(io.BytesIO(PDF_BYTES + b"0" * 10 * 1024 * 1024), "big.pdf")
    boundary, body = encode_multipart({"csrf_token": client.csrf_token(), "text": ANSWER, "action": "save",
                                       "upload": too_big})
    big = client.post(SAVE, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert big.status_code == 400 and "smaller than 10 MB" in big.get_data(as_text=True)
    assert save(client, ANSWER, upload=(io.BytesIO(docx_bytes()), "My essay.docx")).status_code == 302
    assert save(client, ANSWER, upload=(io.BytesIO(PDF_BYTES), "../../etc/My essay.pdf")).status_code == 302
    draft = latest()
    download = client.get(f"/assignments/submissions/{draft.id}/file")
    assert download.status_code == 200 and download.data == PDF_BYTES
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == 'attachment; filename="My essay.pdf"'  # no folders
    assert "no-store" in download.headers["Cache-Control"]


def test_file_upload_is_refused_when_the_assignment_takes_none(app, make_user, publish):
    publish(assignment="files: false\n")
    client, _ = learner(app, make_user)
    response = save(client, ANSWER, upload=(io.BytesIO(PDF_BYTES), "essay.pdf"))
    assert response.status_code == 400 and "does not take files" in response.get_data(as_text=True)


def test_an_answer_posted_after_the_session_ended_comes_back_after_login(app, make_user, course):
    from tests.web.accounts.test_kept_forms import expire_sessions
    client, user = learner(app, make_user)
    save(client, "An early draft.")
    expire_sessions()
    response = client.post_form(SAVE, {"text": ANSWER, "action": "save"}, headers={"Referer": f"http://localhost{ESSAY}"})
    assert response.headers["Location"].startswith("/login")
    assert latest().text == "An early draft."  # nothing saved as them without a session
    back = client.post_form(response.headers["Location"], {"email": user.email, "password": "correct horse battery"})
    assert back.headers["Location"] == ESSAY
    assert ANSWER in client.get(ESSAY).get_data(as_text=True)
    save(client, ANSWER)
    assert latest().text == ANSWER


# --- who may see what --------------------------------------------------------------------------


def test_other_people_cannot_see_a_submission_or_its_file(app, make_user, course):
    client, _ = learner(app, make_user)
    save(client, ANSWER, upload=(io.BytesIO(PDF_BYTES), "essay.pdf"))
    draft = latest()
    file_url = f"/assignments/submissions/{draft.id}/file"
    educator, _ = person(app, make_user, "educator", course, "educator")
    assert educator.get(file_url).status_code == 404  # a draft is the learner's alone
    submitted = submit_essay(client)
    assert educator.get(file_url).status_code == 200

    other_learner, _ = learner(app, make_user)
    assert other_learner.get(file_url).status_code == 404
    assert other_learner.get(QUEUE).status_code == 403
    assert other_learner.get(f"{QUEUE}/{submitted.id}").status_code == 403

    other_course = Course(key="other-course", slug="other-course", title="Other", tracks=["junior"],
                          cpd_hours={}, outcomes=[], pass_mark=70, overview_html={}, revision="r", content_hash="h")
    db.session.add(other_course)
    db.session.commit()
    outsider, _ = person(app, make_user, "educator", other_course, "educator")
    assert outsider.get(file_url).status_code == 404
    assert outsider.get(QUEUE).status_code == 403
    assert outsider.get(f"{QUEUE}/{submitted.id}").status_code == 403
    assert mark(outsider, submitted).status_code == 403
    assert outsider.get(f"/manage/courses/other-course/marking/{submitted.id}").status_code == 404
    assert latest().marks == []


def test_the_queue_is_linked_from_the_course_reports(app, make_user, course):
    educator, _ = person(app, make_user, "educator", course, "educator")
    html = educator.get("/manage/courses/tiny-course/progress").get_data(as_text=True)
    assert 'href="/manage/courses/tiny-course/marking"' in html


# --- marking, release and completion -----------------------------------------------------------


def complete_everything_else(client):
    for path in ("m-one/l-read", "m-one/l-more", "m-two/l-last"):
        assert client.post_form(f"/courses/tiny-course/{path}/complete").status_code == 302
    submit(client, RIGHT, url=CHECK)


def test_marked_with_the_rubric_released_and_only_then_complete(app, make_user, course):
    client, user = learner(app, make_user)
    complete_everything_else(client)
    submitted = submit_essay(client)
    educator, marker = person(app, make_user, "educator", course, "educator")
    queue = educator.get(QUEUE).get_data(as_text=True)
    assert user.full_name in queue and "Waiting for a first mark (1)" in queue

    page = educator.get(f"{QUEUE}/{submitted.id}").get_data(as_text=True)
    assert ANSWER in page and 'name="level-0" type="radio" value="70"' in page
    assert mark(educator, submitted, levels=(70,), action="finish").status_code == 400  # a criterion left out
    assert mark(educator, submitted, (70, 50), action="save").status_code == 302
    assert latest().status == "submitted"
    assert mark(educator, submitted, (70, 50)).status_code == 302
    decided = latest()
    assert decided.status == "ready" and decided.marks[0].mark == 58  # 0.4 x 70 + 0.6 x 50
    assert decided.marks[0].levels == {"0": 70, "1": 50}
    learner_page = client.get(ESSAY).get_data(as_text=True)
    assert "58%" not in learner_page and "Clear and well argued" not in learner_page
    assert not essay_complete(user)
    assert db.session.scalar(select(Enrolment.completed_at)) is None

    assert educator.post_form(f"{QUEUE}/{submitted.id}/release").status_code == 302
    released = latest()
    assert (released.status, released.mark, released.passed) == ("released", 58, True)
    learner_page = client.get(ESSAY).get_data(as_text=True)
    assert "your mark is 58%" in learner_page and "Clear and well argued." in learner_page
    assert "a critical reading of the sources" in learner_page
    assert essay_complete(user)
    assert db.session.scalar(select(Enrolment.completed_at)) is not None
    sent = mails("assignment_released", to=user.email)
    assert len(sent) == 1 and sent[0]["context"]["lesson_path"] == "/courses/tiny-course/m-two/l-essay/"
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_type == "assignment_submission").order_by(AuditEntry.id)).all()
    assert actions == ["assignment.marked", "assignment.marked", "assignment.released"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "assignment.released"))
    assert entry.actor_id == marker.id and entry.after["mark"] == 58


def test_a_failed_assignment_can_be_resubmitted_and_passes_later(app, make_user, course):
    client, user = learner(app, make_user)
    first = submit_essay(client)
    educator, _ = person(app, make_user, "educator", course, "educator")
    mark(educator, first, (0, 50))
    educator.post_form(f"{QUEUE}/{first.id}/release")
    assert latest().passed is False and latest().mark == 30
    assert not essay_complete(user)
    page = client.get(ESSAY).get_data(as_text=True)
    assert "your mark is 30%" in page and "Start a new attempt" in page
    assert client.post_form(ESSAY + "submission/resubmit").status_code == 302
    second = latest()
    assert (second.attempt, second.status, second.text) == (2, "draft", ANSWER)
    second = submit_essay(client, ANSWER + " With a plan.")
    mark(educator, second, (50, 50))
    educator.post_form(f"{QUEUE}/{second.id}/release")
    assert latest().passed is True and essay_complete(user)
    assert client.post_form(ESSAY + "submission/resubmit", follow_redirects=True).status_code == 200
    assert db.session.scalar(select(Submission.attempt).order_by(Submission.attempt.desc()).limit(1)) == 2


def test_no_resubmission_when_the_assignment_forbids_it(app, make_user, publish):
    course = publish(assignment="resubmit: false\n")
    client, _ = learner(app, make_user)
    first = submit_essay(client)
    educator, _ = person(app, make_user, "educator", course, "educator")
    mark(educator, first, (0, 0))
    educator.post_form(f"{QUEUE}/{first.id}/release")
    assert "Start a new attempt" not in client.get(ESSAY).get_data(as_text=True)
    client.post_form(ESSAY + "submission/resubmit")
    assert db.session.scalar(select(Submission.attempt).order_by(Submission.attempt.desc()).limit(1)) == 1


def test_second_marking_is_blind_then_agreed_then_moderated(app, make_user, publish):
    course = publish(assignment="", extra_front_matter="marking: {second_marking: true, moderation: true}\n")
    client, user = learner(app, make_user)
    submitted = submit_essay(client)
    url = f"{QUEUE}/{submitted.id}"
    first, first_user = person(app, make_user, "educator", course, "educator")
    second, second_user = person(app, make_user, "educator", course, "educator")
    partner, partner_user = person(app, make_user, "partner", course, "partner")

    assert mark(partner, submitted).status_code == 403  # partners moderate, they do not mark
    assert mark(first, submitted, (70, 70), feedback="First marker's view.").status_code == 302
    assert latest().status == "second_marking"
    assert mark(first, submitted, (50, 50)).status_code == 403  # the first marker cannot second-mark
    blind = second.get(url).get_data(as_text=True)
    assert "First marker&#39;s view." not in blind and "First marker's view." not in blind
    assert "First mark:" not in blind
    assert mark(second, submitted, (50, 50), feedback="Second view.").status_code == 302
    assert latest().status == "agreeing"
    both = second.get(url).get_data(as_text=True)
    assert "First mark: 70%" in both and "Second mark: 50%" in both
    outsider, _ = person(app, make_user, "educator", course, "educator")
    assert mark(outsider, submitted).status_code == 403  # the agreed mark is the two markers'
    assert mark(first, submitted, (70, 50), feedback="Agreed feedback.").status_code == 302
    assert latest().status == "moderation"
    assert mark(first, submitted).status_code == 403  # educators do not moderate
    assert first.post_form(f"{url}/release").status_code == 302
    assert latest().status == "moderation"  # not released before moderation
    assert "Finish moderation" in partner.get(url).get_data(as_text=True)
    assert f'href="{QUEUE}"' in partner.get("/manage/certificates/courses/tiny-course").get_data(as_text=True)
    assert mark(partner, submitted, (50, 50), feedback="Agreed feedback, moderated.").status_code == 302
    assert latest().status == "ready"
    assert partner.post_form(f"{url}/release").status_code == 403  # educators release
    first.post_form(f"{url}/release")
    released = latest()
    assert (released.status, released.mark, released.passed) == ("released", 50, True)
    assert "Agreed feedback, moderated." in client.get(ESSAY).get_data(as_text=True)
    marked = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "assignment.marked")
                                .order_by(AuditEntry.id)).all()
    assert [(e.actor_id, e.after["stage"]) for e in marked] == [
        (first_user.id, "first"), (second_user.id, "second"), (first_user.id, "agreed"),
        (partner_user.id, "moderated")]


def test_without_a_rubric_the_marker_gives_the_mark(app, make_user, tmp_path, runner):
    from tests.web.publishing.course_files import write_course
    folder = tmp_path / "content"
    course_dir = write_course(folder, assignment="")
    essay = course_dir / "02-two" / "02-essay.md"
    essay.write_text(essay.read_text().split("/// rubric")[0], encoding="utf-8")
    assert runner.invoke(args=["content", "build", str(folder)]).exit_code == 0
    course = db.session.scalar(select(Course))
    client, _ = learner(app, make_user)
    submitted = submit_essay(client)
    educator, _ = person(app, make_user, "educator", course, "educator")
    url = f"{QUEUE}/{submitted.id}"
    assert educator.post_form(url, {"mark": "120", "feedback": "x", "action": "finish"}).status_code == 400
    assert educator.post_form(url, {"mark": "64.5", "feedback": "Good.", "action": "finish"}).status_code == 302
    assert latest().marks[0].mark == 64.5 and latest().status == "ready"


# --- forms are protected -----------------------------------------------------------------------


def test_every_assignment_form_needs_the_csrf_token(app, make_user, course):
    client, _ = learner(app, make_user)
    assert client.post(SAVE, data={"text": "no token"}).status_code == 400
    assert latest() is None
    submitted = submit_essay(client)
    educator, _ = person(app, make_user, "educator", course, "educator")
    url = f"{QUEUE}/{submitted.id}"
    assert educator.post(url, data={"level-0": "70", "level-1": "70", "action": "finish"}).status_code == 400
    assert latest().marks == []
    mark(educator, submitted)
    assert educator.post(f"{url}/release").status_code == 400
    assert latest().status == "ready"
    assert client.post(ESSAY + "submission/resubmit").status_code == 400
    assert client.post(CONFIRM).status_code == 400


# --- privacy -------------------------------------------------------------------------------------


def test_written_work_is_in_the_data_download_and_goes_with_erasure(app, make_user, course):
    from lms.assignments.models import Mark, SubmissionFile
    from lms.privacy.services import collect, erase_user

    client, user = learner(app, make_user)
    submitted = submit_essay(client, upload=(io.BytesIO(PDF_BYTES), "essay.pdf"))
    educator, _ = person(app, make_user, "educator", course, "educator")
    mark(educator, submitted)
    educator.post_form(f"{QUEUE}/{submitted.id}/release")
    db.session.expire_all()
    rows = collect(user)["assignments"]
    assert len(rows) == 1 and rows[0]["text"] == ANSWER and rows[0]["file"] == "essay.pdf"
    assert rows[0]["mark"] == 58 and rows[0]["feedback"] == "Clear and well argued."
    erase_user(user, actor_id=None, via="test", reason="request")
    db.session.commit()
    for model in (Submission, SubmissionFile, Mark):
        assert db.session.scalars(select(model)).all() == []
