"""Kind 9 of issue 10: names and inputs that cannot print or are not real; downloads that must work."""

import http.cookiejar
import io
import re
import threading
import time
import urllib.parse
import urllib.request

import pytest
from PIL import Image, ImageFile
from werkzeug.serving import make_server

from lms.accounts.models import User
from lms.accounts.services import AccountError, create_user
from lms.extensions import db
from tests.web.credentials.test_certificates import certificates, complete_course, partner  # noqa: F401
from tests.web.learning.helpers import CHECK, enrol, submit

PROFILE = {"organisation_id": "cnwl", "professional_group": "nurse"}
REGISTER = {"email": "new@example.nhs.uk", "password": "a long enough password", **PROFILE}


@pytest.mark.parametrize(("name", "message"), [
    ("   ", "Enter your full name"),
    ("Una \ue000 Printable", "U+E000"),
    ("A" * 121, "120 characters or fewer"),
    ("Bell\x07 Ringer", "U+0007"),
])
def test_names_that_cannot_print_are_refused_at_entry(client, app, make_user, login, name, message):
    page = client.post_form("/register", {**REGISTER, "full_name": name})
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert db.session.scalar(db.select(User).where(User.email == "new@example.nhs.uk")) is None
    learner = make_user(full_name="Kept Name")
    login(learner)
    page = client.post_form("/profile", {**PROFILE, "full_name": name})
    assert message in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, learner.id).full_name == "Kept Name"
    with pytest.raises(AccountError, match=re.escape(message)):
        create_user(email="cli@example.nhs.uk", full_name=name, password="a long enough password")


def test_names_are_trimmed_and_other_scripts_accepted(client, make_user, login):
    learner = make_user()
    login(learner)
    client.post_form("/profile", {**PROFILE, "full_name": "  王秀英   Siobhán  Ó Briain "})
    db.session.expire_all()
    assert db.session.get(User, learner.id).full_name == "王秀英 Siobhán Ó Briain"


def test_a_huge_id_in_a_url_is_not_found(client, tiny_course, partner, make_user, login):  # noqa: F811
    huge = "9" * 30
    login(make_user(role="admin"))
    for url in (f"/courses/tiny-course/m-one/l-check/attempts/{huge}", f"/manage/certificates/batches/{huge}",
                f"/manage/certificates/batches/{huge}/download", f"/manage/courses/tiny-course/learners/{huge}",
                "/manage/certificates/batches/2147483648"):
        assert client.get(url).status_code == 404, url


def test_free_text_on_public_and_partner_forms_is_bounded(client, tiny_course, partner, make_user, login):  # noqa: F811
    page = client.post_form("/verify", {"code-code": "X" * 10_000})
    assert page.status_code == 200 and "A certificate code is 17 characters" in page.get_data(as_text=True)
    login(make_user())
    complete_course(client)
    client.post_form("/logout")
    login(partner)
    [certificate] = certificates()
    client.post_form(f"/manage/certificates/{certificate.code}/revoke", {"reason": "x" * 1001, "confirm": "yes"})
    db.session.expire_all()
    assert certificates()[0].status == "valid"
    page = client.post_form("/manage/certificates/settings", {"signatory_name": "x" * 201, "signatory_title": "Dean"})
    assert page.status_code == 200 and "200 characters" in page.get_data(as_text=True)
    page = client.post_form("/manage/certificates/settings",
                            {"signatory_name": "Prof \ue000", "signatory_title": "Dean"})
    assert page.status_code == 200 and "U+E000" in page.get_data(as_text=True)


def test_an_answer_too_long_is_refused_with_a_message(client, tiny_course, make_user, login):
    login(make_user())
    enrol(client)
    page = submit(client, {"q-first": "a", "q-second": "x" * 5000})
    assert page.status_code == 200 and "under 2,000 characters" in page.get_data(as_text=True)


def test_personal_pages_and_downloads_are_not_stored(client, tiny_course, partner, make_user, login):  # noqa: F811
    learner = make_user()
    login(learner)
    complete_course(client)
    [certificate] = certificates()
    for url in ("/dashboard", "/record", "/record/print", "/record.csv", "/profile", CHECK,
                f"/certificates/{certificate.code}.pdf"):
        assert "no-store" in client.get(url).headers.get("Cache-Control", ""), url
    client.post_form("/logout")
    login(partner)
    for url in ("/manage/certificates", "/manage/certificates/courses/tiny-course",
                "/manage/certificates/courses/tiny-course/register.csv"):
        assert "no-store" in client.get(url).headers.get("Cache-Control", ""), url


def test_a_csv_says_its_charset_once(client, tiny_course, make_user, login):
    login(make_user())
    response = client.get("/record.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    client.post_form("/logout")
    login(make_user(role="lead"))
    response = client.get("/manage/programme?format=csv&table=track")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"


@pytest.fixture
def live(app):
    """The app on a real WSGI server (werkzeug's, threaded) on a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def test_the_register_streams_every_row_through_a_real_server(live, client, tiny_course, partner, make_user,  # noqa: F811
                                                               login):
    for n in range(3):
        login(make_user(full_name=f"Streamed Learner {n}"))
        complete_course(client)
        client.post_form("/logout")
    db.session.commit()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = browser.open(f"{live}/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "email": partner.email,
                                   "password": "correct horse battery"}).encode()
    browser.open(f"{live}/login", data=data, timeout=30).read()
    with browser.open(f"{live}/manage/certificates/courses/tiny-course/register.csv", timeout=30) as response:
        body = response.read().decode("utf-8-sig")
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    lines = body.strip().splitlines()
    assert lines[0].startswith("Code,Status,Learner") and len(lines) == 4, body
    assert all(f"Streamed Learner {n}" in body for n in range(3))


def test_a_signature_image_bomb_is_refused_before_decoding(client, partner, login, monkeypatch):  # noqa: F811
    bomb = io.BytesIO()
    Image.new("1", (13000, 13000)).save(bomb, format="PNG", optimize=True)  # a few KB on disk
    assert len(bomb.getvalue()) < 100_000

    def no_decoding(self):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    login(partner)
    started = time.monotonic()
    page = client.post("/manage/certificates/settings", data={
        "csrf_token": client.csrf_token(), "signatory_name": "Prof A", "signatory_title": "Dean",
        "signature": (io.BytesIO(bomb.getvalue()), "signature.png")})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "13,000 × 13,000 pixels" in text and "4,000 × 4,000" in text
    assert time.monotonic() - started < 10
