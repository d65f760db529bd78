"""Question statistics: answers, share correct, options chosen, discrimination and flags."""

import re
import statistics

import pytest

from lms.extensions import db
from lms.reports import queries
from tests.web.reports.factories import answer, enrol


def stats_by_key(course, **kwargs):
    return {q.key: q for q in queries.question_statistics(course.course, **kwargs)}


@pytest.fixture
def answered(course, make_user):
    """Four learners' first attempts at knowledge check 1, and one second attempt."""
    answers = [
        {"q1": "b", "q2": ["a", "c"], "q3": "true"},  # all right
        {"q1": "b", "q2": ["a"], "q3": True},  # q2 half right (not correct)
        {"q1": "c", "q2": "a,c", "q3": "false"},  # q2 given as text
        {"q1": "a", "q2": [], "q3": "false"},  # q2 left empty
    ]
    enrolments = []
    for given in answers:
        enrolment = enrol(make_user(), course, "junior")
        answer(enrolment, course, "check-1", given)
        enrolments.append(enrolment)
    answer(enrolments[3], course, "check-1", {"q1": "b", "q2": ["a", "c"], "q3": "true"})
    db.session.commit()
    return enrolments


def test_counts_answers_and_share_correct(answered, course):
    stats = stats_by_key(course)
    assert (stats["q1"].responses, stats["q1"].correct) == (5, 3)
    assert (stats["q2"].responses, stats["q2"].correct) == (5, 3)
    assert (stats["q3"].responses, stats["q3"].correct) == (5, 3)
    assert stats["q4"].responses == 0 and stats["q4"].share_correct is None


def test_share_choosing_each_option_whatever_form_the_answer_took(answered, course):
    stats = stats_by_key(course)
    q1 = {o.key: (o.chosen, o.correct) for o in stats["q1"].options}
    assert q1 == {"a": (1, False), "b": (3, True), "c": (1, False), "d": (0, False)}
    q2 = {o.key: o.chosen for o in stats["q2"].options}
    assert q2 == {"a": 4, "b": 0, "c": 3, "d": 0} and stats["q2"].unanswered == 1
    q3 = {o.key: round(o.share, 2) for o in stats["q3"].options}
    assert q3 == {"true": 0.6, "false": 0.4}


def test_first_attempts_only(answered, course):
    stats = stats_by_key(course, first_attempts_only=True)
    assert (stats["q1"].responses, stats["q1"].correct) == (4, 2)


def test_answers_to_an_earlier_version_of_a_question_are_not_counted(answered, course):
    course.questions["q1"].content_hash = "changed"
    db.session.commit()
    assert stats_by_key(course)["q1"].responses == 0
    assert stats_by_key(course)["q2"].responses == 5


def test_discrimination_is_the_point_biserial_correlation_with_the_rest_of_the_quiz(answered, course):
    from sqlalchemy import select

    from lms.learning.models import QuestionResponse, QuizAttempt

    rows = db.session.execute(
        select(QuestionResponse.correct, QuizAttempt.score, QuestionResponse.points_awarded)
        .join(QuizAttempt, QuizAttempt.id == QuestionResponse.attempt_id)
        .where(QuestionResponse.question_id == course.questions["q1"].id)).all()
    x = [1.0 if correct else 0.0 for correct, _, _ in rows]
    rest = [100 * (score - awarded) / 2 for _, score, awarded in rows]
    expected = statistics.correlation(x, rest)
    assert stats_by_key(course)["q1"].discrimination == pytest.approx(expected)


def test_point_biserial_from_sums():
    pairs = [(1, 80.0), (1, 60.0), (0, 40.0), (0, 70.0), (1, 90.0)]
    n = len(pairs)
    sums = (sum(x for x, _ in pairs), sum(y for _, y in pairs), sum(y * y for _, y in pairs),
            sum(x * y for x, y in pairs))
    assert queries.point_biserial(n, *sums) == pytest.approx(
        statistics.correlation([float(x) for x, _ in pairs], [y for _, y in pairs]))
    assert queries.point_biserial(1, 1, 50, 2500, 50) is None  # too few
    assert queries.point_biserial(3, 3, 150, 7500, 150) is None  # everyone right: no spread


def test_flags_need_enough_answers(course, make_user):
    for n in range(queries.MIN_RESPONSES_TO_FLAG):
        enrolment = enrol(make_user(), course, "junior")
        # Everyone gets q1 right and q3 wrong; q2 is right for half of them.
        answer(enrolment, course, "check-1", {"q1": "b", "q2": ["a", "c"] if n % 2 else ["b"], "q3": "false"})
        if n == queries.MIN_RESPONSES_TO_FLAG - 2:
            db.session.commit()
            almost = stats_by_key(course)
            assert almost["q1"].flags == [] and almost["q3"].flags == []
    db.session.commit()
    stats = stats_by_key(course)
    assert stats["q1"].flags == ["Almost everyone right"]
    assert stats["q3"].flags == ["Almost everyone wrong"]
    assert stats["q2"].flags == []


def test_question_page_and_csvs(fetch, login, educator, answered):
    login(educator)
    html = fetch("/manage/courses/innovation/questions").get_data(as_text=True)
    assert "Question q1?" in html and "Option b of q1" in html and "(correct)" in html
    assert "point-biserial" in html
    first = fetch("/manage/courses/innovation/questions?attempts=first").get_data(as_text=True)
    assert re.search(r'<option value="first"\s+selected\s*>', first)
    rows = fetch("/manage/courses/innovation/questions?format=csv").get_data(as_text=True).lstrip("\ufeff")
    assert rows.splitlines()[0] == ("lesson,question_key,position,type,responses,correct,percent_correct,"
                                    "discrimination,flags")
    assert "Knowledge check 1,q1,1,single,5,3,60.0," in rows
    options = fetch("/manage/courses/innovation/questions?format=csv&table=options").get_data(as_text=True)
    assert "Knowledge check 1,q1,b,Option b of q1,yes,3,60.0" in options


def test_chosen_keys_reads_every_stored_answer_form():
    assert queries.chosen_keys("b") == {"b"}
    assert queries.chosen_keys(["a", "c"]) == {"a", "c"}
    assert queries.chosen_keys("a, c") == {"a", "c"}
    assert queries.chosen_keys(True) == {"true"} and queries.chosen_keys("False") == {"false"}
    assert queries.chosen_keys(None) == set() and queries.chosen_keys(3) == set()
