"""GIFT (Moodle's question format): one test per construct, what cannot be kept, and the
round trip GIFT -> lessons -> GIFT."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courses import QUESTION_TYPES, compile_course
from courses.gift import GiftAnswer, GiftQuestion, category_path, parse_gift, to_gift
from courses.giftlessons import BLANK, gift_from_lesson, lessons_from_gift, question_block, slug
from courses.model import NumericAnswer


def one(text: str):
    result = parse_gift(textwrap.dedent(text))
    assert result.findings == (), result.findings
    (question,) = result.questions
    return question


def lesson_text(text: str, **options) -> tuple[str, list]:
    """The single lesson written for GIFT ``text``, and the findings."""
    lessons, findings = lessons_from_gift(parse_gift(textwrap.dedent(text)),
                                          default_title="Imported", used_ids=set(), **options)
    (lesson,) = lessons
    return lesson.text, findings


# -- parsing: one test per construct ------------------------------------------------------

def test_comment_lines_are_ignored_even_inside_a_question():
    question = one("""\
        // a heading comment
        What is 2 + 2?
        // a comment between the text and the answers
        {=4 ~5}
        """)
    assert question.text == "What is 2 + 2?"
    assert [a.text for a in question.answers] == ["4", "5"]


def test_questions_are_separated_by_blank_lines_and_keep_their_first_line():
    result = parse_gift("// file\n\nFirst? {T}\n\n\n::b::Second? {F}\n")
    assert [(q.line, q.text) for q in result.questions] == [(3, "First?"), (6, "Second?")]


def test_a_title_between_double_colons_names_the_question():
    question = one("::Grant's tomb:: Who is buried in Grant's tomb? {=Grant ~Nobody}")
    assert question.title == "Grant's tomb"
    assert question.text == "Who is buried in Grant's tomb?"


def test_category_lines_set_the_category_of_the_questions_after_them():
    result = parse_gift("First? {T}\n\n$CATEGORY: $course$/top/Cardiology/Valves\n\n"
                        "Second? {T}\n\nThird? {F}\n")
    assert [q.category for q in result.questions] == [
        "", "$course$/top/Cardiology/Valves", "$course$/top/Cardiology/Valves"]
    assert category_path("$course$/top/Cardiology/Valves") == ["Cardiology", "Valves"]
    assert category_path("Drugs//doses/Adults") == ["Drugs/doses", "Adults"]


@pytest.mark.parametrize("marker, expected", [
    ("[html]", "html"), ("[markdown]", "markdown"), ("[plain]", "plain"), ("[moodle]", "moodle"),
    ("", "moodle")])
def test_a_format_marker_gives_the_text_format(marker, expected):
    question = one(f"::t::{marker}Is *this* text? {{T}}")
    assert question.text_format == expected
    assert question.text == "Is *this* text?"


def test_plain_text_is_escaped_so_markdown_shows_it_as_written():
    text, _ = lesson_text("[plain]Is *this* <b>bold</b>? {T}")
    assert r"Is \*this\* &lt;b>bold&lt;/b>?" in text
    text, _ = lesson_text("[html]Is <b>this</b> bold? {T}")
    assert "Is <b>this</b> bold?" in text


@pytest.mark.parametrize("escaped, character", [
    (r"\~", "~"), (r"\=", "="), (r"\#", "#"), (r"\{", "{"), (r"\}", "}"), (r"\:", ":"),
    ("\\\\", "\\")])
def test_escaped_characters_are_the_characters_themselves(escaped, character):
    question = one(f"::a{escaped}b::Text {escaped} here {{=right{escaped}answer #feed{escaped}back}}")
    assert question.title == f"a{character}b"
    assert question.text == f"Text {character} here"
    assert question.answers[0].text == f"right{character}answer"
    assert question.answers[0].feedback == f"feed{character}back"


def test_backslash_n_is_a_new_line():
    assert one(r"Line one\nLine two {T}").text == "Line one\nLine two"


def test_multiple_choice_with_feedback_and_general_feedback():
    question = one("""\
        Which chamber pumps blood to the body? {
            =Left ventricle #Right.
            ~Right atrium #That receives blood.
            ~Left atrium
            ####The left ventricle has the thickest wall.
        }""")
    assert question.kind == "single"
    assert question.answers == (GiftAnswer("Left ventricle", 100, "Right."),
                                GiftAnswer("Right atrium", 0, "That receives blood."),
                                GiftAnswer("Left atrium", 0))
    assert question.general_feedback == "The left ventricle has the thickest wall."
    text, findings = lesson_text(question_gift := to_gift([question]))
    assert findings == [] and question_gift
    assert ("- [x] Left ventricle\n    > Right.\n- [ ] Right atrium\n    > That receives blood.\n"
            "- [ ] Left atrium\n\nExplanation: The left ventricle has the thickest wall.\n///") in text
    assert "    type: single" in text


def test_weighted_multiple_answers_in_our_shares_are_kept_without_a_warning():
    question = one("Which are pulse sites? {~%50%Radial ~%50%Carotid ~%-50%Patella ~%-50%Ulna}")
    assert question.kind == "multiple"
    assert [a.weight for a in question.answers] == [50, 50, -50, -50]
    text, findings = lesson_text("Which are pulse sites? {~%50%Radial ~%50%Carotid ~%-50%Patella ~%-50%Ulna}")
    assert findings == []
    assert "type: multiple" in text and "- [x] Radial\n- [x] Carotid\n- [ ] Patella\n- [ ] Ulna" in text


@pytest.mark.parametrize("answers", [
    "~%50%Radial ~%50%Carotid ~%-100%Patella ~%-100%Ulna",  # a harsher penalty than ours
    "~%50%Radial ~%50%Carotid ~Patella",                    # no penalty, ours has one
    "~%70%Radial ~%30%Carotid ~%-100%Patella"])             # unequal shares
def test_weights_beyond_our_multiple_marking_are_reported_by_line(answers):
    _, findings = lesson_text(f"// comment\n\nWhich are pulse sites? {{{answers}}}")
    (finding,) = findings
    assert finding.line == 3 and finding.severity == "warning"
    assert "weights" in finding.message and "cannot be kept" in finding.message


@pytest.mark.parametrize("written, right", [("{T}", True), ("{TRUE}", True), ("{F}", False),
                                            ("{FALSE}", False), ("{ false }", False)])
def test_true_false_in_every_spelling(written, right):
    question = one(f"The heart has four chambers. {written}")
    assert question.kind == "truefalse"
    by_value = {a.text: a.weight > 0 for a in question.answers}
    assert by_value == {"true": right, "false": not right}


def test_true_false_feedback_is_for_the_wrong_then_the_right_answer():
    question = one("Aspirin is an anticoagulant. {F#No, an antiplatelet.#Right: an antiplatelet.}")
    text, _ = lesson_text(to_gift([question]))
    # a learner who picks True is wrong, so sees the first feedback
    assert ("- [ ] True\n    > No, an antiplatelet.\n- [x] False\n    > Right: an antiplatelet."
            in text)


def test_short_answer_with_several_accepted_answers():
    question = one("What does ECG stand for? {=electrocardiogram =electrocardiograph}")
    assert question.kind == "short"
    text, findings = lesson_text(to_gift([question]))
    assert findings == []
    assert "    type: short" in text and "= electrocardiogram\n= electrocardiograph\n///" in text


def test_short_answer_partial_credit_and_feedback_are_reported_not_kept():
    text, findings = lesson_text(
        "Name the vessel. {=aorta #Yes. =%50%artery =%100%the aorta}")
    assert "= aorta\n= the aorta\n///" in text and "artery" not in text
    messages = [f.message for f in findings]
    assert any("50% answer 'artery' cannot be kept" in m for m in messages)
    assert any("feedback for 'aorta' cannot be kept" in m for m in messages)
    assert all(f.line == 1 for f in findings)


def test_numeric_value_with_tolerance():
    question = one("Resting heart rate? {#70:10}")
    assert question.kind == "numeric"
    assert question.answers[0].number == NumericAnswer(60, 80, 70, 10)
    assert "= 70 +- 10\n///" in lesson_text("Resting heart rate? {#70:10}")[0]


def test_numeric_range_and_exact_value():
    assert one("Pick 1 to 5. {#1..5}").answers[0].number == NumericAnswer(1, 5)
    assert "= [1, 5]" in lesson_text("Pick 1 to 5. {#1..5}")[0]
    assert "= 2.5\n" in lesson_text("Half of five? {#2.5}")[0]


def test_several_numeric_answers_with_weights_keep_the_full_ones_and_report_the_rest():
    question = one("Pi to one place? {# =3.1:0.05 =%50%3:0.5 ~4 #Too big}")
    assert [(a.weight, a.number.value, a.number.tolerance) for a in question.answers] == [
        (100, 3.1, 0.05), (50, 3.0, 0.5), (0, 4, 0)]
    assert question.answers[0].number.low == pytest.approx(3.05)
    text, findings = lesson_text("Pi to one place? {# =3.1:0.05 =%50%3:0.5 ~4 #Too big}")
    assert "= 3.1 +- 0.05\n///" in text
    assert len(findings) == 3  # the 50% answer, the wrong answer, its feedback


def test_matching_pairs_become_a_matching_question():
    question = one("Match drug and class. {=Aspirin -> Antiplatelet =Warfarin -> Anticoagulant "
                   "=Atenolol -> Beta blocker}")
    assert question.kind == "matching"
    assert [(a.text, a.match) for a in question.answers] == [
        ("Aspirin", "Antiplatelet"), ("Warfarin", "Anticoagulant"), ("Atenolol", "Beta blocker")]
    text, _ = lesson_text(to_gift([question]))
    assert ("    type: matching\n\nMatch drug and class.\n\n- Aspirin -> Antiplatelet\n"
            "- Warfarin -> Anticoagulant\n- Atenolol -> Beta blocker\n///") in text


def test_missing_word_puts_a_gap_where_the_answers_were():
    question = one("The {=left ~right} ventricle pumps blood to the body.")
    assert (question.text, question.after) == ("The", "ventricle pumps blood to the body.")
    text, _ = lesson_text("The {=left ~right} ventricle pumps blood to the body.")
    assert f"The {BLANK} ventricle pumps blood to the body." in text


def test_missing_word_before_the_full_stop_keeps_the_full_stop_against_the_gap():
    text, _ = lesson_text("Grant is buried in {=Grant's tomb ~Westminster}.")
    assert f"Grant is buried in {BLANK}." in text
    question = one("Grant is buried in {=Grant's tomb ~Westminster}.")
    assert (question.text, question.after) == ("Grant is buried in", ".")


def test_feedback_on_a_matching_pair_is_reported_and_left_out():
    result = parse_gift("Match. {=a -> 1 #no feedback here =b -> 2}")
    assert [(a.text, a.match) for a in result.questions[0].answers] == [("a", "1"), ("b", "2")]
    (finding,) = result.findings
    assert finding.severity == "warning" and "'#no feedback here' is left out" in finding.message


def test_a_file_kept_in_moodle_is_reported():
    _, findings = lesson_text('[html]Name this. <img src\\="@@PLUGINFILE@@/heart.png" '
                              'alt\\="A heart"> {=heart ~lung}')
    (finding,) = findings
    assert "@@PLUGINFILE@@" in finding.message and finding.line == 1


def test_an_essay_is_reported_with_its_line_and_not_written():
    lessons, findings = lessons_from_gift(
        parse_gift("Intro? {T}\n\n::Essay::Describe the cardiac cycle. {}\n"),
        default_title="Imported", used_ids=set())
    (finding,) = findings
    assert finding.line == 3 and "essay" in finding.message
    assert "cardiac cycle" not in lessons[0].text


def test_a_description_becomes_lesson_text_where_it_stood():
    text, findings = lesson_text("Read the case of Mrs A first.\n\nHow old is Mrs A? {#82}\n")
    assert findings == []
    assert text.index("Read the case of Mrs A first.") < text.index("/// question")


@pytest.mark.parametrize("gift, problem", [
    ("Unclosed {=a ~b", "closing '}' is missing"),
    ("::No end title Text {T}", "closing '::' is missing"),
    ("Stray } brace", "never opened"),
    ("Empty answer {=a ~}", "an answer is empty"),
    ("Text first {a =b}", "must each start with '='"),
    ("Not a number {#abc}", "not a numeric answer"),
])
def test_unreadable_questions_are_errors_with_their_line(gift, problem):
    result = parse_gift(f"Fine? {{T}}\n\n{gift}\n\nAlso fine? {{F}}\n")
    (finding,) = result.findings
    assert (finding.line, finding.severity) == (3, "error") and problem in finding.message
    assert [q.text for q in result.questions] == ["Fine?", "Also fine?"]


def test_single_choice_partial_credit_is_reported_and_imported_as_wrong():
    text, findings = lesson_text("Best answer? {=Best ~%50%Nearly ~Wrong}")
    (finding,) = findings
    assert "50% credit for 'Nearly'" in finding.message
    assert "- [x] Best\n- [ ] Nearly\n- [ ] Wrong" in text


def test_several_fully_right_choices_become_a_multiple_answer_question_with_a_warning():
    text, findings = lesson_text("Which? {=One =Two ~Three}")
    assert "type: multiple" in text and "- [x] One\n- [x] Two\n- [ ] Three" in text
    assert "2 fully right answers" in findings[0].message


# -- ids -----------------------------------------------------------------------------------

def test_question_ids_come_from_titles_or_text_and_are_unique_and_valid():
    lessons, _ = lessons_from_gift(parse_gift(
        "::Heart rate::A? {T}\n\n::Heart rate::B? {T}\n\n::Große Frage!::C? {T}\n\n"
        "What is the normal adult resting heart rate range? {#60..100}\n\n::x::D? {T}\n"),
        default_title="Imported", used_ids={"q-heart-rate"})
    ids = [line.split("| ")[1] for line in lessons[0].text.split("\n")
           if line.startswith("/// question")]
    assert ids == ["q-heart-rate-2", "q-heart-rate-3", "q-gro-e-frage",
                   "q-what-is-the-normal-adult-resting", "q-x"]
    assert slug("") == "item" and len(slug("word " * 40, prefix="q-")) <= 64


def test_categories_become_lessons_and_pool_writes_a_draw():
    lessons, findings = lessons_from_gift(parse_gift(
        "$CATEGORY: $course$/top/Cardiology\n\nA? {T}\n\nB? {F}\n\n"
        "$CATEGORY: $course$/top/Respiratory\n\nC? {T}\n\nD? {T}\n"),
        default_title="Imported", used_ids=set(), draw=2)
    assert [(x.id, x.title) for x in lessons] == [("cardiology", "Cardiology"),
                                                  ("respiratory", "Respiratory")]
    assert all("\ndraw: 2\n" in x.text for x in lessons) and findings == []
    assert [x.questions for x in lessons] == [2, 2]
    (text_only,), _ = lessons_from_gift(parse_gift("Just some text.\n\nAn essay. {}\n"),
                                        default_title="Notes", used_ids=set(), draw=2)
    assert "draw:" not in text_only.text and "Just some text." in text_only.text


def test_general_feedback_lines_that_look_like_labels_stay_in_the_explanation():
    text, _ = lesson_text(r"Q? {T ####Think first.\nHint: this is not a hint.}")
    assert "Explanation: Think first.\nHint&#58; this is not a hint.\n///" in text


# -- writing GIFT ------------------------------------------------------------------------------

EVERY_CONSTRUCT = r"""
// A question bank with every construct of the GIFT format
$CATEGORY: $course$/top/Cardiology basics

Read the case of Mrs A before the next questions.

::Heart chambers::How many chambers does the heart have? {
    =four #Right: two atria and two ventricles.
    ~three #Reptiles, mostly.
    ~two
    ####Two atria and two ventricles.
}

::Pulse sites::[markdown]Which are **pulse** sites? {
    ~%50%Radial
    ~%50%Carotid
    ~%-50%Patella #Not a pulse site.
    ~%-50%Ulna
}

::Aspirin::Aspirin is an anticoagulant.{F#No: it is an antiplatelet.#Right, an antiplatelet.}

::Pumps::The heart pumps blood.{TRUE}

::Abbreviation::What does ECG stand for? {=electrocardiogram =electrocardiograph =%50%cardiogram}

::Escapes::Escapes 1 \= 1\: \{braces\}, \~tilde and \# hash.\nA new line.{T}

::Rate::Resting heart rate, roughly? {#70:10}

::Range::A number from 1 to 5. {#1..5}

::Pi::Pi to one decimal place? {#
    =3.1:0.05
    =%50%3:0.5
}

::Match::Match the drug to its class. {
    =Aspirin -> Antiplatelet
    =Warfarin -> Anticoagulant
    =Atenolol -> Beta blocker
}

::Missing::The {=left ~right} ventricle pumps blood to the body.

$CATEGORY: $course$/top/Written work

::Essay::Describe the cardiac cycle. {}

::Html::[html]Which tag makes <b>bold</b> text? {=b ~i ####<p>See the <em>HTML</em> standard.</p>}

::Plain::[plain]Which character marks *emphasis*? {=* ~\#}
"""


def _as_imported(question):
    """What our format keeps of a GIFT question, to compare a round trip by."""
    from courses.giftlessons import _markdown

    def text(value):
        return _markdown(value, question.text_format)

    answers = question.answers
    if question.kind in ("short", "numeric"):
        answers = [a for a in answers if a.weight >= 99.99]
    return (question.kind, text(question.text), text(question.after),
            tuple((text(a.text), round(a.weight, 2) if question.kind != "multiple" else a.weight > 0,
                   text(a.feedback) if question.kind not in ("short", "numeric") else "",
                   text(a.match), a.number) for a in answers),
            text(question.general_feedback))


def test_to_gift_writes_what_parse_gift_reads():
    original = parse_gift(EVERY_CONSTRUCT)
    again = parse_gift(to_gift(original.questions))
    assert again.findings == ()
    assert [replace(q, line=0) for q in again.questions] == [
        replace(q, line=0) for q in original.questions]


def test_every_construct_imports_checks_clean_and_exports_back_to_equivalent_gift(tmp_path):
    original = parse_gift(EVERY_CONSTRUCT)
    assert original.findings == ()
    lessons, findings = lessons_from_gift(original, default_title="Imported", used_ids=set())
    warned = sorted({f.line for f in findings})
    # essays, the 50% short answer and the 50% numeric answer are reported, by line
    essay_line = EVERY_CONSTRUCT.split("\n").index("::Essay::Describe the cardiac cycle. {}") + 1
    assert essay_line in warned and len(warned) == 3

    course = tmp_path / "course"
    (course / "01-mod").mkdir(parents=True)
    (course / "course.md").write_text("---\nid: gift-course\ntitle: GIFT\n"
                                      "tracks: [postgraduate, ahp, junior]\n---\n")
    (course / "01-mod" / "module.md").write_text("---\nid: gift-module\ntitle: Module\n---\n")
    for number, lesson in enumerate(lessons, start=1):
        (course / "01-mod" / f"{number:02d}-{lesson.id}.md").write_text(lesson.text)
    result = compile_course(course)
    problems = [f for f in result.findings]
    if "matching" not in QUESTION_TYPES:
        # TODO(merge): the matching type comes from the "qtypes" branch; until it is merged,
        # its question is the only one the compiler cannot read
        problems = [f for f in problems if "q-match" not in f.message]
    assert problems == []

    exported = []
    for lesson in lessons:
        questions, notes = gift_from_lesson(lesson.text, f"Cardiology/{lesson.title}")
        assert notes == []
        exported.extend(questions)
    again = parse_gift(to_gift(exported))
    assert again.findings == ()
    kept = [q for q in original.questions if q.kind != "essay"]
    assert [_as_imported(q) for q in again.questions] == [_as_imported(q) for q in kept]
    assert [category_path(q.category)[-1] for q in again.questions] == [
        category_path(q.category)[-1] for q in kept]
    # a question's title becomes its id, which is exported as its title
    assert [slug(q.title, prefix="q-") for q in kept if q.title] == [
        again.questions[i].title for i, q in enumerate(kept) if q.title]


def test_lesson_export_reports_what_gift_cannot_hold():
    lesson = textwrap.dedent("""\
        ---
        id: check
        title: Check
        ---
        Intro text.

        /// question | q-order
            type: ordering
        Put them in order.

        1. Plan
        2. Do
        ///

        /// question | q-points
            points: 2
            tracks: [junior]
        Pick one.

        - [x] A
        - [ ] B

        Hint: think.
        ///

        /// reflection | r-think
        Think about it.
        ///

        /// details | More
        Hidden.
        ///
        """)
    questions, notes = gift_from_lesson(lesson, "Module/Check")
    assert [q.kind for q in questions] == ["description", "single"]
    messages = " | ".join(f"{n.line}: {n.message}" for n in notes)
    for expected in ("7: 'q-order' puts items in order", "15: the hints of 'q-points'",
                     "15: the points of 'q-points'", "15: 'q-points' is only for the junior",
                     "26: the reflection 'r-think'", "lesson text holding '///' blocks"):
        assert expected in messages


def test_a_question_block_is_what_our_compiler_reads_for_each_type():
    for gift in ("Q? {=a ~b}", "Q? {~%50%a ~%50%b ~%-100%c}", "Q? {T}", "Q? {=yes}",
                 "Q? {#2:1}"):
        (question,) = parse_gift(gift).questions
        block = question_block(question, "q-test", [])
        assert block is not None and block.startswith("/// question | q-test\n    type: ")


# -- escaping, for any text ------------------------------------------------------------------

# GIFT cannot escape '//' at the start of a line (a comment), '->' in an answer (a matching
# pair) or a format marker at the start of text, so the alphabet leaves out '/', '>' and '['
_TEXT = st.text(alphabet=st.sampled_from(list("ab Z0.%~=#{}:\\\n-")), min_size=1, max_size=20) \
    .map(lambda s: "\n".join(line.strip() for line in s.strip().split("\n")))\
    .filter(lambda s: s and "\n\n" not in s and not s.startswith("%"))


@settings(max_examples=300, deadline=None)
@given(title=_TEXT, text=_TEXT, right=_TEXT, wrong=_TEXT, feedback=_TEXT, general=_TEXT)
def test_any_text_survives_writing_and_reading(title, text, right, wrong, feedback, general):
    question = GiftQuestion(1, "single", text, title, answers=(
        GiftAnswer(right, 100.0, feedback), GiftAnswer(wrong, 0.0)), general_feedback=general)
    result = parse_gift(to_gift([question]))
    assert result.findings == ()
    assert [replace(q, line=1) for q in result.questions] == [question]
