"""Certificates: issued once on completion or by the partner, downloadable by the right people,
checkable by anyone, revoked and reissued by the partner."""

import io
import re
import threading
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from lms import create_app
from lms.clock import utcnow
from lms.credentials import services
from lms.credentials.models import Certificate, PartnerSettings
from lms.extensions import db
from lms.learning.models import Enrolment
from tests.web.learning.helpers import RIGHT, enrol, submit

LESSONS = ["/courses/tiny-course/m-one/l-read/", "/courses/tiny-course/m-one/l-more/",
           "/courses/tiny-course/m-two/l-last/"]


def complete_course(client) -> None:
    enrol(client)
    for url in LESSONS:
        client.post_form(url + "complete")
    submit(client, RIGHT)


def certificates() -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).order_by(Certificate.id)))


@pytest.fixture
def partner(make_user, runner, tiny_course):
    user = make_user(role="partner", organisation_id="imperial-college-london", email="partner@example.ac.uk")
    result = runner.invoke(args=["courses", "staff", "add", "tiny-course", user.email, "--role", "partner"])
    assert result.exit_code == 0, result.output
    return user


def test_completing_an_automatic_course_issues_one_certificate(client, tiny_course, make_user, login):
    learner = make_user(full_name="Zoë Łukasiewicz-Nguyễn", registration_body="HCPC", registration_number="PA12345")
    login(learner)
    complete_course(client)
    [certificate] = certificates()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}", certificate.code)
    assert certificate.snapshot["learner_name"] == "Zoë Łukasiewicz-Nguyễn"
    assert certificate.snapshot["registration"] == "HCPC PA12345"
    assert certificate.snapshot["cpd_hours"] == 1 and certificate.snapshot["track"] == "Junior staff"
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert certificate.code in dashboard and "Download your certificate" in dashboard
    submit(client, RIGHT)  # passing again issues nothing more
    assert len(certificates()) == 1


def test_the_pdf_is_the_same_bytes_every_time_and_matches_its_hash(client, tiny_course, make_user, login):
    import hashlib

    login(make_user())
    complete_course(client)
    [certificate] = certificates()
    first = client.get(f"/certificates/{certificate.code}.pdf")
    second = client.get(f"/certificates/{certificate.code}.pdf")
    assert first.mimetype == "application/pdf" and first.data.startswith(b"%PDF")
    assert first.data == second.data
    assert hashlib.sha256(first.data).hexdigest() == certificate.pdf_sha256


def test_two_racing_completions_issue_exactly_one_certificate(app, tiny_course, make_user):
    learner = make_user()
    enrolment = Enrolment(user_id=learner.id, course_id=tiny_course.id, track="junior", completed_at=utcnow())
    db.session.add(enrolment)
    db.session.commit()
    enrolment_id = enrolment.id
    barrier = threading.Barrier(3, timeout=60)  # never wait forever if one thread fails early
    errors = []

    # Apps are built before the threads start: CPython 3.11's compile() (used by werkzeug's routing) is not
    # safe to run in several threads at once ("AST constructor recursion depth mismatch").
    workers = iter([create_app({**app.config}) for _ in range(3)])
    lock = threading.Lock()

    def complete():
        with lock:
            worker = next(workers)
        with worker.app_context():
            try:
                row = db.session.get(Enrolment, enrolment_id)
                barrier.wait()
                services.issue_certificate(row, utcnow())
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()
                db.engine.dispose()

    threads = [threading.Thread(target=complete, daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racing thread did not finish"
    assert errors == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_who_may_download_which_pdf(app, client, tiny_course, partner, make_user, login):
    owner = make_user()
    login(owner)
    complete_course(client)
    url = f"/certificates/{certificates()[0].code}.pdf"
    assert client.get(url).status_code == 200
    client.post_form("/logout")

    client.get("/")  # shows the "logged out" message, so the two pages below are alike
    missing = client.get("/certificates/0000-0000-0000-00.pdf")
    assert client.get(url).status_code == 404  # anonymous
    assert client.get(url).data == missing.data  # the same answer as a code that does not exist
    for intruder in (make_user(), make_user(role="partner"), make_user(role="educator")):
        login(intruder)
        assert client.get(url).status_code == 404, intruder.role
        client.post_form("/logout")
    for allowed in (partner, make_user(role="admin")):
        login(allowed)
        assert client.get(url).status_code == 200, allowed.role
        client.post_form("/logout")


def test_verify_page_for_each_status(client, tiny_course, partner, make_user, login):
    login(make_user(full_name="Siobhán Ó Briain"))
    complete_course(client)
    [certificate] = certificates()
    client.post_form("/logout")

    page = client.get(f"/verify/{certificate.code.lower().replace('-', '')}").get_data(as_text=True)
    assert "This certificate is valid" in page and "Siobhán Ó Briain" in page and "Tiny course" in page
    assert "Imperial College London" in page

    certificate.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert "This certificate has expired" in client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    certificate.expires_at = None
    db.session.commit()

    login(partner)
    response = client.post_form(f"/manage/certificates/{certificate.code}/revoke",
                                {"reason": "Issued in error", "confirm": "yes"})
    assert response.status_code == 302
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "This certificate has been revoked" in page and "Issued in error" in page


def test_reissue_after_a_name_correction(client, tiny_course, partner, make_user, login):
    learner = make_user(full_name="Siobhan O Brian")
    login(learner)
    complete_course(client)
    client.post_form("/profile", {"full_name": "Siobhán Ó Briain", "organisation_id": "cnwl",
                                  "professional_group": "nurse"})
    client.post_form("/logout")
    login(partner)
    old = certificates()[0]
    assert client.post_form(f"/manage/certificates/{old.code}/reissue").status_code == 302
    old_row, new_row = certificates()
    assert old_row.status == "superseded" and new_row.status == "valid" and new_row.code != old_row.code
    assert new_row.snapshot["learner_name"] == "Siobhán Ó Briain"
    page = client.get(f"/verify/{old_row.code}").get_data(as_text=True)
    assert "This certificate has been replaced" in page and new_row.code in page


def test_unknown_codes_all_get_the_same_answer(client, tiny_course):
    answers = {client.get(f"/verify/{code}").get_data(as_text=True).replace(code, "")
               for code in ("9ZZ2-M9XD-4TRA-8C", "not-a-code", "0000000000000", "' OR 1=1 --")}
    assert len(answers) == 1
    assert client.get("/verify/7KQ2-M9XD-4TRA-8B").status_code == 404


def test_lookups_are_rate_limited(app, client, tiny_course):
    app.config["VERIFY_LOOKUPS_PER_MINUTE"] = 3
    codes = [client.get(f"/verify/AAAA-BBBB-CCCC-{i}").status_code for i in range(5)]
    assert codes == [404, 404, 404, 429, 429]


def test_uploading_the_pdf_checks_its_fingerprint(client, tiny_course, make_user, login):
    login(make_user())
    complete_course(client)
    [certificate] = certificates()
    pdf = client.get(f"/certificates/{certificate.code}.pdf").data
    token = client.csrf_token()
    ok = client.post("/verify", data={"csrf_token": token, "upload-csrf_token": token,
                                      "upload-pdf": (io.BytesIO(pdf), "certificate.pdf")})
    assert "The file matches our record exactly" in ok.get_data(as_text=True)
    tampered = client.post("/verify", data={"upload-pdf": (io.BytesIO(pdf + b"\n%tampered"), "certificate.pdf"),
                                            "csrf_token": token})
    assert "does not match any certificate" in tampered.get_data(as_text=True)


def test_approval_courses_wait_for_the_partner(client, runner, tiny_course, partner, make_user, login):
    tiny_course.certificate_issue = "approval"
    db.session.commit()
    learners = [make_user() for _ in range(3)]
    for learner in learners:
        login(learner)
        complete_course(client)
        assert "waiting for approval" in client.get("/dashboard").get_data(as_text=True)
        client.post_form("/logout")
    assert certificates() == []

    login(partner)
    page = client.get("/manage/certificates/courses/tiny-course").get_data(as_text=True)
    assert "Awaiting a certificate (3)" in page
    first = db.session.scalar(select(Enrolment).where(Enrolment.user_id == learners[0].id))
    client.post_form("/manage/certificates/courses/tiny-course/issue", {"enrolment": str(first.id)})
    assert len(certificates()) == 1 and certificates()[0].issued_by_id == partner.id

    result = runner.invoke(args=["certificates", "issue", "--course", "tiny-course", "--all-pending"])
    assert result.exit_code == 0, result.output
    assert "2 certificates issued" in result.output and len(certificates()) == 3


def test_partner_pages_are_only_for_the_courses_partner(client, tiny_course, partner, make_user, login):
    other_partner = make_user(role="partner")
    login(other_partner)
    assert client.get("/manage/certificates/courses/tiny-course").status_code == 404
    client.post_form("/logout")
    login(make_user())
    assert client.get("/manage/certificates").status_code == 403


def test_signature_upload_is_re_encoded_and_gif_refused(client, partner, login):
    login(partner)
    png = io.BytesIO()
    Image.new("RGB", (300, 100), "white").save(png, format="PNG", pnginfo=None)
    token = client.csrf_token()
    response = client.post("/manage/certificates/settings", data={
        "csrf_token": token, "signatory_name": "Professor A Example", "signatory_title": "Director of CPD",
        "signature": (io.BytesIO(png.getvalue()), "signature.png")})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    settings = db.session.get(PartnerSettings, "imperial-college-london")
    assert settings.signatory_name == "Professor A Example" and settings.signature_sha256

    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    response = client.post("/manage/certificates/settings", data={
        "csrf_token": token, "signatory_name": "X", "signatory_title": "Y",
        "signature": (io.BytesIO(gif.getvalue()), "signature.png")})
    assert "must be a PNG or JPEG" in response.get_data(as_text=True)


def exported(client, kind: str) -> bytes:
    """Start an export job from the course page and download what it made."""
    response = client.post_form("/manage/certificates/courses/tiny-course/exports", {"kind": kind})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="([^"]+/download)"', page).group(1)
    with client.get(link) as download:
        return download.data


def test_register_csv_zip_and_cli_export(client, runner, tiny_course, partner, make_user, login, tmp_path):
    import zipfile

    login(make_user(full_name="=cmd|' /C calc'!A0"))
    complete_course(client)
    client.post_form("/logout")
    login(partner)
    csv_text = client.get("/manage/certificates/courses/tiny-course/register.csv").get_data(as_text=True)
    assert "Code,Status,Learner" in csv_text and "'=cmd" in csv_text
    archive = zipfile.ZipFile(io.BytesIO(exported(client, "zip")))
    assert len(archive.namelist()) == 1
    today = utcnow().date().isoformat()
    result = runner.invoke(args=["certificates", "export", "--course", "tiny-course", "--since", today,
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tiny-course-certificates.zip").exists()
    assert "Code,Status" in (tmp_path / "tiny-course-certificates.csv").read_text(encoding="utf-8-sig")
