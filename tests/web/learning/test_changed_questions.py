"""Kind 8 of issue 10 (part): when a question's correct answers change, earlier attempts keep their grade
and the review says the question has since changed."""

import re

from sqlalchemy import select

from lms.extensions import db
from lms.learning.models import QuizAttempt
from tests.web.learning.helpers import RIGHT, enrol, submit
from tests.web.publishing.course_files import write_course


def test_an_attempt_keeps_its_grade_when_the_correct_answer_changes(client, runner, tmp_path, tiny_course,
                                                                     make_user, login):
    login(make_user())
    enrol(client)
    response = submit(client, RIGHT)
    review_url = response.headers["Location"]
    page = client.get(review_url).get_data(as_text=True)
    assert "has changed since you answered" not in page

    folder = tmp_path / "content"
    course = write_course(folder)
    check = course / "01-one" / "03-check.md"
    check.write_text(check.read_text().replace("- [x] Right\n- [ ] Wrong", "- [ ] Right\n- [x] Wrong"))
    result = runner.invoke(args=["content", "build", str(folder)])
    assert result.exit_code == 0, result.output

    page = client.get(review_url).get_data(as_text=True)
    assert "This question has changed since you answered it" in page
    first = page.split('id="result-q-first"')[1].split('id="result-q-second"')[0]
    assert re.search(r"Question 1\s*<strong class=\"nhsuk-tag nhsuk-tag--green\"\s*>\s*Correct", first)
    attempt = db.session.scalar(select(QuizAttempt))
    assert attempt.passed and attempt.percent == 100  # stored grades are never rewritten
    second = page.split('id="result-q-second"')[1]
    assert "has changed since" not in second  # an unchanged question says nothing


SWAPPED = "- [ ] Wrong\n    > Not this one.\n- [x] Right\n"
ORIGINAL = "- [x] Right\n- [ ] Wrong\n    > Not this one.\n"


def republish(runner, tmp_path, old: str, new: str) -> str:
    course = write_course(tmp_path / "content")
    check = course / "01-one" / "03-check.md"
    assert old in check.read_text()
    check.write_text(check.read_text().replace(old, new))
    result = runner.invoke(args=["content", "build", str(tmp_path / "content")])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_stored_answer_means_the_choice_picked_after_the_choices_are_reordered(client, runner, tmp_path,
                                                                                  tiny_course, make_user, login):
    from lms.reports import queries as reports

    login(make_user())
    enrol(client)
    review_url = submit(client, RIGHT).headers["Location"]  # picks "Right"
    output = republish(runner, tmp_path, ORIGINAL, SWAPPED)
    assert "updated" in output

    page = client.get(review_url).get_data(as_text=True)
    first = page.split('id="result-q-first"')[1].split('id="result-q-second"')[0]
    assert re.search(r"<strong>Your answer:</strong>\s*Right", first), first
    assert not re.search(r"<strong>Your answer:</strong>\s*Wrong", first)
    assert "has changed since you answered" not in first  # same meaning, new order
    # A reorder is the same version: the earlier pick still counts for "Right" in the statistics.
    [stats] = [q for q in reports.question_statistics(tiny_course) if q.key == "q-first"]
    picks = {o.html: o.chosen for o in stats.options}
    assert picks == {"Wrong": 0, "Right": 1}

    # A choice added later gets a new key: the old answer still means "Right", and since the same choice is
    # still the correct one, the earlier pick still counts in the statistics.
    republish(runner, tmp_path, ORIGINAL, "- [ ] Maybe\n" + SWAPPED)
    page = client.get(review_url).get_data(as_text=True)
    first = page.split('id="result-q-first"')[1].split('id="result-q-second"')[0]
    assert re.search(r"<strong>Your answer:</strong>\s*Right", first)
    assert "has changed since you answered" not in first
    [stats] = [q for q in reports.question_statistics(tiny_course) if q.key == "q-first"]
    assert {o.html: o.chosen for o in stats.options} == {"Maybe": 0, "Wrong": 0, "Right": 1}

    # A distractor removed: still the same answer, still counted.
    republish(runner, tmp_path, ORIGINAL, "- [ ] Maybe\n- [x] Right\n")
    [stats] = [q for q in reports.question_statistics(tiny_course) if q.key == "q-first"]
    assert {o.html: o.chosen for o in stats.options} == {"Maybe": 0, "Right": 1}


def test_an_attempt_after_a_republish_is_graded_by_the_questions_as_republished(client, runner, tmp_path,
                                                                                 tiny_course, make_user, login):
    """Submissions read a lesson's questions from a per-process copy: a republish (new revision) replaces it."""
    login(make_user())
    enrol(client)
    submit(client, RIGHT)  # the questions as first published are now remembered
    republish(runner, tmp_path, "- [x] Right\n- [ ] Wrong", "- [ ] Right\n- [x] Wrong")
    submit(client, RIGHT)
    first, second = db.session.scalars(select(QuizAttempt).order_by(QuizAttempt.id)).all()
    assert first.passed and first.percent == 100
    assert [r.correct for r in second.responses] == [False, True], (second.percent, second.pass_mark)
