from course_helpers import compile_files, write_course

from courses import compile_folder


def test_minimal_course_compiles_cleanly(tmp_path):
    result = compile_files(tmp_path)
    assert [str(f) for f in result.findings] == []
    assert result.exit_code == 0
    (course,) = result.courses
    assert course.id == "test-course"
    assert course.slug == "course"
    assert [m.id for m in course.modules] == ["mod-one"]
    lesson = course.modules[0].lessons[0]
    assert lesson.id == "lesson-one"
    assert lesson.questions[0].type == "single"
    assert lesson.pass_mark == 70


def test_folder_of_courses_and_single_course_folder_give_the_same_course(tmp_path):
    write_course(tmp_path / "content" / "course")
    from_parent = compile_folder(tmp_path / "content")
    from_course = compile_folder(tmp_path / "content" / "course")
    assert from_parent.courses[0].content_hash == from_course.courses[0].content_hash
