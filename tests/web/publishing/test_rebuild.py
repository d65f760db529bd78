"""Rebuilding: unchanged courses are skipped, changed ones compile only what changed."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from courses.render import Renderer
from lms.catalog.models import Course, Lesson
from lms.extensions import db
from tests.web.publishing.course_files import write_course


@pytest.fixture
def content(tmp_path) -> Path:
    folder = tmp_path / "content"
    write_course(folder)
    return folder


def build(runner, folder):
    result = runner.invoke(args=["content", "build", str(folder)])
    assert result.exit_code == 0, result.output
    return result


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def renders(monkeypatch):
    """The files rendered from now on (each cached file is not)."""
    rendered = []
    real = Renderer.render_file

    def spy(self, items, tracks, reflection_ids, public, private, ctx):
        rendered.append(ctx.path.name)
        return real(self, items, tracks, reflection_ids, public, private, ctx)

    monkeypatch.setattr(Renderer, "render_file", spy)
    return rendered


def lesson_html(key: str) -> str:
    return db.session.scalar(select(Lesson.html).where(Lesson.key == key))["ahp"]


def test_after_a_typo_fix_only_that_lesson_is_compiled_and_published(runner, content, content_cache, renders):
    build(runner, content)
    assert len(renders) == 7  # course.md, two module.md, four lessons
    assert len(list(content_cache.glob("*/*.json"))) == 7
    renders.clear()
    edit(content / "tiny-course" / "01-one" / "02-more.md", "Second lesson.", "Second lesson, fixed.")

    result = build(runner, content)
    assert renders == ["02-more.md"]
    assert "0 created, 1 updated, 8 unchanged" in result.output
    assert "Second lesson, fixed." in lesson_html("l-more")


def test_an_unchanged_course_is_skipped_while_another_is_published(runner, content, renders):
    second = content / "tiny-two"
    shutil.copytree(content / "tiny-course", second)
    edit(second / "course.md", "id: tiny-course", "id: tiny-two")
    build(runner, content)
    edit(second / "02-two" / "01-last.md", "Last lesson.", "Last lesson, again.")
    renders.clear()

    result = build(runner, content)
    assert "tiny-course: unchanged since it was last published" in result.output
    assert "tiny-two: 0 created, 1 updated, 8 unchanged" in result.output
    assert renders == ["01-last.md"]
    two = db.session.scalar(select(Course.id).where(Course.key == "tiny-two"))
    html = db.session.scalar(select(Lesson.html).where(Lesson.key == "l-last", Lesson.course_id == two))
    assert "Last lesson, again." in html["junior"]


def test_check_still_checks_every_course_after_a_build(runner, content):
    edit(content / "tiny-course" / "01-one" / "01-read.md", "First lesson.", "First lesson, [click here](02-more.md).")
    first = build(runner, content)
    assert "W004" in first.output

    check = runner.invoke(args=["content", "check", str(content)])
    assert check.exit_code == 0, check.output
    assert "01-read.md:" in check.output and "W004" in check.output
    assert "1 course checked: 0 errors, 1 warning" in check.output
    assert "unchanged" not in check.output


def test_a_damaged_cache_does_not_stop_a_build(runner, content, content_cache):
    build(runner, content)
    for entry in content_cache.glob("*/*.json"):
        entry.write_bytes(b"\x00 not what was written")
    edit(content / "tiny-course" / "01-one" / "02-more.md", "Second lesson.", "Second lesson, fixed.")
    assert "0 created, 1 updated, 8 unchanged" in build(runner, content).output

    shutil.rmtree(content_cache)
    edit(content / "tiny-course" / "01-one" / "02-more.md", "fixed", "fixed twice")
    assert "0 created, 1 updated, 8 unchanged" in build(runner, content).output
    assert "Second lesson, fixed twice." in lesson_html("l-more")
    assert content_cache.is_dir()


def test_a_cache_folder_that_cannot_be_made_does_not_stop_a_build(app, runner, content, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app.config["CONTENT_CACHE_DIR"] = str(blocker / "cache")
    build(runner, content)
    edit(content / "tiny-course" / "01-one" / "02-more.md", "Second lesson.", "Second lesson, fixed.")
    assert "0 created, 1 updated, 8 unchanged" in build(runner, content).output


def test_a_course_that_failed_to_build_is_compiled_again(runner, content, renders):
    check = content / "tiny-course" / "01-one" / "03-check.md"
    edit(check, "- [x] Right", "- [ ] Right")
    assert runner.invoke(args=["content", "build", str(content)]).exit_code == 1
    edit(check, "- [ ] Right", "- [x] Right")
    renders.clear()
    result = build(runner, content)
    assert "tiny-course: 9 created" in result.output
    assert renders == ["03-check.md"]  # the other files were compiled and cached the first time
