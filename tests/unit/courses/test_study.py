"""Study time, honest CPD hours and the reading figures per track (courses.study)."""

from __future__ import annotations

import json

import pytest
from course_helpers import COURSE, LESSON, compile_files

from courses.report import json_report
from courses.study import dishonest_hours, hours_for, study_minutes


@pytest.mark.parametrize(("minutes", "hours"), [(0, 0), (7, 0), (8, 0.25), (297, 5), (515, 8.5), (525, 8.75)])
def test_study_minutes_become_hours_to_the_nearest_quarter(minutes, hours):
    assert hours_for(minutes) == hours


def test_only_the_tracks_a_lesson_is_on_count():
    lessons = [({"junior": 10, "ahp": 20}, ("junior", "ahp")), ({"junior": 30, "ahp": 30}, ("ahp",))]
    assert study_minutes(lessons, "junior") == 10
    assert study_minutes(lessons, "ahp") == 50


def test_claimed_hours_must_be_the_study_time():
    problems = dishonest_hours({"junior": 8, "ahp": 8.75}, {"junior": 515, "ahp": 525})
    assert list(problems) == ["junior"]
    assert "claim junior: 8.5" in problems["junior"]


def test_json_report_gives_each_tracks_figures(tmp_path):
    two_tracks = COURSE.replace("tracks: [postgraduate, ahp, junior]\n",
                                "tracks: [postgraduate, junior]\ncpd_hours: {postgraduate: 0.25, junior: 0.25}\n")
    lesson = LESSON.replace("outcomes: [lo-one]", "outcomes: [lo-one]\nestimated_minutes: 15").replace(
        "Body text.", "Body text.\n\n/// track | postgraduate\nA longer and harder passage, only for postgraduates, "
        "about the epistemological underpinnings of implementation science.\n///")
    result = compile_files(tmp_path, {"course.md": two_tracks, "01-mod/01-lesson.md": lesson})
    assert result.exit_code == 0, [str(f) for f in result.findings]
    tracks = json.loads(json.dumps(json_report(result)))["courses"][0]["tracks"]
    assert set(tracks) == {"postgraduate", "junior"}
    pg, junior = tracks["postgraduate"], tracks["junior"]
    assert pg["study_minutes"] == junior["study_minutes"] == 15 and pg["cpd_hours"] == 0.25
    assert pg["lessons"] == 1 and pg["questions"] == junior["questions"] >= 1
    assert pg["pools"] == {"lesson-one": {"pool": pg["questions"], "draw": pg["questions"]}}
    assert pg["words"] > junior["words"] and pg["own_share"] > 0 and junior["own_share"] == 0
    assert pg["grade_level"] > junior["grade_level"]  # the postgraduate passage reads harder


def test_pools_say_how_many_questions_an_attempt_draws(tmp_path):
    lesson = LESSON.replace("outcomes: [lo-one]", "outcomes: [lo-one]\ndraw: 1").replace(
        "- [ ] Wrong\n///", "- [ ] Wrong\n///\n\n/// question | q-two\nPick again.\n\n- [x] Yes\n- [ ] No\n///")
    result = compile_files(tmp_path, {"01-mod/01-lesson.md": lesson})
    assert result.exit_code == 0, [str(f) for f in result.findings]
    tracks = json_report(result)["courses"][0]["tracks"]
    assert tracks["junior"]["pools"] == {"lesson-one": {"pool": 2, "draw": 1}}
