"""Content hashes follow what learners see, never file names or positions."""

from __future__ import annotations

import shutil

from course_helpers import LESSON, MODULE, compile_files, lesson, write_course

from courses import compile_folder


def hashes(course):
    return {
        "course": course.content_hash,
        "modules": {m.id: m.content_hash for m in course.modules},
        "lessons": {item.id: item.content_hash for item in course.lessons()},
        "questions": {q.id: q.content_hash for item in course.lessons() for q in item.questions},
    }


def test_recompiling_without_changes_gives_identical_hashes(tmp_path):
    root = write_course(tmp_path / "course", {"01-mod/02-more.md": lesson(
        "/// track | junior\nJunior.\n///\n", "id: lesson-two\ntitle: Two")})
    first, second = compile_folder(root).courses[0], compile_folder(root).courses[0]
    assert hashes(first) == hashes(second)
    assert first.revision == second.revision
    assert first == second


def test_renaming_a_lesson_file_keeps_its_id_and_hash(tmp_path):
    root = write_course(tmp_path / "course")
    before = compile_folder(root).courses[0]
    (root / "01-mod" / "01-lesson.md").rename(root / "01-mod" / "07-renamed-lesson.md")
    after = compile_folder(root).courses[0]
    assert [item.id for item in after.lessons()] == ["lesson-one"]
    assert hashes(after) == hashes(before)
    assert after.revision != before.revision  # the source did change


def test_moving_a_lesson_to_another_module_keeps_its_hash(tmp_path):
    root = write_course(tmp_path / "course", {
        "01-mod/02-second.md": lesson("Second.\n", "id: lesson-two\ntitle: Two"),
        "02-mod/module.md": MODULE.replace("mod-one", "mod-two"),
        "02-mod/01-third.md": lesson("Third.\n", "id: lesson-three\ntitle: Three"),
    })
    before = compile_folder(root).courses[0]
    shutil.move(root / "01-mod" / "02-second.md", root / "02-mod" / "05-second.md")
    after = compile_folder(root).courses[0]
    assert [item.id for item in after.modules[1].lessons] == ["lesson-three", "lesson-two"]
    assert hashes(after)["lessons"] == hashes(before)["lessons"]
    assert after.content_hash != before.content_hash  # the course's shape changed


def test_a_typo_fix_changes_the_lesson_but_not_its_questions(tmp_path):
    before = compile_files(tmp_path / "a").courses[0]
    after = compile_files(tmp_path / "b", {
        "01-mod/01-lesson.md": LESSON.replace("Body text.", "Body text, corrected.")}).courses[0]
    assert hashes(after)["lessons"] != hashes(before)["lessons"]
    assert hashes(after)["questions"] == hashes(before)["questions"]
    assert hashes(after)["modules"] == hashes(before)["modules"]


def test_changing_an_answer_changes_the_question_hash(tmp_path):
    before = compile_files(tmp_path / "a").courses[0]
    after = compile_files(tmp_path / "b", {
        "01-mod/01-lesson.md": LESSON.replace("- [x] Right\n- [ ] Wrong",
                                              "- [ ] Right\n- [x] Wrong")}).courses[0]
    assert hashes(after)["questions"] != hashes(before)["questions"]


def test_a_changed_image_changes_the_lesson_hash(tmp_path):
    files = {"01-mod/01-lesson.md": LESSON + "\n![A chart](chart.png)\n",
             "01-mod/chart.png": b"\x89PNG one"}
    before = compile_files(tmp_path / "a", files).courses[0]
    after = compile_files(tmp_path / "b", {**files, "01-mod/chart.png": b"\x89PNG two"}).courses[0]
    assert hashes(after)["lessons"] != hashes(before)["lessons"]
    (asset,) = after.assets
    assert (asset.path, asset.media_type) == ("01-mod/chart.png", "image/png")
    assert asset.source_path.read_bytes() == b"\x89PNG two"


def test_compiled_course_is_immutable_and_hashable(tmp_path):
    import dataclasses

    import pytest

    course = compile_files(tmp_path).courses[0]
    item = next(course.lessons())
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.title = "changed"  # type: ignore[misc]
    assert isinstance(hash(course), int)
    assert {item: 1}[item] == 1
    assert dict(item.html) == {t: item.html[t] for t in course.tracks}
