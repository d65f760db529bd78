"""Assignment lessons as compiled: settings, the rubric, its marks, the cache and the hashes."""

from __future__ import annotations

import pytest
from course_helpers import COURSE, compile_files, lesson

from courses import AssignmentSpec, CompileCache, compile_folder

L = "01-mod/01-lesson.md"
FRONT = ("id: lesson-one\ntitle: Essay\noutcomes: [lo-one]\nkind: assignment\nword_limit: 1500\npass_mark: 50\n"
         "files: true")
BODY = """\
Write an appraisal of [an innovation](https://example.org/brief).

/// rubric
## Use of evidence | 40
- 0: Fail - no sources.
- 60: Merit - sources weighed
  against each other, *critically*.
- 70: Distinction - see [the guide](https://example.org/guide).

## Adoption plan | 60
- 0: Fail - no plan.
- 50: Pass - a plan.
///

Text after the rubric stays in the brief.
"""


def compiled(tmp_path, body=BODY, front=FRONT, course=COURSE, **kwargs):
    result = compile_files(tmp_path, {L: lesson(body, front), "course.md": course}, **kwargs)
    assert result.exit_code == 0, "\n".join(str(f) for f in result.findings)
    return result


def test_an_assignment_compiles_with_its_settings_and_rubric(tmp_path):
    course = compiled(tmp_path).courses[0]
    essay = course.find_lesson("lesson-one")
    assert essay.kind == "assignment" and essay.pass_mark == 50
    spec = essay.assignment
    assert (spec.word_limit, spec.files, spec.resubmit) == (1500, True, True)
    assert [(c.title, c.weight, [lv.mark for lv in c.levels]) for c in spec.rubric] == [
        ("Use of evidence", 40, [0, 60, 70]), ("Adoption plan", 60, [0, 50])]
    merit = spec.rubric[0].levels[1].html
    assert merit == "Merit - sources weighed\nagainst each other, <em>critically</em>."
    assert 'href="https://example.org/guide"' in spec.rubric[0].levels[2].html
    html = essay.html["junior"]
    assert "Write an appraisal" in html and "Text after the rubric stays in the brief." in html
    assert "Use of evidence" not in html  # the rubric is shown by the assignment page, not in the brief
    assert course.marking.second_marking is False and course.marking.moderation is False


def test_course_marking_settings_are_read(tmp_path):
    course_md = COURSE.replace("---\n# Test", "marking: {second_marking: true, moderation: true}\n---\n# Test")
    course = compiled(tmp_path, course=course_md).courses[0]
    assert course.marking.second_marking and course.marking.moderation


def test_a_plain_lesson_is_a_lesson(tmp_path):
    course = compile_files(tmp_path).courses[0]
    assert course.find_lesson("lesson-one").kind == "lesson"
    assert course.find_lesson("lesson-one").assignment is None


@pytest.mark.parametrize(("chosen", "overall"), [({0: 60, 1: 50}, 54.0), ({0: 70, 1: 0}, 28.0), ({0: 0, 1: 0}, 0.0)])
def test_the_overall_mark_is_the_weighted_sum_of_the_levels(tmp_path, chosen, overall):
    spec = compiled(tmp_path).courses[0].find_lesson("lesson-one").assignment
    assert spec.overall_mark(chosen) == overall
    assert AssignmentSpec.from_dict(spec.to_dict()) == spec


def test_the_overall_mark_refuses_a_missing_or_unknown_level(tmp_path):
    spec = compiled(tmp_path).courses[0].find_lesson("lesson-one").assignment
    with pytest.raises(ValueError, match="no level chosen for 'Adoption plan'"):
        spec.overall_mark({0: 60})
    with pytest.raises(ValueError, match="55 is not a level of 'Adoption plan'"):
        spec.overall_mark({0: 60, 1: 55})


def test_a_cached_assignment_equals_an_uncached_one(tmp_path):
    plain = compiled(tmp_path)
    cache = CompileCache(tmp_path / "cache")
    compile_folder(tmp_path / "course", cache=cache)
    cached = compile_folder(tmp_path / "course", cache=cache)
    assert cache.hits > 0
    assert cached.courses == plain.courses


def test_changing_a_level_changes_the_lessons_hash(tmp_path):
    before = compiled(tmp_path / "a").courses[0].find_lesson("lesson-one").content_hash
    after = compiled(tmp_path / "b", body=BODY.replace("- 50: Pass", "- 55: Pass")).courses[0]
    assert after.find_lesson("lesson-one").content_hash != before
