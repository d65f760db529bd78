"""Typed text that looks the same compares the same: one folding for short answers, numbers and names."""

from __future__ import annotations

import pytest

from courses import Choice, NumericAnswer, QuestionSpec, score
from courses.questions import normalise_text, parse_learner_number, parse_numeric_answer
from courses.typography import fold_typography


@pytest.mark.parametrize(("typed", "plain"), [
    ("O\u2019Brien", "O'Brien"),          # right single quotation mark, as phones type it
    ("\u2018quoted\u2019", "'quoted'"),
    ("Rogers\u02bc model", "Rogers' model"),  # modifier letter apostrophe
    ("5\u2032", "5'"),                    # prime
    ("\u201cPDSA\u201d", '"PDSA"'),
    ("\u201elow\u201c", '"low"'),
    ("5\u2033", '5"'),                    # double prime, folded before NFKC splits it in two
    ("Plan\u2013Do\u2014Study\u2012Act", "Plan-Do-Study-Act"),
    ("non\u2011breaking\u2010hyphen", "non-breaking-hyphen"),
    ("\u22122", "-2"),                    # minus sign
    ("NHS\u00a0England", "NHS England"),  # no-break space
    ("12\u202f345", "12 345"),            # narrow no-break space, as French and SI style group digits
    ("thin\u2009space", "thin space"),
    ("zero\u200bwidth\u00adsoft\ufeff", "zerowidthsoft"),
    ("\uff30\uff24\uff33\uff21", "PDSA"),  # full-width letters (NFKC)
])
def test_fold_typography(typed, plain):
    assert fold_typography(typed) == plain


def test_folding_keeps_case_and_other_letters():
    assert fold_typography("Siân Zoë ÅSA") == "Siân Zoë ÅSA"


def short(*accepted: str) -> QuestionSpec:
    return QuestionSpec("q", "short", 1, ("junior",), "<p>?</p>",
                        accepted=tuple(normalise_text(a) for a in accepted))


@pytest.mark.parametrize(("accepted", "typed"), [
    ("O'Brien", "O\u2019Brien"),
    ("O\u2019Brien", "O'Brien"),          # an educator who wrote the typographic one
    ("O'Brien", "o\u2018brien."),
    ('"Plan" then "do"', "\u201cPlan\u201d then \u201cdo\u201d"),
    ("Plan-Do-Study-Act", "Plan\u2013Do\u2013Study\u2013Act"),
    ("NHS England", "NHS\u00a0England"),
    ("NHS England", " NHS\u202f\u202fEngland\u200b "),
])
def test_a_short_answer_typed_with_typographic_characters_earns_full_marks(accepted, typed):
    result = score(short(accepted), typed)
    assert (result.points_awarded, result.correct) == (1, True)


def test_folding_does_not_make_different_words_equal():
    assert score(short("O'Brien"), "OBrien").correct is False
    assert score(short("Plan-Do"), "Plan Do").correct is False


@pytest.mark.parametrize(("typed", "value"), [
    ("\u22122.5", -2.5),                  # minus sign
    ("\u20132.5", -2.5),                  # en dash used as a minus
    ("12\u00a0345", 12345),               # no-break space between thousands
    ("12\u202f345", 12345),              # narrow no-break space
    ("1\u2009000", 1000),                 # thin space
    ("\uff11\uff12", 12),                 # full-width digits
])
def test_numbers_typed_with_typographic_characters(typed, value):
    assert parse_learner_number(typed) == pytest.approx(value)


def test_an_author_numeric_answer_with_a_minus_sign():
    assert parse_numeric_answer("\u22121.5 \u00b1 0.5") == NumericAnswer(-2.0, -1.0, -1.5, 0.5)
    spec = QuestionSpec("q", "numeric", 1, ("junior",), "<p>?</p>", numeric=(NumericAnswer(-2.0, -1.0, -1.5, 0.5),))
    assert score(spec, "\u22121.5").correct


def test_choice_questions_are_untouched_by_folding():
    spec = QuestionSpec("q", "single", 1, ("junior",), "<p>?</p>", (Choice("a", "A", True), Choice("b", "B", False)))
    assert score(spec, "a").correct and not score(spec, "\u2018a\u2019").answered


def test_the_example_from_the_bug_report_compiled_from_a_lesson(tmp_path):
    from course_helpers import LESSON, compile_files

    body = LESSON + "\n/// question | q-name\n    type: short\nWho?\n\n= O'Brien\n///\n"
    result = compile_files(tmp_path, {"01-mod/01-lesson.md": body})
    (course,) = result.courses
    spec = course.find_lesson("lesson-one").questions[1]
    assert score(spec, "O\u2019Brien").points_awarded == 1
