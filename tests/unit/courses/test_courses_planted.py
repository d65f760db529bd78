"""Ten mistakes of different kinds in one course: all reported in one run, in file order."""

from __future__ import annotations

from course_helpers import COURSE, MODULE, compile_files, line_of

COURSE_MD = COURSE.replace("tracks: [postgraduate, ahp, junior]",
                           "tracks: [postgraduate, ahp, junior, f1]") \
    .replace("title: Test course", "title: Test course\ncertifcate: {issue: automatic}")
MODULE_MD = MODULE.replace("id: mod-one", "id: Module One")
LESSON_MD = """\
---
id: lesson-one
title: Lesson one
outcomes: [lo-one, lo-missing]
pass_mark: 101
---
## First steps

![](images/nowhere.png)

/// tabs | wrong
x
///

/// question | q-one
How many?

= about two
    type: numeric
///

/// question | q-two
    type: single
Pick one.

- [x] One
- [x] Two
///

/// track | junior
Never closed.
"""
SECOND_MD = """\
---
id: lesson-one
title: Duplicate
---
Text.
"""

EXPECTED = [
    ("course.md", "certifcate", "E024"),
    ("course.md", "f1", "E010"),
    ("01-mod/module.md", "id:", "E030"),
    ("01-mod/01-lesson.md", "lo-missing", "E040"),
    ("01-mod/01-lesson.md", "pass_mark", "E027"),
    ("01-mod/01-lesson.md", "nowhere.png", "E060"),
    ("01-mod/01-lesson.md", "/// tabs", "E051"),
    ("01-mod/01-lesson.md", "type: numeric", "Q010"),
    ("01-mod/01-lesson.md", "- [x] One", "Q002"),
    ("01-mod/01-lesson.md", "/// track | junior", "E050"),
    ("01-mod/02-second.md", "id:", "E031"),
]


def test_ten_planted_errors_are_all_reported_in_one_run(tmp_path):
    files = {"course.md": COURSE_MD, "01-mod/module.md": MODULE_MD,
             "01-mod/01-lesson.md": LESSON_MD, "01-mod/02-second.md": SECOND_MD}
    result = compile_files(tmp_path, files)
    errors = [(f.path.rsplit("/course/", 1)[1], f.line, f.code) for f in result.errors]
    expected = [(path, line_of(files[path], needle), code) for path, needle, code in EXPECTED]
    assert errors == expected, "\n".join(str(f) for f in result.findings)
    assert result.exit_code == 1
    assert result.courses == ()
    # warnings ride along without hiding errors
    assert {f.code for f in result.warnings} >= {"W002"}
