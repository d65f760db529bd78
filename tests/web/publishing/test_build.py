"""`flask content build`: all or nothing, by stable id, writing nothing that did not change."""

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from lms.catalog.models import Course, CourseAsset, Lesson, Module, Question, ReflectionPrompt
from lms.clock import utcnow
from lms.extensions import db
from lms.learning.models import Enrolment, LessonProgress
from tests.web.publishing.course_files import write_course

ROOT = Path(__file__).resolve().parents[3]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def content(tmp_path) -> Path:
    folder = tmp_path / "content"
    write_course(folder)
    return folder


def build(runner, folder):
    return runner.invoke(args=["content", "build", str(folder)])


def test_build_publishes_every_item_with_a_summary(runner, content):
    result = build(runner, content)
    assert result.exit_code == 0, result.output
    assert "tiny-course: 9 created, 0 updated, 0 unchanged, 0 retired, 0 removed" in result.output
    assert "Publishing" in result.output  # the progress bar
    course = db.session.scalar(select(Course))
    assert (course.key, course.slug, course.partner_id) == ("tiny-course", "tiny-course", "imperial-college-london")
    assert course.cpd_hours == {"postgraduate": 3, "ahp": 2, "junior": 1}
    assert [m.key for m in db.session.scalars(select(Module).order_by(Module.position))] == ["m-one", "m-two"]
    assert count(Lesson) == 4 and count(Question) == 2 and count(ReflectionPrompt) == 1
    question = db.session.scalar(select(Question).where(Question.key == "q-first"))
    assert question.spec["choices"][0]["correct"] is True


def test_a_rebuild_with_no_change_writes_nothing(app, runner, content, monkeypatch):
    build(runner, content)
    writes = []
    monkeypatch.setattr("courses.compiler.read_course", lambda *a, **k: pytest.fail("compiled again"))

    def watch(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        result = build(runner, content)
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert result.exit_code == 0, result.output
    assert "tiny-course: unchanged since it was last published; nothing to do" in result.output
    assert "0 courses checked, 1 unchanged since last published: no problems found" in result.output
    assert writes == []


def test_a_typo_fix_updates_only_that_lesson(runner, content):
    build(runner, content)
    lesson = content / "tiny-course" / "01-one" / "02-more.md"
    lesson.write_text(lesson.read_text().replace("Second lesson.", "Second lesson, with a typo fixed."))
    result = build(runner, content)
    assert "0 created, 1 updated, 8 unchanged" in result.output, result.output
    row = db.session.scalar(select(Lesson).where(Lesson.key == "l-more"))
    assert "typo fixed" in row.html["junior"]


def test_content_errors_publish_nothing_and_exit_1(runner, content):
    check = content / "tiny-course" / "01-one" / "03-check.md"
    check.write_text(check.read_text().replace("- [x] Right", "- [ ] Right"))
    result = build(runner, content)
    assert result.exit_code == 1
    assert "03-check.md:" in result.output and "Nothing was published" in result.output
    assert count(Course) == 0 and count(Lesson) == 0


def test_an_unknown_partner_publishes_nothing(runner, tmp_path):
    folder = tmp_path / "content"
    course = write_course(folder)
    (course / "course.md").write_text((course / "course.md").read_text().replace(
        "imperial-college-london", "university-of-nowhere"))
    result = build(runner, folder)
    assert result.exit_code == 1
    assert "university-of-nowhere" in result.output and "Nothing was published" in result.output
    assert count(Course) == 0 and count(Lesson) == 0


def test_an_unreadable_folder_exits_2(runner, tmp_path):
    result = build(runner, tmp_path / "missing")
    assert result.exit_code == 2


def enrol_with_progress(lesson_key: str, make_user) -> LessonProgress:
    user = make_user()
    course = db.session.scalar(select(Course))
    enrolment = Enrolment(user_id=user.id, course_id=course.id, track="junior")
    db.session.add(enrolment)
    db.session.flush()
    lesson = db.session.scalar(select(Lesson).where(Lesson.key == lesson_key))
    progress = LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson.id, completed_at=utcnow())
    db.session.add(progress)
    db.session.commit()
    return progress


def test_moving_renaming_and_editing_a_lesson_keeps_its_id_and_progress(runner, content, make_user):
    build(runner, content)
    progress = enrol_with_progress("l-more", make_user)
    lesson_id = progress.lesson_id
    course = content / "tiny-course"
    moved = course / "02-two" / "05-renamed-reading.md"
    shutil.move(course / "01-one" / "02-more.md", moved)
    moved.write_text(moved.read_text().replace("Second lesson.", "Second lesson, rewritten."))

    result = build(runner, content)
    assert result.exit_code == 0, result.output
    lesson = db.session.get(Lesson, lesson_id)
    db.session.refresh(lesson)
    assert lesson.key == "l-more" and not lesson.retired
    assert lesson.module_id == db.session.scalar(select(Module.id).where(Module.key == "m-two"))
    assert "rewritten" in lesson.html["junior"]
    assert db.session.get(LessonProgress, progress.id).lesson_id == lesson_id


def test_removing_a_lesson_with_learner_data_is_refused_unless_retired(runner, content, make_user):
    build(runner, content)
    progress = enrol_with_progress("l-more", make_user)
    (content / "tiny-course" / "01-one" / "02-more.md").unlink()

    refused = build(runner, content)
    assert refused.exit_code == 1
    assert "l-more" in refused.output
    assert not db.session.scalar(select(Lesson.retired).where(Lesson.key == "l-more"))

    course_md = content / "tiny-course" / "course.md"
    course_md.write_text(course_md.read_text().replace("learning_outcomes:", "retired: [l-more]\nlearning_outcomes:"))
    result = build(runner, content)
    assert result.exit_code == 0, result.output
    assert "1 retired" in result.output
    lesson = db.session.scalar(select(Lesson).where(Lesson.key == "l-more"))
    db.session.refresh(lesson)
    assert lesson.retired
    assert db.session.get(LessonProgress, progress.id) is not None


def test_removing_a_lesson_nobody_has_started_deletes_it(runner, content):
    build(runner, content)
    (content / "tiny-course" / "01-one" / "02-more.md").unlink()
    result = build(runner, content)
    assert result.exit_code == 0, result.output
    assert "1 removed" in result.output
    assert db.session.scalar(select(Lesson).where(Lesson.key == "l-more")) is None


def test_check_reports_without_publishing(runner, content):
    result = runner.invoke(args=["content", "check", str(content)])
    assert result.exit_code == 0, result.output
    assert count(Course) == 0
    as_json = runner.invoke(args=["content", "check", str(content), "--json"])
    report = json.loads(as_json.output)
    assert report["courses"][0]["id"] == "tiny-course"


def test_preview_prints_one_lesson_for_one_track(runner, content):
    result = runner.invoke(args=["content", "preview", str(content), "--lesson", "l-read", "--track", "ahp"])
    assert result.exit_code == 0, result.output
    assert "First lesson." in result.output
    missing = runner.invoke(args=["content", "preview", str(content), "--lesson", "nope", "--track", "ahp"])
    assert missing.exit_code == 1 and "no lesson" in missing.output


def test_shipped_content_passes_the_check_and_publishes(runner):
    result = runner.invoke(args=["content", "check", str(ROOT / "content")])
    assert result.exit_code == 0, result.output
    # warnings (such as W006, a source without a link) are allowed; error findings are not
    assert ": error " not in result.output and " 0 errors" in result.output
    built = runner.invoke(args=["content", "build", str(ROOT / "content")])
    assert built.exit_code == 0, built.output
    assert {c.key for c in db.session.scalars(select(Course))} == {"innovation-in-practice", "foundations-of-safety"}


def test_images_are_served_at_stable_urls(client, runner, content):
    build(runner, content)
    assert count(CourseAsset) >= 1
    lesson = db.session.scalar(select(Lesson).where(Lesson.key == "l-read"))
    assert "/courses/tiny-course/assets/01-one/images/diagram.svg" in lesson.html["junior"]
    response = client.get("/courses/tiny-course/assets/01-one/images/diagram.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert client.get("/courses/tiny-course/assets/01-one/images/missing.svg").status_code == 404
