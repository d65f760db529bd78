"""Ordering and matching questions: parsing with findings by line, keys that give nothing away,
pure scoring, stable shuffles, and a round trip through JSON and the compile cache."""

from __future__ import annotations

import itertools

import pytest
from course_helpers import LESSON, compile_files, line_of, only

from courses import Choice, MatchPair, QuestionSpec, choice_order, grade, item_results, score
from courses.cache import _question_from_json, _question_to_json

L = "01-mod/01-lesson.md"
ORDERING = """
/// question | q-order
    type: ordering
    points: 6
Put the stages of a PDSA cycle in order.

- A list in the question text is not an item.

1. Plan
2. Do
3. Study
4. Act

Hint: It starts with planning.
Explanation: Plan, do, study, act.
///
"""
MATCHING = """
/// question | q-match
    type: matching
    points: 2
Match each role to what it does.

- Innovator -> Tries the new idea first
- Laggard -> Adopts *last*
- -> Blocks the idea
///
"""


def compiled(tmp_path, body: str):
    result = compile_files(tmp_path, {L: LESSON + body})
    assert result.exit_code == 0, [str(f) for f in result.findings]
    (course,) = result.courses
    return {q.id: q for lesson in course.lessons() for q in lesson.questions}


def ordering_spec(items=("Plan", "Do", "Study", "Act"), points=6) -> QuestionSpec:
    keys = [f"k{i}" for i in range(len(items))]
    return QuestionSpec("q-order", "ordering", points, ("junior",), "<p>Order.</p>",
                        tuple(sorted((Choice(k, t, True) for k, t in zip(keys, items, strict=True)),
                                     key=lambda c: c.html)),
                        order=tuple(keys))


def matching_spec(points=2) -> QuestionSpec:
    return QuestionSpec("q-match", "matching", points, ("junior",), "<p>Match.</p>",
                        (Choice("r1", "Tries first", True), Choice("r2", "Adopts last", True),
                         Choice("r3", "Blocks", False)),
                        pairs=(MatchPair("l1", "Innovator", "r1"), MatchPair("l2", "Laggard", "r2")))


# -- parsing --------------------------------------------------------------------------------

def test_an_ordering_question_keeps_its_items_in_order_under_keys_from_their_text(tmp_path):
    spec = compiled(tmp_path, ORDERING)["q-order"]
    by_key = {c.key: c.html for c in spec.choices}
    assert [by_key[k] for k in spec.order] == ["Plan", "Do", "Study", "Act"]
    assert "A list in the question text" in spec.stem_html
    assert spec.hints_html == ("<p>It starts with planning.</p>",)
    assert spec.explanation_html == "<p>Plan, do, study, act.</p>"
    # stored in key order, and keys depend on the text only: the stored order says nothing
    assert [c.key for c in spec.choices] == sorted(by_key)
    reordered = ORDERING.replace("1. Plan\n2. Do\n3. Study\n4. Act", "1. Act\n2. Study\n3. Do\n4. Plan")
    again = compiled(tmp_path / "again", reordered)["q-order"]
    assert {c.key: c.html for c in again.choices} == by_key
    assert again.order == tuple(reversed(spec.order))
    assert spec.public_view()["choices"] == [{"key": c.key, "html": c.html} for c in spec.choices]


def test_a_matching_question_has_items_options_and_a_wrong_option(tmp_path):
    spec = compiled(tmp_path, MATCHING)["q-match"]
    options = {c.key: c.html for c in spec.choices}
    assert sorted(options.values()) == ["Adopts <em>last</em>", "Blocks the idea", "Tries the new idea first"]
    assert [(p.html, options[p.match]) for p in spec.pairs] == [
        ("Innovator", "Tries the new idea first"), ("Laggard", "Adopts <em>last</em>")]
    public = spec.public_view()
    assert public["items"] == [{"key": p.key, "html": p.html} for p in spec.pairs]
    assert set(public) == {"id", "type", "points", "stem_html", "choices", "hints_html", "hint_count", "items"}
    assert all(set(item) == {"key", "html"} for item in public["items"] + public["choices"])


def test_two_items_may_share_a_match(tmp_path):
    laggard = "- Laggard -> Adopts *last*"
    shared = MATCHING.replace(laggard, laggard + "\n- Late majority -> Adopts *last*")
    spec = compiled(tmp_path, shared)["q-match"]
    assert len(spec.choices) == 3 and spec.pairs[1].match == spec.pairs[2].match


@pytest.mark.parametrize(("body", "code", "needle", "message"), [
    (ORDERING.replace("2. Do\n3. Study\n4. Act\n", ""), "Q040", "1. Plan", "at least two items"),
    (ORDERING.replace("1. Plan\n2. Do\n3. Study\n4. Act\n", ""), "Q040", "/// question | q-order",
     "at least two items"),
    (ORDERING.replace("4. Act", "4. Plan"), "Q042", "4. Plan", "first on line"),
    (ORDERING.replace("3. Study", "3. do"), "Q042", "3. do", "appears twice"),
    (ORDERING.replace("2. Do", "2."), "Q014", "2.", "empty"),
    (ORDERING.replace("2. Do", "2. Do\n   more about doing"), "Q010", "more about doing", "one line"),
    (ORDERING.replace("1. Plan\n2. Do", "2. Do\n1. Plan"), "Q041", "2. Do", "numbered 2, 1, 3, 4"),
    (MATCHING.replace("- Laggard -> Adopts *last*", "- Laggard adopts last"), "Q043", "- Laggard adopts",
     "has no '->'"),
    (MATCHING.replace("- Laggard -> Adopts *last*", "- Laggard -> Adopts *last*\n- LAGGARD -> Blocks the idea"),
     "Q042", "- LAGGARD", "appears twice"),
    (MATCHING.replace("- Laggard -> Adopts *last*\n", ""), "Q040", "- Innovator", "at least two pairs"),
    (MATCHING.replace("- Laggard -> Adopts *last*", "- Laggard ->"), "Q014", "- Laggard ->", "nothing after"),
    (MATCHING.replace("Match each role to what it does.\n", ""), "Q009", "/// question | q-match", "no question"),
])
def test_malformed_blocks_are_reported_at_their_line(tmp_path, body, code, needle, message):
    text = LESSON + body
    result = compile_files(tmp_path, {L: text})
    finding = only(result, code)
    assert finding.line == line_of(text, needle), str(finding)
    assert message in finding.message
    assert result.exit_code == 1


def test_numbered_all_ones_is_accepted_as_markdown_writes_it(tmp_path):
    spec = compiled(tmp_path, ORDERING.replace("2. Do", "1. Do").replace("3. Study", "1. Study")
                    .replace("4. Act", "1. Act").replace("1. Plan", "1. Plan"))["q-order"]
    assert len(spec.order) == 4


# -- scoring --------------------------------------------------------------------------------

def test_ordering_right_order_earns_everything_and_is_correct():
    spec = ordering_spec()
    result = score(spec, {"k0": 1, "k1": 2, "k2": 3, "k3": 4})
    assert (result.points_awarded, result.correct, result.answered) == (6, True, True)


@pytest.mark.parametrize(("places", "pairs_in_order"), [
    ({"k0": 2, "k1": 1, "k2": 3, "k3": 4}, 5),   # neighbours swapped
    ({"k0": 4, "k1": 3, "k2": 2, "k3": 1}, 0),   # reversed
    ({"k0": 1, "k1": 2, "k2": 4, "k3": 3}, 5),
    ({"k0": 2, "k1": 3, "k2": 4, "k3": 1}, 3),   # the last moved to the front
    ({"k0": 1, "k1": 1, "k2": 1, "k3": 1}, 0),   # everything in one place earns nothing
    ({"k0": 1, "k1": 2}, 1),                     # items left out are out of order
    ({"k0": "1", "k1": "2", "k2": "3", "k3": "4"}, 6),  # places as form text
])
def test_ordering_earns_the_share_of_pairs_in_the_right_relative_order(places, pairs_in_order):
    result = score(ordering_spec(), places)
    assert result.points_awarded == pytest.approx(6 * pairs_in_order / 6)
    assert result.correct is (pairs_in_order == 6)


@pytest.mark.parametrize("answer", [None, "k0", ["k0", "k1"], {}, {"zz": 1}, {"k0": 0}, {"k0": 9},
                                    {"k0": True}, {"k0": 1.5}, 42])
def test_ordering_junk_scores_nothing_and_never_raises(answer):
    result = score(ordering_spec(), answer)
    assert (result.points_awarded, result.correct, result.answered) == (0, False, False)


def test_ordering_every_permutation_scores_between_nothing_and_everything():
    spec = ordering_spec()
    for permutation in itertools.permutations(range(1, 5)):
        result = score(spec, dict(zip(spec.order, permutation, strict=True)))
        assert 0 <= result.points_awarded <= 6
        assert result.correct is (list(permutation) == [1, 2, 3, 4])


@pytest.mark.parametrize(("answer", "points", "correct"), [
    ({"l1": "r1", "l2": "r2"}, 2, True),
    ({"l1": "r1", "l2": "r3"}, 1, False),
    ({"l1": "r2", "l2": "r1"}, 0, False),
    ({"l1": "r1", "l2": "r1"}, 1, False),
    ({"l1": "r1"}, 1, False),
])
def test_matching_earns_credit_per_right_pair(answer, points, correct):
    result = score(matching_spec(), answer)
    assert (result.points_awarded, result.correct, result.answered) == (points, correct, True)


@pytest.mark.parametrize("answer", [None, "r1", ["r1"], {}, {"l1": "nope"}, {"zz": "r1"}, {"l1": 1}])
def test_matching_junk_scores_nothing(answer):
    assert score(matching_spec(), answer).answered is False


def test_grade_mixes_the_new_types_with_the_others():
    result = grade([ordering_spec(), matching_spec()],
                   {"q-order": {"k0": 2, "k1": 1, "k2": 3, "k3": 4}, "q-match": {"l1": "r1", "l2": "r3"}},
                   pass_mark=75)
    assert (result.score, result.max_score, result.percent, result.passed) == (6.0, 8.0, 75.0, True)


def test_item_results_say_which_items_are_right():
    results = item_results(ordering_spec(), {"k0": 2, "k1": 1, "k2": 3, "k3": 4})
    assert [(r.key, r.given, r.right, r.correct) for r in results] == [
        ("k0", 2, 1, False), ("k1", 1, 2, False), ("k2", 3, 3, True), ("k3", 4, 4, True)]
    results = item_results(matching_spec(), {"l1": "r3"})
    assert [(r.key, r.given, r.right, r.correct) for r in results] == [
        ("l1", "r3", "r1", False), ("l2", None, "r2", False)]


# -- shuffling and storage -------------------------------------------------------------------

def test_ordering_and_matching_are_shuffled_stably_even_without_lesson_shuffle():
    for spec in (ordering_spec(("A", "B", "C", "D", "E", "F")), matching_spec()):
        first = choice_order(spec, "token-1", shuffle=False)
        assert first == choice_order(spec, "token-1", shuffle=False)
        assert sorted(first) == sorted(c.key for c in spec.choices)
        orders = {choice_order(spec, f"token-{n}", shuffle=False) for n in range(30)}
        assert len(orders) > 1


def test_specs_round_trip_through_json_and_the_cache():
    for spec in (ordering_spec(), matching_spec()):
        assert QuestionSpec.from_dict(spec.to_dict()) == spec
        assert _question_from_json(_question_to_json(spec)) == spec


def test_other_types_keep_the_dict_they_had():
    spec = QuestionSpec("q", "single", 1, ("junior",), "<p>?</p>", (Choice("a", "A", True),))
    assert "order" not in spec.to_dict() and "pairs" not in spec.to_dict()
