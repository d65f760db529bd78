"""`flask content import-gift` and `flask content export-gift`."""

from __future__ import annotations

from pathlib import Path

import pytest

from courses import compile_course
from courses.gift import parse_gift
from courses.validate import LESSON_KEYS
from tests.web.publishing.course_files import write_course

BANK = """\
// Cardiology bank exported from Moodle
$CATEGORY: $course$/top/Cardiology

::Chambers::How many chambers does the heart have? {=four #Right. ~three ~two ####Two atria, two ventricles.}

::Sites::Which are pulse sites? {~%50%Radial ~%50%Carotid ~%-50%Patella ~%-50%Ulna}

$CATEGORY: $course$/top/Respiratory

::Rate::Normal adult breathing rate per minute? {#12..20}

::Essay::Describe gas exchange. {}

::Oxygen::Oxygen is carried mostly by haemoglobin. {T}
"""


@pytest.fixture
def bank(tmp_path):
    path = tmp_path / "cardio-bank.gift"
    path.write_text(BANK, encoding="utf-8")
    return path


def test_import_into_a_new_folder_writes_a_course_that_checks_clean(runner, bank, tmp_path):
    into = tmp_path / "imported"
    result = runner.invoke(args=["content", "import-gift", str(bank), "--into", str(into)])
    assert result.exit_code == 0, result.output
    lessons = sorted((into / "01-questions").glob("0*.md"))
    assert [p.name for p in lessons] == ["01-cardiology.md", "02-respiratory.md"]
    assert "gift:12: warning: 'Essay' is an essay, which cannot be imported" in result.output
    assert "1 course checked: no problems found" in result.output
    cardiology = lessons[0].read_text()
    assert cardiology.startswith('---\nid: cardiology\ntitle: "Cardiology"\n---\n')
    assert "/// question | q-chambers\n    type: single\n" in cardiology
    assert "Explanation: Two atria, two ventricles." in cardiology
    course = compile_course(into).courses[0]
    assert [q.id for q in course.find_lesson("respiratory").questions] == ["q-rate", "q-oxygen"]


def test_import_into_a_course_folder_adds_a_module_and_into_a_module_adds_lessons(runner, bank, tmp_path):
    course = write_course(tmp_path / "content")
    result = runner.invoke(args=["content", "import-gift", str(bank), "--into", str(course)])
    assert result.exit_code == 0, result.output
    assert (course / "03-cardio-bank" / "module.md").read_text().startswith("---\nid: cardio-bank\n")

    result = runner.invoke(args=["content", "import-gift", str(bank), "--into", str(course / "01-one")])
    assert result.exit_code == 0, result.output
    # the second import's ids cannot clash with the first's
    assert "id: cardiology-2" in (course / "01-one" / "04-cardiology-2.md").read_text()
    assert "q-chambers-2" in (course / "01-one" / "04-cardiology-2.md").read_text()
    assert compile_course(course).exit_code == 0


def test_import_refuses_a_folder_that_is_not_a_course_or_module(runner, bank, tmp_path):
    into = tmp_path / "notes"
    into.mkdir()
    (into / "readme.txt").write_text("hello")
    result = runner.invoke(args=["content", "import-gift", str(bank), "--into", str(into)])
    assert result.exit_code == 1
    assert "neither empty, a course folder" in result.output
    assert sorted(p.name for p in into.iterdir()) == ["readme.txt"]


def test_import_with_pool_writes_a_draw_and_refuses_a_pool_smaller_than_the_draw(runner, bank, tmp_path):
    into = tmp_path / "pool"
    result = runner.invoke(args=["content", "import-gift", str(bank), "--into", str(into),
                                 "--pool", "2"])
    for lesson in (into / "01-questions").glob("0*.md"):
        assert "\ndraw: 2\n" in lesson.read_text()
    if "draw" in LESSON_KEYS:
        assert result.exit_code == 0, result.output
    else:  # TODO(merge): `draw:` comes from the "draws" branch; until then it is unknown
        assert "unknown key 'draw'" in result.output or "E024" in result.output
    result = runner.invoke(args=["content", "import-gift", str(bank), "--into",
                                 str(tmp_path / "big"), "--pool", "3"])
    assert result.exit_code == 1 and "fewer than the 3 each attempt draws" in result.output
    assert not (tmp_path / "big").exists()


def test_titles_with_quotes_and_colons_make_valid_front_matter(runner, tmp_path):
    path = tmp_path / 'the "best": bank.gift'
    path.write_text('$CATEGORY: top/Drugs: "the basics"\n\nAspirin is an antiplatelet. {T}\n')
    into = tmp_path / 'new "course"'
    result = runner.invoke(args=["content", "import-gift", str(path), "--into", str(into)])
    assert result.exit_code == 0, result.output
    course = compile_course(into).courses[0]
    assert [m.title for m in course.modules] == ['The "best": bank']
    assert [lesson.title for lesson in course.lessons()] == ['Drugs: "the basics"']


def test_new_ids_avoid_the_courses_outcome_ids(runner, tmp_path):
    course = write_course(tmp_path / "content")
    path = tmp_path / "lo.gift"
    path.write_text("$CATEGORY: lo one\n\nA? {T}\n")
    result = runner.invoke(args=["content", "import-gift", str(path), "--into", str(course)])
    assert result.exit_code == 0, result.output
    assert "id: lo-one-2" in next(course.glob("03-*/01-*.md")).read_text()


def test_import_of_a_file_with_nothing_importable_writes_nothing(runner, tmp_path):
    path = tmp_path / "essays.gift"
    path.write_text("Describe a thing. {}\n")
    result = runner.invoke(args=["content", "import-gift", str(path), "--into", str(tmp_path / "x")])
    assert result.exit_code == 1 and "nothing was written" in result.output
    assert not (tmp_path / "x").exists()


def test_export_a_course_folder_to_a_file_and_back(runner, bank, tmp_path):
    course = write_course(tmp_path / "content")
    out = tmp_path / "tiny.gift"
    result = runner.invoke(args=["content", "export-gift", str(course), str(out)])
    assert result.exit_code == 0, result.output
    assert "the hints of 'q-first' are not exported" in result.output
    assert "the reflection 'r-think' is not exported" in result.output
    exported = parse_gift(out.read_text())
    assert exported.findings == ()
    questions = [q for q in exported.questions if q.kind != "description"]
    assert [(q.title, q.kind, q.category) for q in questions] == [
        ("q-first", "single", "Module one/Knowledge check"),
        ("q-second", "short", "Module one/Knowledge check")]
    assert questions[0].answers[1].feedback == "Not this one."
    assert questions[1].general_feedback == "It is NHS blue."


def test_export_refuses_a_course_with_errors(runner, tmp_path):
    course = write_course(tmp_path / "content")
    check = course / "01-one" / "03-check.md"
    check.write_text(check.read_text().replace("- [x] Right", "- [ ] Right"))
    result = runner.invoke(args=["content", "export-gift", str(course)])
    assert result.exit_code == 1 and "Q001" in result.output and "has errors" in result.output


@pytest.mark.db
def test_export_a_published_course_by_its_id_to_standard_output(runner, tiny_course):
    result = runner.invoke(args=["content", "export-gift", "tiny-course"])
    assert result.exit_code == 0, result.output
    assert "$CATEGORY: Module one/Knowledge check" in result.output
    assert "::q-first::[markdown]Which one is right?" in result.output
    result = runner.invoke(args=["content", "export-gift", "no-such-course"])
    assert result.exit_code == 1 and "neither a course folder" in result.output


def test_the_shipped_course_exports_and_imports_back_with_the_same_questions(runner, tmp_path):
    shipped = Path(__file__).resolve().parents[3] / "content" / "foundations-of-safety"
    out = tmp_path / "safety.gift"
    result = runner.invoke(args=["content", "export-gift", str(shipped), str(out)])
    assert result.exit_code == 0, result.output
    into = tmp_path / "again"
    result = runner.invoke(args=["content", "import-gift", str(out), "--into", str(into)])
    assert result.exit_code == 0, result.output
    assert ": warning:" not in result.output  # nothing our own questions hold is lost

    def questions(folder):
        course = compile_course(folder).courses[0]
        return [(q.id, q.type, q.stem_html, q.choices, q.accepted, q.numeric, q.explanation_html)
                for lesson in course.lessons() for q in lesson.questions]

    assert questions(into) == questions(shipped)
