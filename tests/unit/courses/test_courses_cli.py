"""python -m courses check / preview."""

from __future__ import annotations

import json
import subprocess
import sys

from course_helpers import LESSON, write_course

from courses.__main__ import main


def test_check_clean_course_prints_a_summary_and_exits_0(tmp_path, capsys):
    root = write_course(tmp_path / "course")
    assert main(["check", str(root)]) == 0
    assert capsys.readouterr().out.strip() == "1 course checked: no problems found"


def test_check_prints_one_line_per_finding_then_a_summary(tmp_path, capsys):
    root = write_course(tmp_path / "course", {
        "01-mod/01-lesson.md": LESSON.replace("- [x] Right", "- [ ] Right") + "\n#### Deep\n"})
    assert main(["check", str(root)]) == 1
    lines = capsys.readouterr().out.strip().split("\n")
    assert lines[0].endswith("01-mod/01-lesson.md:13: error Q001: question 'q-one' has no "
                             "correct choice (mark one '- [x]')")
    assert ": warning W003: " in lines[1]
    assert lines[-1] == "1 course checked: 1 error, 1 warning (0 compiled)"


def test_check_json_lists_findings_and_counts_per_course(tmp_path, capsys):
    root = write_course(tmp_path / "course", {"01-mod/01-lesson.md": LESSON + "\n#### Deep\n"})
    assert main(["check", str(root), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["findings"][0]["code"] == "W003"
    (course,) = data["courses"]
    assert course["id"] == "test-course"
    assert course["modules"] == 1
    assert course["lessons"] == {"postgraduate": 1, "ahp": 1, "junior": 1}
    assert course["questions"] == {"postgraduate": 1, "ahp": 1, "junior": 1}
    assert (course["errors"], course["warnings"]) == (0, 1)


def test_check_unreadable_folder_exits_2(tmp_path, capsys):
    assert main(["check", str(tmp_path / "missing")]) == 2
    assert "E001" in capsys.readouterr().out


def test_preview_prints_a_lessons_html_for_a_track(tmp_path, capsys):
    root = write_course(tmp_path / "course", {"01-mod/01-lesson.md": LESSON.replace(
        "Body text.", "Body text.\n\n/// track | junior\nJUNIOR\n///")})
    assert main(["preview", str(root), "--lesson", "lesson-one", "--track", "junior"]) == 0
    out = capsys.readouterr().out
    assert "JUNIOR" in out and "Pick the right one" not in out
    assert main(["preview", str(root), "--lesson", "lesson-one", "--track", "ahp"]) == 0
    assert "JUNIOR" not in capsys.readouterr().out
    assert main(["preview", str(root), "--lesson", "nope", "--track", "ahp"]) == 1


def test_module_runs_as_a_program(tmp_path):
    root = write_course(tmp_path / "course")
    done = subprocess.run([sys.executable, "-m", "courses", "check", str(root)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "no problems found" in done.stdout
