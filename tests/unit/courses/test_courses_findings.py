"""One test per finding code: a tiny course with one mistake, reported at the right place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from course_helpers import COURSE, LESSON, MODULE, compile_files, lesson, line_of, only, write_course

from courses import CODES, compile_course, compile_folder


@dataclass
class Case:
    code: str
    files: dict[str, str | bytes | None]
    path: str  # the file the finding must name
    needle: str | None  # text on the expected line (None: line 1)
    message: str = ""  # a part of the message
    nth: int = 1

    def expected_line(self) -> int:
        if self.needle is None:
            return 1
        return line_of(self.files[self.path], self.needle, self.nth)


L = "01-mod/01-lesson.md"
M = "01-mod/module.md"
C = "course.md"
GOOD_Q = """
/// question | q-one
Pick the right one.

- [x] Right
- [ ] Wrong
///
"""
ASSIGNMENT = "id: lesson-one\ntitle: One\noutcomes: [lo-one]\nkind: assignment"
RUBRIC = """
/// rubric
## Evidence | 40
- 0: Fail - no sources.
- 60: Pass - relevant sources.

## Plan | 60
- 0: Fail - no plan.
- 60: Pass - a workable plan.
///
"""

ORDERING = """
/// question | q-order
    type: ordering
Put the stages in order.

1. Plan
2. Do
3. Study
///
"""
MATCHING = """
/// question | q-match
    type: matching
Match each role.

- Innovator -> Tries it first
- Laggard -> Adopts last
- -> Blocks it
///
"""

CASES = [
    Case("E003", {"../other/notes.md": "# notes\n"}, "", None),  # handled in its own test
    Case("E004", {"02-extra/01-lesson.md": lesson("Text.\n", "id: lesson-two\ntitle: Two")},
         "02-extra", None, "no module.md"),
    Case("E007", {M: None, L: None}, C, None, "no modules"),
    Case("E010", {C: COURSE.replace("tracks: [postgraduate, ahp, junior]",
                                    "tracks: [postgraduate, f1]")},
         C, "tracks:", "unknown track 'f1' (known: postgraduate, ahp, junior)"),
    Case("E011", {M: MODULE.replace("title: Module one", "title: Module one\ntracks: [ahp]"),
                  L: lesson("Text.\n" + GOOD_Q,
                            "id: lesson-one\ntitle: One\noutcomes: [lo-one]\n"
                            "tracks: [ahp, junior]")},
         L, "tracks:", "track 'junior' is not one of the module's tracks"),
    Case("E012", {C: COURSE.replace("tracks: [postgraduate, ahp, junior]",
                                    "tracks: [postgraduate, ahp]"),
                  L: lesson("Text.\n" + GOOD_Q,
                            "id: lesson-one\ntitle: One\noutcomes: [lo-one]\ntracks: [ahp]")},
         M, None, "no lessons for the postgraduate track"),
    Case("E020", {L: "Just text, no front matter.\n"}, L, None, "front matter"),
    Case("E021", {L: "---\nid: lesson-one\ntitle: One\n\nBody.\n"}, L, None, "never closed"),
    Case("E022", {L: lesson("Text.\n", "id: lesson-one\ntitle: PDSA: a worked example")},
         L, "title:", "put in quotes"),
    Case("E023", {L: "---\n- id: lesson-one\n---\nText.\n"}, L, "- id", "'key: value'"),
    Case("E024", {L: lesson("Text.\n" + GOOD_Q,
                            "id: lesson-one\ntitle: One\noutcomes: [lo-one]\nestimated_minuts: 5")},
         L, "estimated_minuts", "did you mean 'estimated_minutes'"),
    Case("E025", {L: lesson("Text.\n" + GOOD_Q,
                            "id: lesson-one\ntitle: One\noutcomes: [lo-one]\ntitle: Again")},
         L, "title: Again", "given twice"),
    Case("E026", {L: lesson("Text.\n" + GOOD_Q, "id: lesson-one\noutcomes: [lo-one]")},
         L, None, "no 'title'"),
    Case("E027", {L: lesson("Text.\n" + GOOD_Q,
                            "id: lesson-one\ntitle: One\noutcomes: [lo-one]\npass_mark: 120")},
         L, "pass_mark", "percentage from 0 to 100"),
    Case("E030", {L: lesson("Text.\n" + GOOD_Q,
                            "id: Lesson One\ntitle: One\noutcomes: [lo-one]")},
         L, "id:", "lowercase letters"),
    Case("E031", {"01-mod/02-lesson.md": lesson("Text.\n", "id: lesson-one\ntitle: Two")},
         "01-mod/02-lesson.md", "id:", "already used at"),
    Case("E033", {C: COURSE.replace("learning_outcomes:", "retired: [q-one]\nlearning_outcomes:")},
         C, "retired:", "never be reused"),
    Case("E040", {L: lesson("Text.\n" + GOOD_Q,
                            "id: lesson-one\ntitle: One\noutcomes: [lo-one, lo-nope]")},
         L, "outcomes:", "'lo-nope' does not exist"),
    Case("E041", {L: lesson("Text.\n" + GOOD_Q.replace("Pick", "    tracks: [ahp]\n\nPick"),
                            "id: lesson-one\ntitle: One\noutcomes: [lo-one]\npass_mark: 80")},
         L, "pass_mark", "no questions for postgraduate, junior"),
    Case("E042", {L: lesson("Text.\n" + GOOD_Q, "id: lesson-one\ntitle: One\noutcomes: [lo-one]\n"
                            "draw: 2")},
         L, "draw:", "draws 2 questions for each attempt, but only 1 is for the postgraduate, ahp and junior tracks"),
    Case("E043", {L: lesson("Text.\n" + GOOD_Q + GOOD_Q.replace("q-one", "q-two").replace(
        "Pick", "    outcome: lo-one\n\nPick"),
        "id: lesson-one\ntitle: One\noutcomes: [lo-one]\ndraw: {per_outcome: 1}")},
         L, "/// question | q-one", "question 'q-one' names no learning outcome"),
    Case("E044", {L: lesson("Text.\n" + GOOD_Q.replace("Pick", "    outcome: lo-two\n\nPick"))},
         L, "outcome: lo-two", "'lo-two', which is not one of this lesson's outcomes (lo-one)"),
    Case("E050", {L: LESSON + "\n/// track | junior\nNever closed.\n"}, L, "/// track | junior",
         "never closed"),
    Case("E051", {L: LESSON + "\n/// quiz | x\nText.\n///\n"}, L, "/// quiz", "unknown block"),
    Case("E052", {M: MODULE + "\n/// question | q-mod\nWhat?\n\n- [x] Yes\n- [ ] No\n///\n"},
         M, "/// question", "belong in lesson files"),
    Case("E053", {L: LESSON + "\n/// reflection\nThink.\n///\n"}, L, "/// reflection", "no id"),
    Case("E054", {L: LESSON + "\nText.\n///\n"}, L, "///", "no block is open", nth=3),
    Case("E055", {L: LESSON + "\n/// reflection | r-empty\n\n///\n"}, L, "/// reflection",
         "no prompt"),
    Case("E056", {L: LESSON + "\n- A list\n\n    /// track | junior\n    Hidden.\n    ///\n"},
         L, "/// track", "indented"),
    Case("E060", {L: LESSON + "\n![Spread curve](images/missing.png)\n"}, L, "missing.png",
         "does not exist"),
    Case("E061", {L: LESSON + "\nSee [the notes](../../secret.pdf).\n"}, L, "secret.pdf",
         "outside the course folder"),
    Case("E062", {L: LESSON + "\nA [trap](javascript:alert(1)).\n"}, L, "javascript",
         "'javascript:', which is not allowed"),
    Case("E063", {L: LESSON + "\nSee [the module](module.md).\n"}, L, "module.md",
         "not a lesson"),
    Case("E064", {L: LESSON + "\n![Diagram](bad.svg)\n",
                  "01-mod/bad.svg": '<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>'},
         L, "bad.svg", "scripts"),
    # pymdownx.blocks raises IndexError on this nesting; reported where the body starts
    Case("E071", {L: lesson("Broken nesting.\n\n/// note\n> a\n> /// note\n> b\n> ///\n> ///\n///\n")},
         L, "Broken nesting.", "the Markdown library failed on it"),
    Case("Q001", {L: LESSON.replace("- [x] Right", "- [ ] Right")}, L, "- [ ] Right",
         "question 'q-one' has no correct choice (mark one '- [x]')"),
    Case("Q002", {L: LESSON.replace("- [ ] Wrong", "- [x] Also\n- [ ] Wrong").replace(
        "/// question | q-one", "/// question | q-one\n    type: single")},
         L, "- [x] Right", "2 correct choices"),
    Case("Q003", {L: lesson("Text.\n\n/// question | q-one\n    type: numeric\n\nHow many?\n\n"
                            "= two\n///\n")}, L, "= two", "not a number"),
    Case("Q004", {L: lesson("Text.\n\n/// question | q-one\n    type: truefalse\n\nIs it?\n\n"
                            "- [x] Yes\n- [ ] No\n///\n")}, L, "- [x] Yes", "True"),
    Case("Q005", {L: LESSON.replace("/// question | q-one",
                                    "/// question | q-one\n    type: essay")},
         L, "type: essay", "unknown question type 'essay'"),
    Case("Q006", {L: lesson("Text.\n\n/// question | q-one\nWhat do you think?\n///\n")},
         L, "/// question", "no answers"),
    Case("Q007", {L: LESSON.replace("- [ ] Wrong", "- [ ] Wrong\n\n= right")}, L, "= right",
         "mixes choices"),
    Case("Q008", {L: LESSON.replace("- [ ] Wrong\n", "")}, L, "- [x] Right", "only one choice"),
    Case("Q009", {L: lesson("Text.\n\n/// question | q-one\n- [x] Right\n- [ ] Wrong\n///\n")},
         L, "/// question", "no question text"),
    Case("Q010", {L: LESSON.replace("- [ ] Wrong", "- [ ] Wrong\n\nRemember this.")},
         L, "Remember this", "must start with 'Hint:' or 'Explanation:'"),
    Case("Q011", {L: LESSON.replace("- [ ] Wrong", "- [ ] Wrong\n\nExplanation: One.\n"
                                                   "Explanation: Two.")},
         L, "Explanation: Two", "more than one"),
    Case("Q012", {L: LESSON.replace("/// question | q-one",
                                    "/// question | q-one\n    pionts: 2")},
         L, "pionts", "unknown option 'pionts'"),
    Case("Q013", {L: LESSON.replace("/// question | q-one",
                                    "/// question | q-one\n    points: -1")},
         L, "points", "above 0"),
    Case("Q014", {L: LESSON.replace("- [ ] Wrong", "- [ ] Wrong\n\nHint:")}, L, "Hint:",
         "empty"),
    Case("A001", {L: lesson("Text.\n" + GOOD_Q + RUBRIC)}, L, "/// rubric", "belongs to an assignment"),
    Case("A002", {L: lesson("Write an essay.\n" + RUBRIC + RUBRIC, ASSIGNMENT)}, L, "/// rubric",
         "already has a rubric", nth=2),
    Case("A003", {L: lesson("Write an essay.\n" + RUBRIC.replace("Plan | 60", "Plan | sixty"),
                            ASSIGNMENT)}, L, "Plan | sixty", "must be a number"),
    Case("A004", {L: lesson("Write an essay.\n" + RUBRIC.replace("Plan | 60", "Plan | 50"),
                            ASSIGNMENT)}, L, "/// rubric", "add up to 90 (40 + 50)"),
    Case("A005", {L: lesson("Write an essay.\n" + RUBRIC.replace("- 60: Pass - a", "- 160: Pass - a"),
                            ASSIGNMENT)}, L, "- 160", "outside 0 to 100"),
    Case("A006", {L: lesson("Write an essay.\n" + RUBRIC.replace("- 0: Fail - no plan.\n", ""),
                            ASSIGNMENT)}, L, "## Plan", "has 1 level(s)"),
    Case("A007", {L: lesson("Write an essay.\n" + RUBRIC.replace("## Plan", "Marked by two people.\n## Plan"),
                            ASSIGNMENT)}, L, "Marked by two", "neither a criterion"),
    Case("A008", {L: lesson("Text.\n" + GOOD_Q,
                            "id: lesson-one\ntitle: One\noutcomes: [lo-one]\nword_limit: 1500")},
         L, "word_limit", "belongs to assignments"),
    Case("A009", {L: lesson("Write an essay.\n" + GOOD_Q + RUBRIC, ASSIGNMENT)}, L, "/// question",
         "cannot hold questions"),
    Case("Q040", {L: LESSON + ORDERING.replace("2. Do\n3. Study\n", "")}, L, "1. Plan",
         "needs at least two items"),
    Case("Q041", {L: LESSON + ORDERING.replace("2. Do\n3. Study", "3. Study\n2. Do")}, L, "1. Plan",
         "numbered 1, 3, 2; the order of the lines is the answer"),
    Case("Q042", {L: LESSON + MATCHING.replace("- Laggard -> Adopts last",
                                               "- Laggard -> Adopts last\n- innovator -> Adopts last")},
         L, "- innovator", "appears twice"),
    Case("Q043", {L: LESSON + MATCHING.replace("- Laggard -> Adopts last", "- Laggard: Adopts last")},
         L, "- Laggard:", "has no '->'"),
    Case("W001", {C: COURSE.replace("    text: Do one thing.",
                                    "    text: Do one thing.\n  - id: lo-two\n    text: Two.")},
         C, "lo-two", "not assessed"),
    Case("W007", {L: lesson("Text.\n" + GOOD_Q, "id: lesson-one\ntitle: One\noutcomes: [lo-one]\n"
                            "reveal: after-last-attempt")},
         L, "reveal:", "would never show the answers"),
    Case("W002", {L: LESSON + "\n![](pic.png)\n", "01-mod/pic.png": b"\x89PNG"}, L, "pic.png",
         "no alt text"),
    Case("W003", {L: LESSON + "\n#### Too deep\n"}, L, "#### Too deep", "from level 2 to level 4"),
    Case("W004", {L: LESSON + "\nFor details [click here](https://example.org).\n"},
         L, "click here", "does not say where"),
    Case("W005", {"notes.md": "# Notes\n"}, "notes.md", None, "not part of the course"),
    Case("W040", {L: LESSON + "\n- Plan\n - Set an aim\n- Do\n"}, L, " - Set an aim",
         "one space past the list item on line"),
    Case("W006", {L: LESSON + "\n## Sources\n\n- [*Linked*](https://example.org/a), 2020.\n"
                                "- Smith J. *Unlinked book*.\n  Publisher, 2019.\n"},
         L, "Unlinked book", "has no link"),
    Case("W081", {L: LESSON.replace("- [ ] Wrong", "- [ ] Wrong\n\nHint: It is the choice called Right.")
                  .replace("- [x] Right", "- [x] The right one").replace("Right.", "the right one.")},
         L, "/// question", "contains its answer ('the right one')"),
    Case("W082", {L: LESSON.replace("- [ ] Wrong", "- [x] Also right\n- [ ] Wrong")
                  .replace("/// question | q-one", "/// question | q-one\n    type: multiple")},
         L, "/// question", "2 right choices but only 1 wrong"),
    Case("W083", {L: LESSON + "\n/// question | q-two\nPick   the RIGHT one.\n\n- [x] Right\n- [ ] Wrong\n///\n"},
         L, "/// question | q-two", "'q-two' is the same as 'q-one'"),
    Case("W084", {L: lesson("Text.\n\n/// question | q-one\nWhen was it founded?\n\n= 1948\n///\n")},
         L, "/// question", "asks for a year"),
    Case("W080", {C: COURSE.replace("tracks: [postgraduate, ahp, junior]\n",
                                    "tracks: [postgraduate, ahp, junior]\n"
                                    "cpd_hours: {postgraduate: 1, ahp: 0.25, junior: 0.25}\n"),
                  L: LESSON.replace("outcomes: [lo-one]", "outcomes: [lo-one]\nestimated_minutes: 15")},
         C, "postgraduate: 1", "claims 1 CPD hours, but its lessons' estimated_minutes add up to 15 minutes"),
]


@pytest.mark.parametrize("case", [c for c in CASES if c.path], ids=lambda c: c.code)
def test_finding_is_reported_at_its_file_and_line(tmp_path, case):
    result = compile_files(tmp_path, case.files)
    finding = only(result, case.code)
    assert finding.path.endswith("course/" + case.path), finding
    assert finding.line == case.expected_line(), str(finding)
    assert case.message in finding.message
    assert finding.severity == CODES[case.code].severity
    assert str(finding).startswith(f"{finding.path}:{finding.line}: {finding.severity} "
                                   f"{case.code}: ")
    if finding.severity == "error":
        assert result.exit_code == 1
        assert result.courses == ()
    else:
        assert result.exit_code == 0
        assert len(result.courses) == 1


def test_E001_missing_folder_is_exit_code_2(tmp_path):
    result = compile_folder(tmp_path / "nowhere")
    assert only(result, "E001").line == 1
    assert result.exit_code == 2
    file_instead = tmp_path / "file.md"
    file_instead.write_text("x")
    assert compile_folder(file_instead).exit_code == 2


def test_E002_folder_without_courses_is_exit_code_2(tmp_path):
    (tmp_path / "empty").mkdir()
    result = compile_folder(tmp_path / "empty")
    assert only(result, "E002").path.endswith("empty")
    assert result.exit_code == 2
    assert compile_course(tmp_path / "empty").exit_code == 2


def test_E003_folder_with_markdown_but_no_course_md(tmp_path):
    write_course(tmp_path / "content" / "good")
    (tmp_path / "content" / "half-written").mkdir()
    (tmp_path / "content" / "half-written" / "notes.md").write_text("# notes\n")
    result = compile_folder(tmp_path / "content")
    finding = only(result, "E003")
    assert finding.path.endswith("content/half-written")
    assert finding.line == 1
    assert len(result.courses) == 1  # the good course still compiles
    assert result.exit_code == 1


def test_E005_file_that_is_not_utf8_points_at_the_bad_line(tmp_path):
    text = LESSON.encode() + b"\nCaf\xe9 au lait\n"
    result = compile_files(tmp_path, {L: text})
    finding = only(result, "E005")
    assert finding.path.endswith(L)
    assert finding.line == LESSON.count("\n") + 2


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_E006_link_to_a_file_outside_the_course(tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text(lesson("Text.\n", "id: lesson-two\ntitle: Two"))
    root = write_course(tmp_path / "course")
    (root / "01-mod" / "02-lesson.md").symlink_to(outside)
    finding = only(compile_folder(root), "E006")
    assert finding.path.endswith("01-mod/02-lesson.md")


def test_E032_id_with_learner_data_removed_without_retiring(tmp_path):
    data = {"test-course": {"lesson-one", "q-one", "q-gone"}}
    result = compile_files(tmp_path, ids_with_learner_data=data)
    finding = only(result, "E032")
    assert finding.path.endswith("course/course.md")
    assert "'q-gone'" in finding.message
    retired = COURSE.replace("learning_outcomes:", "retired: [q-gone]\nlearning_outcomes:")
    result = compile_files(tmp_path / "again", {C: retired}, ids_with_learner_data=data)
    assert result.exit_code == 0, [str(f) for f in result.findings]


def test_E034_two_courses_with_the_same_slug(tmp_path):
    write_course(tmp_path / "content" / "a")
    other = COURSE.replace("id: test-course", "id: other-course").replace(
        "title: Test course", "title: Other\nslug: a")
    write_course(tmp_path / "content" / "b", {C: other})
    result = compile_folder(tmp_path / "content")
    finding = only(result, "E034")
    assert finding.path.endswith("content/b/course.md")
    assert finding.line == line_of(other, "slug:")
    assert [c.id for c in result.courses] == ["test-course"]


def test_duplicate_course_ids_across_folders(tmp_path):
    write_course(tmp_path / "content" / "a")
    write_course(tmp_path / "content" / "b")
    result = compile_folder(tmp_path / "content")
    finding = only(result, "E031")
    assert finding.path.endswith("content/b/course.md")
    assert "content/a/course.md" in finding.message


def test_every_code_has_a_test():
    # E070 (a Markdown loop) has no known input left: test_markdown_terminates.py makes one
    tested = {c.code for c in CASES} | {"E001", "E002", "E005", "E006", "E032", "E034", "E070"}
    assert tested == set(CODES)


def test_every_code_is_documented_for_educators():
    docs = (Path(__file__).resolve().parents[3] / "docs" / "content-format.md").read_text(
        encoding="utf-8")
    missing = [code for code in CODES if f"`{code}`" not in docs]
    assert missing == []


def test_errors_in_several_files_come_in_file_order(tmp_path):
    files = {
        C: COURSE.replace("tracks: [postgraduate, ahp, junior]", "tracks: [postgraduate, f1]"),
        L: LESSON.replace("- [x] Right", "- [ ] Right") + "\n/// quiz\n",
        M: MODULE.replace("id: mod-one", "id: Mod"),
    }
    result = compile_files(tmp_path, files)
    order = [(f.path.rsplit("course/", 1)[1], f.line) for f in result.findings]
    assert order == sorted(order, key=lambda item: (["course.md", M, L].index(item[0]), item[1]))
