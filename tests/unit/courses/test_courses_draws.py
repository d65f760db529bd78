"""Question pools: the lesson keys that draw, shuffle, cost hints and reveal answers; the draw itself;
and hint penalties in grading."""

from __future__ import annotations

import pytest
from course_helpers import COURSE, codes, compile_files, lesson, line_of, only, write_course

from courses import CompileCache, QuestionSpec, compile_folder, grade
from courses.draws import draw_questions
from courses.model import Choice, Draw

L = "01-mod/01-lesson.md"
TWO_OUTCOMES = COURSE.replace("    text: Do one thing.",
                              "    text: Do one thing.\n  - id: lo-two\n    text: Do another.")


def pool_questions(count: int, outcome: str = "", start: int = 1, tracks: str = "") -> str:
    """``count`` single-answer questions q-pool-<n>, each naming ``outcome`` if given."""
    blocks = []
    for n in range(start, start + count):
        options = (f"    outcome: {outcome}\n" if outcome else "") + (f"    tracks: {tracks}\n" if tracks else "")
        blocks.append(f"\n/// question | q-pool-{n}\n{options}\nQuestion {n}?\n\n- [x] Right {n}\n"
                      f"- [ ] Wrong {n}\n///\n")
    return "".join(blocks)


def front(extra: str, outcomes: str = "[lo-one]") -> str:
    return f"id: lesson-one\ntitle: Final\noutcomes: {outcomes}\n{extra}"


def compiled_lesson(tmp_path, body: str, extra: str, course: str = COURSE, outcomes: str = "[lo-one]"):
    result = compile_files(tmp_path, {"course.md": course, L: lesson("Text.\n" + body, front(extra, outcomes))})
    assert result.exit_code == 0, [str(f) for f in result.findings]
    return next(result.courses[0].lessons())


# --- reading the keys ---------------------------------------------------------------------------


def test_a_pool_lesson_compiles_with_its_draw_and_settings(tmp_path):
    found = compiled_lesson(tmp_path, pool_questions(8),
                            "attempts: 3\ndraw: 4\nshuffle_questions: true\nhint_penalty: 25")
    assert found.draw == Draw(count=4)
    assert found.shuffle_questions is True
    assert found.hint_penalty == 25.0
    assert found.reveal == "after-last-attempt"  # the default for an assessment (attempts set)
    assert len(found.questions) == 8


def test_a_practice_quiz_reveals_always_and_draws_nothing_by_default(tmp_path):
    found = compiled_lesson(tmp_path, pool_questions(2), "")
    assert (found.draw, found.shuffle_questions, found.hint_penalty, found.reveal) == (None, False, 0.0, "always")


@pytest.mark.parametrize("policy", ["after-pass", "always", "never", "after-last-attempt"])
def test_every_reveal_policy_is_read(tmp_path, policy):
    assert compiled_lesson(tmp_path, pool_questions(2), f"attempts: 2\nreveal: {policy}").reveal == policy


def test_per_outcome_draw_keeps_each_questions_outcome(tmp_path):
    body = pool_questions(2, "lo-one") + pool_questions(2, "lo-two", start=3)
    found = compiled_lesson(tmp_path, body, "draw: {per_outcome: 1}", TWO_OUTCOMES, "[lo-one, lo-two]")
    assert found.draw == Draw(per_outcome=1)
    assert [q.outcome for q in found.questions] == ["lo-one", "lo-one", "lo-two", "lo-two"]
    assert QuestionSpec.from_dict(found.questions[0].to_dict()) == found.questions[0]


def test_a_question_without_outcome_keeps_the_hash_it_had_before_outcomes_existed():
    spec = QuestionSpec("q-one", "single", 1, ("junior",), "<p>Q</p>", (Choice("a", "A", True),))
    assert "outcome" not in spec.to_dict()
    assert QuestionSpec.from_dict({**spec.to_dict(), "outcome": "lo-one"}).outcome == "lo-one"


@pytest.mark.parametrize(("value", "code", "message"), [
    ("0", "E027", "'draw' must be a whole number"),
    ("2.5", "E027", "'draw' must be a whole number"),
    ("six", "E027", "'draw' must be a whole number"),
    ("{per_outcome: 0}", "E027", "'draw' must be a whole number"),
    ("{per_outcom: 2}", "E024", "did you mean 'per_outcome'"),
])
def test_a_malformed_draw_is_reported_at_its_line(tmp_path, value, code, message):
    text = lesson("Text.\n" + pool_questions(4), front(f"draw: {value}"))
    result = compile_files(tmp_path, {L: text})
    finding = next(f for f in result.findings if f.code == code)
    assert finding.line == line_of(text, "draw:") and message in finding.message


@pytest.mark.parametrize(("extra", "needle", "message"), [
    ("hint_penalty: 150", "hint_penalty:", "from 0 to 100"),
    ("reveal: later", "reveal:", "must be one of after-pass, after-last-attempt, always, never"),
    ("shuffle_questions: sometimes", "shuffle_questions:", "true or false"),
])
def test_malformed_quiz_settings_are_reported_at_their_line(tmp_path, extra, needle, message):
    text = lesson("Text.\n" + pool_questions(2), front(extra))
    finding = only(compile_files(tmp_path, {L: text}), "E027")
    assert finding.line == line_of(text, needle) and message in finding.message


# --- the pool against the draw ----------------------------------------------------------------


def test_a_pool_smaller_than_the_draw_for_one_track_names_that_track(tmp_path):
    body = pool_questions(4) + pool_questions(2, start=5, tracks="[postgraduate]")
    text = lesson("Text.\n" + body, front("draw: 6"))
    finding = only(compile_files(tmp_path, {L: text}), "E042")
    assert finding.line == line_of(text, "draw:")
    assert "only 4 are for the ahp and junior tracks" in finding.message


def test_a_pool_exactly_the_size_of_the_draw_is_allowed(tmp_path):
    assert compiled_lesson(tmp_path, pool_questions(3), "draw: 3").draw == Draw(count=3)


def test_per_outcome_needs_enough_questions_for_each_outcome(tmp_path):
    body = pool_questions(2, "lo-one") + pool_questions(1, "lo-two", start=3)
    text = lesson("Text.\n" + body, front("draw: {per_outcome: 2}", "[lo-one, lo-two]"))
    finding = only(compile_files(tmp_path, {"course.md": TWO_OUTCOMES, L: text}), "E042")
    assert "only 1 for the postgraduate, ahp and junior tracks assess 'lo-two'" in finding.message


def test_per_outcome_reports_an_outcome_no_question_assesses(tmp_path):
    text = lesson("Text.\n" + pool_questions(2, "lo-one"), front("draw: {per_outcome: 1}", "[lo-one, lo-two]"))
    finding = only(compile_files(tmp_path, {"course.md": TWO_OUTCOMES, L: text}), "E042")
    assert "no question assesses 'lo-two'" in finding.message


def test_per_outcome_on_a_lesson_without_outcomes(tmp_path):
    text = lesson("Text.\n" + pool_questions(2), "id: lesson-one\ntitle: Final\ndraw: {per_outcome: 1}")
    result = compile_files(tmp_path, {L: text})
    assert "lists no 'outcomes'" in only(result, "E042").message
    assert codes(result).count("E043") == 2  # each question says which line to fix


def test_each_question_without_outcome_is_reported_at_its_own_line(tmp_path):
    body = pool_questions(1, "lo-one") + pool_questions(2, start=2)
    text = lesson("Text.\n" + body, front("draw: {per_outcome: 1}"))
    found = [f for f in compile_files(tmp_path, {L: text}).findings if f.code == "E043"]
    assert [f.line for f in found] == [line_of(text, "q-pool-2"), line_of(text, "q-pool-3")]


def test_a_draw_on_a_lesson_without_questions_for_a_track(tmp_path):
    text = lesson("Text.\n" + pool_questions(2, tracks="[ahp]"), front("draw: 1"))
    finding = only(compile_files(tmp_path, {L: text}), "E041")
    assert finding.line == line_of(text, "draw:") and "'draw'" in finding.message


def test_the_draw_survives_the_compile_cache(tmp_path):
    body = pool_questions(2, "lo-one") + pool_questions(2, "lo-two", start=3)
    files = {"course.md": TWO_OUTCOMES,
             L: lesson("Text.\n" + body, front("draw: {per_outcome: 1}\nhint_penalty: 10\nreveal: never",
                                              "[lo-one, lo-two]"))}
    root = write_course(tmp_path / "course", files)
    cache = CompileCache(tmp_path / "cache")
    first = compile_folder(root, cache=cache)
    again = compile_folder(root, cache=cache)
    assert cache.hits > 0
    assert first.courses[0] == again.courses[0]
    cached = next(again.courses[0].lessons())
    assert (cached.draw, cached.hint_penalty, cached.reveal) == (Draw(per_outcome=1), 10.0, "never")
    assert [q.outcome for q in cached.questions] == ["lo-one", "lo-one", "lo-two", "lo-two"]


# --- drawing --------------------------------------------------------------------------------------


def specs(count: int, outcomes: tuple[str, ...] = ("",)) -> list[QuestionSpec]:
    return [QuestionSpec(f"q-{n}", "single", 1, ("junior",), "", (), outcome=outcomes[n % len(outcomes)])
            for n in range(count)]


def test_the_same_seed_draws_the_same_questions_in_the_same_order():
    pool = specs(12)
    for shuffle in (False, True):
        first = draw_questions(pool, Draw(count=5), seed="token-1", shuffle=shuffle)
        assert draw_questions(pool, Draw(count=5), seed="token-1", shuffle=shuffle) == first
        assert len(first) == 5 and len(set(first)) == 5 and set(first) <= {q.id for q in pool}


def test_different_seeds_draw_different_questions():
    pool = specs(12)
    draws = {draw_questions(pool, Draw(count=5), seed=f"token-{n}") for n in range(20)}
    assert len(draws) > 10


def test_without_shuffle_the_drawn_questions_keep_their_source_order():
    pool = specs(12)
    for n in range(20):
        drawn = draw_questions(pool, Draw(count=6), seed=f"t{n}")
        assert list(drawn) == sorted(drawn, key=lambda key: int(key[2:]))


def test_shuffle_questions_without_a_draw_shows_every_question_in_a_seeded_order():
    pool = specs(8)
    assert draw_questions(pool, None, seed="x") == tuple(q.id for q in pool)
    orders = {draw_questions(pool, None, seed=f"s{n}", shuffle=True) for n in range(10)}
    assert all(sorted(order) == sorted(q.id for q in pool) for order in orders)
    assert len(orders) > 1


def test_per_outcome_draws_that_many_of_each_outcome():
    pool = specs(12, outcomes=("lo-a", "lo-b", "lo-c"))
    by_id = {q.id: q for q in pool}
    for n in range(10):
        drawn = draw_questions(pool, Draw(per_outcome=2), seed=f"t{n}")
        outcomes = [by_id[key].outcome for key in drawn]
        assert sorted(outcomes) == ["lo-a", "lo-a", "lo-b", "lo-b", "lo-c", "lo-c"]


def test_a_pool_smaller_than_the_draw_gives_all_it_has():
    assert sorted(draw_questions(specs(3), Draw(count=5), seed="x")) == ["q-0", "q-1", "q-2"]


# --- hint penalties -----------------------------------------------------------------------------


def two_points(qid: str = "q-one") -> QuestionSpec:
    return QuestionSpec(qid, "single", 2, ("junior",), "", (Choice("a", "A", True), Choice("b", "B", False)),
                        hints_html=("<p>1</p>", "<p>2</p>"))


def test_each_hint_opened_costs_its_share_of_the_questions_points():
    result = grade([two_points(), two_points("q-two")], {"q-one": "a", "q-two": "a"},
                   hints_used={"q-one": 1}, hint_penalty=25)
    first, second = result.results
    assert (first.points_awarded, first.hint_penalty, first.correct) == (1.5, 0.5, True)
    assert (second.points_awarded, second.hint_penalty) == (2.0, 0.0)
    assert result.score == 3.5 and result.percent == 87.5


def test_a_question_never_scores_below_zero_for_hints():
    many = grade([two_points()], {"q-one": "a"}, hints_used={"q-one": 5}, hint_penalty=25).results[0]
    assert (many.points_awarded, many.hint_penalty) == (0.0, 2.0)
    wrong = grade([two_points()], {"q-one": "b"}, hints_used={"q-one": 2}, hint_penalty=25).results[0]
    assert (wrong.points_awarded, wrong.hint_penalty) == (0.0, 0.0)


def test_hints_are_free_without_a_penalty():
    result = grade([two_points()], {"q-one": "a"}, hints_used={"q-one": 2})
    assert result.results[0].points_awarded == 2.0 and result.percent == 100
