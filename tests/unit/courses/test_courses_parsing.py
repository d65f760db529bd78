"""Details of reading front matter and question blocks."""

from __future__ import annotations

import pytest
import yaml
from course_helpers import LESSON, compile_files, lesson

from courses.questionblock import _simple_options


@pytest.mark.parametrize("text", [
    "    points: 2", "    type: single  # single | multiple", "    type: truefalse",
    "    points: 10\n    type: numeric",
])
def test_quick_option_reader_agrees_with_yaml(text):
    lines = list(enumerate(text.split("\n"), start=1))
    options, _ = _simple_options(lines)
    assert options == yaml.safe_load("\n".join(line.strip() for line in text.split("\n")))


@pytest.mark.parametrize("text", ["    points: 1.5", "    tracks: [junior]", "    type: yes",
                                  "    points: 2\n    points: 3", "    type: 'single'"])
def test_quick_option_reader_leaves_the_rest_to_yaml(text):
    assert _simple_options(list(enumerate(text.split("\n"), start=1))) is None


def compile_lesson(tmp_path, body, front=None):
    text = lesson(body) if front is None else lesson(body, front)
    result = compile_files(tmp_path, {"01-mod/01-lesson.md": text})
    assert result.exit_code == 0, [str(f) for f in result.findings]
    return result.courses[0].modules[0].lessons[0]


def test_question_types_are_inferred_from_the_answers(tmp_path):
    item = compile_lesson(tmp_path, """
/// question | q-single
One?

- [x] a
- [ ] b
///

/// question | q-multiple
Some?

- [x] a
- [x] b
- [ ] c
///

/// question | q-tf
True?

- [ ] True
- [x] False
///

/// question | q-numeric
How many?

= 2
= 1.41 +- 0.01
///

/// question | q-short
Name?

= PDSA
= 2
///
""")
    assert [q.type for q in item.questions] == ["single", "multiple", "truefalse", "numeric",
                                                "short"]
    assert [c.key for c in item.questions[2].choices] == ["true", "false"]
    assert item.questions[4].accepted == ("pdsa", "2")


def test_the_format_example_question(tmp_path):
    item = compile_lesson(tmp_path, """
/// question | q-spread-adopters
    type: single          # single | multiple | truefalse | short | numeric (inferred if absent)
    points: 1             # default 1
    tracks: [junior]      # optional

Which group adopts an innovation **first** in Rogers' model?

- [ ] Early majority
    > The early majority follow opinion leaders; they are not first.
- [x] Innovators
- [ ] Laggards

Hint: Think of the 2.5% at the left of the curve.
Explanation: Rogers names five adopter categories; innovators come first.
///
""", front="id: lesson-one\ntitle: One")
    (q,) = item.questions
    assert (q.id, q.type, q.points, q.tracks) == ("q-spread-adopters", "single", 1, ("junior",))
    assert q.stem_html == ("<p>Which group adopts an innovation <strong>first</strong> in "
                           "Rogers' model?</p>")
    assert [(c.key, c.html, c.correct) for c in q.choices] == [
        ("a", "Early majority", False), ("b", "Innovators", True), ("c", "Laggards", False)]
    assert q.choices[0].feedback_html == ("<p>The early majority follow opinion leaders; they "
                                          "are not first.</p>")
    assert q.hints_html == ("<p>Think of the 2.5% at the left of the curve.</p>",)
    assert q.explanation_html == ("<p>Rogers names five adopter categories; innovators come "
                                  "first.</p>")


def test_labels_in_the_stem_are_just_text(tmp_path):
    item = compile_lesson(tmp_path, """
/// question | q-one
Hint: this line is part of the question.

- [x] a
- [ ] b

Hint: first
Hint: second
  continues here
Explanation: One paragraph.

And a second one.
///
""")
    q = item.questions[0]
    assert "Hint: this line" in q.stem_html
    assert q.hints_html[0] == "<p>first</p>"
    assert q.hints_html[1].startswith("<p>second\n") and "continues here" in q.hints_html[1]
    assert q.explanation_html == "<p>One paragraph.</p>\n<p>And a second one.</p>"


def test_choices_inside_a_code_block_in_the_stem_are_not_choices(tmp_path):
    item = compile_lesson(tmp_path, """
/// question | q-one
What does this print?

```
- [x] not a choice
```

- [x] a
- [ ] b
///
""")
    q = item.questions[0]
    assert len(q.choices) == 2
    assert "not a choice" in q.stem_html


def test_lesson_settings(tmp_path):
    item = compile_lesson(tmp_path, LESSON.split("---\n", 2)[2], front="""
id: lesson-one
title: One
outcomes: [lo-one]
estimated_minutes: {default: 15, postgraduate: 25}
pass_mark: 80
attempts: 3
required: false
shuffle: true
""")
    assert dict(item.estimated_minutes) == {"postgraduate": 25, "ahp": 15, "junior": 15}
    assert (item.pass_mark, item.attempts, item.required, item.shuffle) == (80, 3, False, True)


def test_course_settings(tmp_path):
    result = compile_files(tmp_path, {"course.md": """\
---
id: test-course
title: Test course
slug: testing
summary: A short course.
tracks: [postgraduate, junior]
cpd_hours: {postgraduate: 12, junior: 6}
pass_mark: 60
partner: imperial-college-london
certificate: {issue: approval, valid_for_months: 36}
status: draft
learning_outcomes:
  - id: lo-one
    text: Do one thing.
  - id: lo-pg
    text: Appraise.
    tracks: [postgraduate]
---
"""})
    assert [str(f) for f in result.errors] == []
    course = result.courses[0]
    assert (course.slug, course.summary, course.status) == ("testing", "A short course.", "draft")
    assert dict(course.cpd_hours) == {"postgraduate": 12, "junior": 6}
    assert (course.pass_mark, course.partner) == (60, "imperial-college-london")
    assert (course.certificate.issue, course.certificate.valid_for_months) == ("approval", 36)
    assert course.outcomes[1].tracks == ("postgraduate",)
    assert next(course.lessons()).pass_mark == 60


def test_links_between_lessons_and_to_files_are_rewritten(tmp_path):
    result = compile_files(tmp_path, {
        "01-mod/01-lesson.md": LESSON + "\nSee [the next lesson](02-next.md#start) and "
                                        "[the form](files/form.pdf).\n",
        "01-mod/02-next.md": lesson("Next.\n", "id: lesson-next\ntitle: Next"),
        "01-mod/files/form.pdf": b"%PDF-1.4",
    }, asset_url="/static/{slug}/{path}?v={sha256}", lesson_url="/c/{slug}/{module}/{lesson}/")
    html = result.courses[0].modules[0].lessons[0].html["ahp"]
    assert 'href="/c/course/mod-one/lesson-next/#start"' in html
    assert 'href="/static/course/01-mod/files/form.pdf?v=' in html
    assert [a.media_type for a in result.courses[0].assets] == ["application/pdf"]
