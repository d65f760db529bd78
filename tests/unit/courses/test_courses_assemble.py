"""compile = source -> compile_file per file -> assemble (issue 13 part 1), and the
preview of one edited lesson built on it (part 3)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from course_helpers import LESSON, line_of, write_course

from courses import (
    CompileCache,
    FolderSource,
    assemble,
    compile_folder,
    compile_source,
    read_course,
)
from courses.preview import preview_lesson
from courses.source import EditedSource

ROOT = Path(__file__).resolve().parents[3]

BROKEN = {
    # an unknown outcome (a check across files), a link to a missing lesson, a duplicate id
    "01-mod/01-lesson.md": textwrap.dedent("""\
        ---
        id: lesson-one
        title: Lesson one
        outcomes: [lo-nowhere]
        ---
        See [the next one](02-missing.md).

        /// question | q-one
        Pick.

        - [x] Right
        - [ ] Wrong
        ///
        """),
    "01-mod/02-lesson.md": textwrap.dedent("""\
        ---
        id: lesson-two
        title: Lesson two
        ---
        Body.

        /// question | q-one
        Pick again.

        - [x] Right
        - [ ] Wrong
        ///
        """),
}


def signature(course) -> dict:
    return {"course": course.content_hash, "revision": course.revision,
            "lessons": [lesson.content_hash for lesson in course.lessons()],
            "assets": [(a.path, a.sha256) for a in course.assets]}


@pytest.mark.parametrize("course", ["innovation-in-practice", "foundations-of-safety"])
def test_read_then_assemble_is_the_compile(course):
    folder = ROOT / "content" / course
    compiled = compile_folder(folder)
    assembled = assemble(read_course(FolderSource(folder)))
    assert assembled.course is not None
    assert signature(assembled.course) == signature(compiled.courses[0])
    assert assembled.findings == compiled.findings
    assert assembled.summary == compiled.summaries[0]


def test_assemble_reports_the_checks_across_files_as_the_compile_does(tmp_path):
    folder = write_course(tmp_path / "course", BROKEN)
    compiled = compile_folder(folder)
    assembled = assemble(read_course(FolderSource(folder)))
    assert assembled.course is None and assembled.draft is not None
    assert assembled.findings == compiled.findings
    codes = {f.code for f in assembled.findings}
    assert {"E031", "E040"} <= codes
    assert any("02-missing.md" in f.message for f in assembled.findings)


def test_assembling_twice_gives_the_same_and_learner_data_is_checked(tmp_path):
    folder = write_course(tmp_path / "course")
    files = read_course(FolderSource(folder))
    first = assemble(files)
    again = assemble(files)
    assert first.findings == again.findings == ()
    assert signature(first.course) == signature(again.course)
    removed = assemble(files, {"test-course": {"lesson-gone"}})
    assert removed.course is None
    assert [f.code for f in removed.findings] == ["E032"]
    # learner data for another course does not count
    assert assemble(files, {"other-course": {"lesson-gone"}}).course is not None


def test_read_course_compiles_only_files_not_in_the_cache(tmp_path):
    folder = write_course(tmp_path / "course", {"01-mod/02-lesson.md": LESSON.replace(
        "lesson-one", "lesson-two").replace("q-one", "q-two")})
    cache = CompileCache(tmp_path / "cache")
    read_course(FolderSource(folder), cache=cache)
    assert (cache.hits, cache.misses) == (0, 4)  # an empty cache: every file compiled
    (folder / "01-mod" / "02-lesson.md").write_text(
        (folder / "01-mod" / "02-lesson.md").read_text().replace("Body text.", "Changed."))
    again = read_course(FolderSource(folder), cache=cache)
    assert (cache.hits, cache.misses) == (3, 5)  # course.md, module.md, the unchanged lesson
    assert "Changed." in "".join(again.modules[0].lessons[1].result.lesson.html.values())


def test_a_preview_compiles_the_edit_without_writing_it(tmp_path):
    folder = write_course(tmp_path / "course")
    before = (folder / "01-mod" / "01-lesson.md").read_text()
    cache = CompileCache(tmp_path / "cache")
    compile_source(FolderSource(folder), cache=cache)
    edited = before.replace("Body text.", "Body text, edited.")
    preview = preview_lesson(FolderSource(folder), "01-mod/01-lesson.md", edited, cache=cache)
    assert not preview.has_errors and preview.lesson is not None
    assert "edited." in preview.lesson.html["postgraduate"]
    assert preview.lesson.questions[0].choices[0].correct  # the answer key, for staff
    assert (folder / "01-mod" / "01-lesson.md").read_text() == before
    # the same as compiling a folder holding the edit
    (folder / "01-mod" / "01-lesson.md").write_text(edited)
    published = next(compile_folder(folder).courses[0].lessons())
    assert preview.lesson.content_hash == published.content_hash


def test_a_preview_lists_the_edited_files_findings_with_their_lines(tmp_path):
    folder = write_course(tmp_path / "course", {"01-mod/02-other.md": BROKEN["01-mod/02-lesson.md"]})
    text = BROKEN["01-mod/01-lesson.md"]
    preview = preview_lesson(FolderSource(folder), "01-mod/01-lesson.md", text)
    assert preview.has_errors
    mine = {(f.code, f.line) for f in preview.file_findings}
    assert ("E040", line_of(text, "outcomes:")) in mine
    assert ("E060", line_of(text, "02-missing.md")) in mine  # its own links are resolved
    assert all(f.path.endswith("01-mod/01-lesson.md") for f in preview.file_findings)
    # the other file's duplicate id is the course's finding, not this file's
    assert any(f.code == "E031" and f.path.endswith("02-other.md") for f in preview.findings)
    assert preview.lesson is not None and preview.lesson.id == "lesson-one"
    assert preview.course is None
    # the edited file's findings are those of assembling the whole course
    whole = preview_lesson(FolderSource(folder), "01-mod/01-lesson.md", text, whole=True)
    assert whole.file_findings == preview.file_findings
    assert whole.lesson == preview.lesson
    assert whole.course is not None


def test_a_preview_of_one_lesson_equals_that_lesson_of_the_whole_course():
    source = FolderSource(ROOT / "content" / "innovation-in-practice")
    path = "05-adoption-and-spread/01-diffusion-of-innovations.md"  # shows an image
    quick = preview_lesson(source, path)
    whole = preview_lesson(source, path, whole=True)
    assert quick.lesson is not None and quick.lesson == whole.lesson
    assert quick.file_findings == whole.file_findings
    assert set(quick.findings) <= set(whole.findings)


def test_an_edited_source_adds_and_replaces_files(tmp_path):
    folder = write_course(tmp_path / "course")
    edited = EditedSource(FolderSource(folder), {
        "01-mod/01-lesson.md": b"---\nid: lesson-one\ntitle: Renamed\n---\nBody.\n",
        "02-new/module.md": b"---\nid: mod-two\ntitle: Two\n---\n",
        "02-new/01-added.md": b"---\nid: lesson-added\ntitle: Added\n---\nNew.\n"})
    assert [e.name for e in edited.entries("")] == ["01-mod", "02-new", "course.md"]
    assert edited.kind("02-new") == "dir" and edited.kind("02-new/01-added.md") == "file"
    course = compile_source(edited).courses[0]
    assert [lesson.title for lesson in course.lessons()] == ["Renamed", "Added"]
    assert edited.revision() != FolderSource(folder).revision()
