"""Scoring every question type, and grading a whole quiz."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courses import (
    QUESTION_TYPES,
    Choice,
    NumericAnswer,
    QuestionSpec,
    choice_order,
    grade,
    score,
)
from courses.questions import parse_learner_number, parse_numeric_answer


def single(points: float = 1) -> QuestionSpec:
    return QuestionSpec("q-single", "single", points, ("junior",), "<p>Which?</p>", (
        Choice("a", "Early majority", False, "<p>Not first.</p>"),
        Choice("b", "Innovators", True, "<p>Yes.</p>"),
        Choice("c", "Laggards", False),
    ))


def multiple(points: float = 4) -> QuestionSpec:
    return QuestionSpec("q-multiple", "multiple", points, ("junior",), "<p>Which?</p>", (
        Choice("a", "A", True), Choice("b", "B", True),
        Choice("c", "C", False, "<p>Not C.</p>"), Choice("d", "D", False),
    ))


def truefalse() -> QuestionSpec:
    return QuestionSpec("q-tf", "truefalse", 1, ("junior",), "<p>Is it?</p>", (
        Choice("true", "True", False, "<p>No.</p>"), Choice("false", "False", True),
    ))


def short() -> QuestionSpec:
    return QuestionSpec("q-short", "short", 2, ("junior",), "<p>Name it.</p>",
                        accepted=("plan do study act", "pdsa"))


def numeric() -> QuestionSpec:
    return QuestionSpec("q-num", "numeric", 1, ("junior",), "<p>How much?</p>", numeric=(
        NumericAnswer(1.40, 1.42, 1.41, 0.01), NumericAnswer(1000, 1000, 1000, 0)))


class TestSingle:
    def test_the_correct_choice_earns_all_the_points(self):
        result = score(single(2), "b")
        assert (result.points_awarded, result.points_possible, result.correct) == (2, 2, True)
        assert result.feedback_html == ("<p>Yes.</p>",)

    def test_a_wrong_choice_earns_nothing_and_shows_its_feedback(self):
        result = score(single(), "a")
        assert (result.points_awarded, result.correct, result.answered) == (0, False, True)
        assert result.feedback_html == ("<p>Not first.</p>",)

    @pytest.mark.parametrize("answer", [None, "", "z", 3, {"b": 1}, ["a", "b"], object()])
    def test_missing_or_malformed_answers_score_zero(self, answer):
        result = score(single(), answer)
        assert result.points_awarded == 0
        assert not result.correct

    def test_a_one_item_list_is_accepted(self):
        assert score(single(), ["b"]).correct


class TestMultiple:
    @pytest.mark.parametrize(("answer", "points", "correct"), [
        (["a", "b"], 4, True),
        (["a"], 2, False),  # half the correct choices
        (["a", "b", "c"], 2, False),  # all correct, one of two wrong ones
        (["a", "c"], 0, False),  # +2 -2
        (["c", "d"], 0, False),  # never below zero
        (["a", "b", "c", "d"], 0, False),  # ticking everything earns nothing
        ("a,b", 4, True),  # a comma-separated string from a simple form
        (("b", "a", "a"), 4, True),
    ])
    def test_scored_per_choice(self, answer, points, correct):
        result = score(multiple(), answer)
        assert result.points_awarded == points
        assert result.correct is correct

    def test_ticking_nothing_is_unanswered(self):
        result = score(multiple(), [])
        assert (result.points_awarded, result.answered) == (0, False)

    def test_feedback_of_each_chosen_choice(self):
        assert score(multiple(), ["a", "c"]).feedback_html == ("<p>Not C.</p>",)

    def test_question_where_every_choice_is_correct(self):
        spec = QuestionSpec("q", "multiple", 2, (), "", (Choice("a", "A", True),
                                                         Choice("b", "B", True)))
        assert score(spec, ["a"]).points_awarded == 1
        assert score(spec, ["a", "b"]).correct


class TestTrueFalse:
    @pytest.mark.parametrize("answer", [False, "false", "FALSE", " False "])
    def test_right(self, answer):
        assert score(truefalse(), answer).correct

    @pytest.mark.parametrize("answer", [True, "true", "yes", None, 0])
    def test_wrong_or_malformed(self, answer):
        assert not score(truefalse(), answer).correct


class TestShort:
    @pytest.mark.parametrize("answer", ["PDSA", "  pdsa ", "Plan  Do\tStudy act", "pdsa.",
                                        "ＰＤＳＡ"])
    def test_case_whitespace_and_width_are_folded(self, answer):
        assert score(short(), answer).points_awarded == 2

    @pytest.mark.parametrize("answer", ["pdca", "p d s a", "", None, ["pdsa"], 12])
    def test_other_answers_score_zero(self, answer):
        assert score(short(), answer).points_awarded == 0


class TestNumeric:
    @pytest.mark.parametrize("answer", ["1.41", "1.40", "1.42", "1,41", " 1.415 ", 1.41,
                                        "1000", "1,000", "1 000", "1e3", "+1.41"])
    def test_accepted(self, answer):
        assert score(numeric(), answer).correct, answer

    @pytest.mark.parametrize("answer", ["1.43", "1.39", "5 mg", "nan", "inf", "", None, True,
                                        "1,4,1", "1.4.1", "1" * 200, float("nan"), "−1.41"])
    def test_rejected(self, answer):
        assert not score(numeric(), answer).correct, answer

    def test_unicode_minus_is_a_minus(self):
        assert parse_learner_number("−2") == -2

    @pytest.mark.parametrize(("text", "low", "high"), [
        ("2", 2, 2), ("1.41 +- 0.01", 1.40, 1.42), ("1.41 ± 0.01", 1.40, 1.42),
        ("[1.2, 1.3]", 1.2, 1.3), ("-3", -3, -3), ("1e-3", 0.001, 0.001),
    ])
    def test_author_forms(self, text, low, high):
        answer = parse_numeric_answer(text)
        assert answer is not None
        assert answer.low == pytest.approx(low) and answer.high == pytest.approx(high)

    @pytest.mark.parametrize("text", ["two", "1,41", "[1.3, 1.2]", "1 +- -1", "nan", "", "[1]"])
    def test_author_mistakes(self, text):
        assert parse_numeric_answer(text) is None


def test_grade_adds_up_and_applies_the_pass_mark():
    specs = [single(2), multiple(4), short(), numeric()]
    answers = {"q-single": "b", "q-multiple": ["a"], "q-short": "nope"}
    result = grade(specs, answers, pass_mark=50)
    assert (result.score, result.max_score) == (4, 9)
    assert result.percent == pytest.approx(44.44)
    assert result.passed is False
    assert [r.question_id for r in result.results] == [s.id for s in specs]
    assert result.result_for("q-num").answered is False


def test_grade_never_raises_on_junk():
    assert grade([single()], None).score == 0  # type: ignore[arg-type]
    assert grade([single()], ["b"]).score == 0  # type: ignore[arg-type]
    assert grade([], {}).percent == 0
    assert grade([], {}, pass_mark=70).passed is False
    odd = QuestionSpec("q-odd", "essay", 1, (), "")
    assert grade([odd], {"q-odd": "x"}).score == 0


ANSWERS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner,
                                                                max_size=3),
    max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(answer=ANSWERS)
def test_score_never_raises_for_any_answer(answer):
    for spec in (single(), multiple(), truefalse(), short(), numeric()):
        result = score(spec, answer)
        assert 0 <= result.points_awarded <= result.points_possible


def test_every_type_is_in_the_registry():
    assert set(QUESTION_TYPES) == {"single", "multiple", "truefalse", "short", "numeric", "ordering", "matching"}


@pytest.mark.parametrize("spec", [single(), multiple(), truefalse(), short(), numeric()],
                         ids=lambda s: s.type)
def test_spec_survives_a_json_round_trip(spec):
    data = json.loads(json.dumps(spec.to_dict()))
    assert QuestionSpec.from_dict(data) == spec


@pytest.mark.parametrize("spec", [single(), multiple(), truefalse(), short(), numeric()],
                         ids=lambda s: s.type)
def test_public_view_reveals_no_answer(spec):
    view = json.dumps(spec.public_view())
    assert "correct" not in view
    assert "feedback" not in view
    assert "accepted" not in view and "pdsa" not in view
    assert "explanation" not in view
    assert "1.41" not in view


def test_public_view_can_hold_back_hints():
    spec = QuestionSpec("q", "short", 1, (), "", accepted=("x",),
                        hints_html=("<p>one</p>", "<p>two</p>"))
    assert spec.public_view(hints_shown=0)["hints_html"] == []
    assert spec.public_view(hints_shown=1) == {**spec.public_view(), "hints_html": ["<p>one</p>"]}
    assert spec.public_view()["hint_count"] == 2


def test_choice_order_is_a_stable_permutation():
    spec = multiple()
    first = choice_order(spec, "attempt-1")
    assert sorted(first) == ["a", "b", "c", "d"]
    assert choice_order(spec, "attempt-1") == first
    orders = {choice_order(spec, f"attempt-{n}") for n in range(20)}
    assert len(orders) > 1
    assert choice_order(spec, "x", shuffle=False) == ("a", "b", "c", "d")
    assert choice_order(truefalse(), "x") == ("true", "false")
