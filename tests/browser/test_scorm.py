"""The SCORM 1.2 export played in Chromium under scorm-again, the run-time API an LMS provides."""

from __future__ import annotations

import functools
import http.server
import io
import shutil
import threading
import zipfile

import pytest

from courses.model import Choice, NumericAnswer, QuestionSpec
from courses.questions import normalise_text, score
from lms.scorm.package import build_package
from tests.browser.conftest import ROOT
from tests.conftest import skip_or_fail

SCORM_AGAIN = ROOT / "node_modules" / "scorm-again" / "dist" / "scorm12.js"
HOST_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>A SCORM 1.2 player</title>
<script src="scorm12.js"></script>
<script>window.API = new Scorm12API({autocommit: false, logLevel: 5});</script>
</head><body><main><h1>Player</h1>
<iframe title="The course" src="package/index.html" width="1000" height="800"></iframe>
</main></body></html>
"""


def serve_package(live_server, folder, course: str, track: str):
    """Serve scorm-again's player page and the unpacked package over HTTP; yields the address."""
    if not SCORM_AGAIN.exists():
        skip_or_fail(f"scorm-again is missing at {SCORM_AGAIN}: run 'npm ci'")
    with live_server.app.app_context():
        data = build_package(course, track)
    zipfile.ZipFile(io.BytesIO(data)).extractall(folder / "package")
    shutil.copy(SCORM_AGAIN, folder / "scorm12.js")
    (folder / "index.html").write_text(HOST_PAGE)
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def player(live_server, tmp_path):
    """The junior package of foundations-of-safety, played under scorm-again."""
    yield from serve_package(live_server, tmp_path, "foundations-of-safety", "junior")


@pytest.fixture
def drawing_player(live_server, tmp_path):
    """The junior package of innovation-in-practice, whose final draws 12 of its 24 questions."""
    yield from serve_package(live_server, tmp_path, "innovation-in-practice", "junior")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def answer_key(page_frame) -> list[dict]:
    return page_frame.evaluate("JSON.parse(document.getElementById('lms-answer-key').textContent).lessons")


def fill_in(form, lesson: dict, question: dict, *, right: bool) -> None:
    name = f"{lesson['key']}--{question['id']}"
    if question["type"] in ("short", "numeric"):
        value = (question["accepted"][0] if question["type"] == "short" else str(question["numeric"][0]["low"]))
        form.locator(f"input[name='{name}']").fill(value if right else "not this")
        return
    for choice in question["choices"]:
        box = form.locator(f"input[name='{name}'][value='{choice['key']}']")
        if question["type"] == "multiple":
            box.set_checked(choice["correct"] == right)
        elif choice["correct"] == right:
            box.check()
            return


def test_the_junior_package_plays_to_completed_with_a_score(page, player):
    page.goto(f"{player}/index.html")
    frame = page.frame_locator("iframe")
    course = page.frames[1]
    course.wait_for_load_state()
    api = "(name) => window.API.LMSGetValue(name)"
    assert page.evaluate(api, "cmi.core.lesson_status") == "incomplete"
    lessons = answer_key(course)
    assert len(lessons) >= 3, "the junior track's knowledge checks are in the package"

    # The first check answered wrongly: a score, and the course not complete.
    first = lessons[0]
    form = frame.locator(f"form[data-lesson='{first['key']}']")
    for question in first["questions"]:
        fill_in(form, first, question, right=False)
    form.get_by_role("button", name="Check my answers").click()
    assert "try again" in form.locator(".lms-quiz-result").inner_text()
    assert page.evaluate(api, "cmi.core.lesson_status") == "incomplete"

    for lesson in lessons:
        form = frame.locator(f"form[data-lesson='{lesson['key']}']")
        for question in lesson["questions"]:
            fill_in(form, lesson, question, right=True)
        form.get_by_role("button", name="Check my answers").click()
        assert "You passed" in form.locator(".lms-quiz-result").inner_text()

    assert page.evaluate(api, "cmi.core.lesson_status") == "completed"
    assert page.evaluate(api, "cmi.core.score.raw") == "100"
    assert "Course complete" in frame.locator("#lms-status-text").inner_text()
    # The learner's results are kept for the next session.
    assert lessons[0]["key"] in page.evaluate(api, "cmi.suspend_data")


def spec(kind: str, **fields) -> QuestionSpec:
    return QuestionSpec(id="q", type=kind, points=fields.pop("points", 2), tracks=("junior",), stem_html="", **fields)


CHOICES = (Choice("a", "A", True), Choice("b", "B", False), Choice("c", "C", True), Choice("d", "D", False))
CASES = [
    (spec("single", choices=CHOICES[:2]), ["a"]), (spec("single", choices=CHOICES[:2]), ["b"]),
    (spec("single", choices=CHOICES[:2]), []), (spec("single", choices=CHOICES[:2]), ["a", "b"]),
    (spec("multiple", choices=CHOICES), ["a"]), (spec("multiple", choices=CHOICES), ["a", "c"]),
    (spec("multiple", choices=CHOICES), ["a", "b"]), (spec("multiple", choices=CHOICES), ["a", "b", "c", "d"]),
    (spec("multiple", choices=CHOICES), ["b", "d"]), (spec("multiple", choices=CHOICES, points=3), ["a", "c", "d"]),
    *[(spec("short", accepted=(normalise_text(a),) + (normalise_text("PDSA"),)), typed)
      for a, typed in [("O'Brien", "O\u2019Brien"), ("O'Brien", "o'brien."), ("Straße", "STRASSE"),
                       ("plan do study act", "  Plan   do Study act. "), ("ﬁve", "five"), ("x", "PDSA"),
                       ("x", "pdsa.."), ("café", "cafe\u0301"), ("a\u00a0b", "a b"), ("x", "")]],
    *[(spec("numeric", numeric=(NumericAnswer(1.40, 1.42, 1.41, 0.01), NumericAnswer(1000, 1000, 1000, 0))), typed)
      for typed in ["1.41", "1,41", "1.40", "1,000", "1 000", "1e3", "+1.42", "5 mg", "", "1.43", "\u22121.41",
                    ".", "1,0000", "١٠٠٠"]],
]


def test_the_package_grades_exactly_as_the_app_does(page, player):
    page.goto(f"{player}/package/index.html")  # standalone, as a learner's browser opens it; axe checks it
    for question, answer in CASES:
        typed = answer if question.type in ("single", "multiple") else answer
        js = page.evaluate("([q, a]) => window.LMSScorm.score(q, a)", [question.to_dict(), typed])
        python = score(question, typed)
        assert (js["earned"], js["correct"], js["answered"]) == pytest.approx(
            (python.points_awarded, python.correct, python.answered)), (question.type, answer)


def test_an_unknown_course_or_track_is_refused(live_server):
    from lms.scorm.package import ScormError

    with live_server.app.app_context():
        with pytest.raises(ScormError, match="no published course"):
            build_package("no-such-course", "junior")
        with pytest.raises(ScormError, match="has no 'nurse' track"):
            build_package("foundations-of-safety", "nurse")


def test_the_same_course_gives_the_same_bytes_and_a_valid_manifest(live_server):
    from xml.etree import ElementTree as ET

    with live_server.app.app_context():
        first = build_package("innovation-in-practice", "postgraduate")
        assert build_package("innovation-in-practice", "postgraduate") == first
    archive = zipfile.ZipFile(io.BytesIO(first))
    manifest = ET.fromstring(archive.read("imsmanifest.xml"))  # noqa: S314 - our own output
    ns = {"cp": "http://www.imsproject.org/xsd/imscp_rootv1p1p2"}
    assert manifest.find("cp:metadata/cp:schemaversion", ns).text == "1.2"
    listed = {f.get("href") for f in manifest.iterfind(".//cp:file", ns)}
    assert listed == set(archive.namelist()) - {"imsmanifest.xml"}
    # The lesson's picture travels inside the package and the page points at it there.
    assert any(name.startswith("assets/") and name.endswith(".svg") for name in listed)
    page = archive.read("index.html").decode()
    assert 'src="assets/' in page and "/courses/innovation-in-practice/assets/" not in page


def test_the_command_writes_the_package_or_says_why_not(live_server, tmp_path):
    runner = live_server.app.test_cli_runner()
    out = tmp_path / "fos-junior.zip"
    result = runner.invoke(args=["content", "export-scorm", "foundations-of-safety", "--track", "junior", str(out)])
    assert result.exit_code == 0, result.output
    assert "imsmanifest.xml" in zipfile.ZipFile(out).namelist()
    result = runner.invoke(args=["content", "export-scorm", "foundations-of-safety", "--track", "nurse",
                                 str(tmp_path / "no.zip")])
    assert result.exit_code != 0 and "has no 'nurse' track" in result.output
    assert not (tmp_path / "no.zip").exists()


def test_a_final_that_draws_from_a_pool_shows_and_grades_only_its_draw(page, drawing_player):
    page.goto(f"{drawing_player}/index.html")
    course = page.frames[1]
    course.wait_for_load_state()
    final = next(lesson for lesson in answer_key(course) if lesson["key"] == "final-assessment-junior")
    assert final["draw"] == {"count": 12} and len(final["questions"]) == 24
    form = page.frame_locator("iframe").locator("form[data-lesson='final-assessment-junior']")
    shown = form.locator("[data-question]:visible")
    assert shown.count() == 12
    assert shown.nth(11).locator(".app-question-number").first.inner_text() == "Question 12"
    visible = {shown.nth(i).get_attribute("data-question") for i in range(12)}
    for question in final["questions"]:
        if question["id"] in visible:
            fill_in(form, final, question, right=True)
    form.get_by_role("button", name="Check my answers").click()
    assert "You scored 100%" in form.locator(".lms-quiz-result").inner_text()
    kept = page.evaluate("() => JSON.parse(window.API.LMSGetValue('cmi.suspend_data'))")
    assert set(kept["draws"]["final-assessment-junior"]) == visible
