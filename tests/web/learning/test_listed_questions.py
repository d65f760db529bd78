"""Ordering and matching questions, taken through the real pages without JavaScript."""

import re

import pytest
from sqlalchemy import select

from courses import QuestionSpec
from lms.catalog.models import Question
from lms.extensions import db
from lms.learning.models import QuestionResponse, QuizAttempt, QuizDraft
from tests.web.learning.helpers import LESSON, enrol, quiz_token
from tests.web.markup import squash
from tests.web.publishing.course_files import write_course

SORT = LESSON.format(module="m-one", lesson="l-sort")
SORT_MD = """---
id: l-sort
title: Putting things in order
outcomes: [lo-one]
pass_mark: 100
---
/// question | q-pdsa
    type: ordering
Put the stages of a PDSA cycle in order.

1. Plan
2. Do
3. Study
4. Act

Explanation: Plan, do, study, act.
///

/// question | q-roles
    type: matching
Match each role to what it does.

- Innovator -> Tries the new idea first
- Laggard -> Adopts last
- -> Blocks the idea
///
"""


@pytest.fixture
def sort_course(runner, tmp_path):
    folder = tmp_path / "content"
    course = write_course(folder)
    (course / "01-one" / "04-sort.md").write_text(SORT_MD, encoding="utf-8")
    result = runner.invoke(args=["content", "build", str(folder)])
    assert result.exit_code == 0, result.output


def spec(key: str) -> QuestionSpec:
    return QuestionSpec.from_dict(db.session.scalar(select(Question).where(Question.key == key)).spec)


def right_answers() -> dict[str, str]:
    """The form fields of a fully right answer: a place per ordering item, a match per matching item."""
    pdsa, roles = spec("q-pdsa"), spec("q-roles")
    fields = {f"answer-q-pdsa-{key}": str(place) for place, key in enumerate(pdsa.order, start=1)}
    fields.update({f"answer-q-roles-{pair.key}": pair.match for pair in roles.pairs})
    return fields


def post(client, fields: dict, action="submit"):
    return client.post_form(SORT + "quiz", {"token": quiz_token(client, SORT), "action": action, **fields})


def test_each_item_has_a_labelled_select_and_the_page_gives_no_answer_away(client, sort_course, make_user, login):
    login(make_user())
    enrol(client)
    html = client.get(SORT).get_data(as_text=True)
    pdsa, roles = spec("q-pdsa"), spec("q-roles")
    assert "<legend" in html and "Put the stages of a PDSA cycle in order." in html
    for key in pdsa.order:
        assert re.search(rf'<label class="nhsuk-label" for="answer-q-pdsa-{key}">', html)
        assert re.search(rf'<select class="nhsuk-select" id="answer-q-pdsa-{key}" name="answer-q-pdsa-{key}">', html)
    for pair in roles.pairs:
        assert f'for="answer-q-roles-{pair.key}">{pair.html}</label>' in html
    assert "<script" not in html.split('id="quiz"')[-1].split("</form>")[0]
    # the items are not in the right order on the page (the draft's shuffle is seeded by a secret token)
    draft = db.session.scalar(select(QuizDraft))
    assert sorted(draft.choice_order["q-pdsa"]) == sorted(pdsa.order)
    shown = re.findall(r'id="answer-q-pdsa-(k[0-9a-f]+)"', html)
    assert shown == draft.choice_order["q-pdsa"]
    assert "Plan, do, study, act." not in html


def test_a_right_answer_passes_and_the_results_mark_each_item(client, sort_course, make_user, login):
    login(make_user())
    enrol(client)
    response = post(client, right_answers())
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    attempt = db.session.scalar(select(QuizAttempt))
    assert attempt.percent == 100 and attempt.passed
    stored = [r.answer for r in db.session.scalars(select(QuestionResponse).order_by(QuestionResponse.position))]
    pdsa = spec("q-pdsa")
    assert stored[0] == {key: place for place, key in enumerate(pdsa.order, start=1)}  # JSON, as posted
    assert stored[1] == {pair.key: pair.match for pair in spec("q-roles").pairs}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your order" in page and "Your matches" in page
    page = squash(page)  # the package's tags spread over lines
    assert page.count(">Right</strong>") == 6 and ">Wrong</strong>" not in page


def test_partly_right_answers_earn_partial_credit_item_by_item(client, sort_course, make_user, login):
    login(make_user())
    enrol(client)
    pdsa, roles = spec("q-pdsa"), spec("q-roles")
    fields = right_answers()
    # Plan and Do swapped: 5 of 6 pairs in order
    plan, do = pdsa.order[0], pdsa.order[1]
    fields[f"answer-q-pdsa-{plan}"], fields[f"answer-q-pdsa-{do}"] = "2", "1"
    # the laggard matched with the distractor: 1 of 2 pairs
    distractor = next(c.key for c in roles.choices if not c.correct)
    fields[f"answer-q-roles-{roles.pairs[1].key}"] = distractor
    response = post(client, fields)
    assert response.status_code == 302
    marks = {r.question_id: (r.points_awarded, r.correct) for r in db.session.scalars(select(QuestionResponse))}
    by_key = {q.id: q.key for q in db.session.scalars(select(Question))}
    assert {by_key[k]: v for k, v in marks.items()} == {"q-pdsa": (pytest.approx(5 / 6), False),
                                                         "q-roles": (0.5, False)}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    page = squash(page)
    assert "Partly correct" in page
    assert page.count(">Wrong</strong>") == 3 and page.count(">Right</strong>") == 3
    assert "Blocks the idea" in page


def test_an_item_left_out_or_a_place_used_twice_is_an_error_and_keeps_the_choices(client, sort_course, make_user,
                                                                                     login):
    login(make_user())
    enrol(client)
    pdsa, roles = spec("q-pdsa"), spec("q-roles")
    fields = right_answers()
    fields[f"answer-q-pdsa-{pdsa.order[1]}"] = "1"  # two items in place 1
    del fields[f"answer-q-roles-{roles.pairs[0].key}"]
    response = post(client, fields)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Question 1: give each item a different position" in html
    assert "Question 2: choose a match for every item" in html
    assert db.session.scalar(select(QuizAttempt)) is None
    # what was chosen is still selected
    assert re.search(rf'name="answer-q-roles-{roles.pairs[1].key}">.*?<option value="{roles.pairs[1].match}" selected>',
                     html, re.S)
    assert 'nhsuk-select--error' in html


def test_saved_answers_come_back_selected(client, sort_course, make_user, login):
    login(make_user())
    enrol(client)
    pdsa = spec("q-pdsa")
    first = pdsa.order[0]
    response = post(client, {f"answer-q-pdsa-{first}": "1"}, action="save")
    assert response.status_code == 302
    assert db.session.scalar(select(QuizDraft)).answers == {"q-pdsa": {first: 1}}
    html = client.get(SORT).get_data(as_text=True)
    assert re.search(rf'name="answer-q-pdsa-{first}">.*?<option value="1" selected>', html, re.S)


def test_staff_preview_shows_the_items_shuffled_and_disabled(client, sort_course, make_user, login):
    from lms.catalog.models import Course, CourseStaff

    course = db.session.scalar(select(Course))
    educator = make_user(email="educator@example.nhs.uk")
    db.session.add(CourseStaff(course_id=course.id, user_id=educator.id, role="educator"))
    db.session.commit()
    login(educator)
    html = client.get(SORT + "?track=junior").get_data(as_text=True)
    pdsa = spec("q-pdsa")
    shown = re.findall(r'id="answer-q-pdsa-(k[0-9a-f]+)"', html)
    assert sorted(shown) == sorted(pdsa.order) and shown != list(pdsa.order)
    assert "disabled" in html


def test_question_statistics_count_each_item_placed_or_matched_rightly(client, sort_course, make_user, login):
    from lms.catalog.models import Course
    from lms.reports import exports, queries

    for n, swap in enumerate((False, True)):
        login(make_user(email=f"learner{n}@example.nhs.uk"))
        enrol(client)
        fields = right_answers()
        if swap:  # Plan and Do swapped; the laggard left to the wrong option
            pdsa, roles = spec("q-pdsa"), spec("q-roles")
            fields[f"answer-q-pdsa-{pdsa.order[0]}"], fields[f"answer-q-pdsa-{pdsa.order[1]}"] = "2", "1"
            fields[f"answer-q-roles-{roles.pairs[1].key}"] = next(c.key for c in roles.choices if not c.correct)
        assert post(client, fields).status_code == 302
        client.post_form("/logout", {})
    stats = {s.key: s for s in queries.question_statistics(db.session.scalar(select(Course)))}
    pdsa, roles = stats["q-pdsa"], stats["q-roles"]
    assert (pdsa.responses, pdsa.correct, pdsa.unanswered) == (2, 1, 0)
    assert [(o.html, o.chosen) for o in pdsa.options] == [("Plan", 1), ("Do", 1), ("Study", 2), ("Act", 2)]
    assert [(o.html, o.chosen) for o in roles.options] == [("Innovator → Tries the new idea first", 2),
                                                          ("Laggard → Adopts last", 1)]
    first_row = next(exports.option_rows([pdsa]))
    assert (first_row[3], first_row[5]) == ("Plan", 1)
    educator = make_user(email="educator@example.nhs.uk", role="educator")
    from lms.catalog.models import CourseStaff
    db.session.add(CourseStaff(course_id=db.session.scalar(select(Course)).id, user_id=educator.id, role="educator"))
    db.session.commit()
    login(educator)
    html = client.get("/manage/courses/tiny-course/questions").get_data(as_text=True)
    assert "50% in the right place: Plan" in html.replace("50.0%", "50%")
    assert "matched rightly: Innovator → Tries the new idea first" in html


def test_statistics_keep_counting_across_republishing_only_while_the_answer_is_the_same():
    from lms.publishing.services import same_answers

    base = {"type": "ordering", "stem_html": "<p>Order.</p>", "points": 1.0,
            "choices": [{"key": "k1", "html": "A", "correct": True}, {"key": "k2", "html": "B", "correct": True}],
            "order": ["k1", "k2"]}
    assert same_answers(base, {**base})
    assert not same_answers(base, {**base, "order": ["k2", "k1"]})
    matching = {"type": "matching", "stem_html": "<p>Match.</p>", "points": 1.0,
                "choices": [{"key": "r1", "html": "X", "correct": True}, {"key": "r2", "html": "Y", "correct": True}],
                "pairs": [{"key": "l1", "html": "A", "match": "r1"}, {"key": "l2", "html": "B", "match": "r2"}]}
    with_distractor = {**matching, "choices": [*matching["choices"], {"key": "r3", "html": "Z", "correct": False}]}
    assert same_answers(matching, with_distractor)
    swapped = {**matching, "pairs": [{"key": "l1", "html": "A", "match": "r2"},
                                     {"key": "l2", "html": "B", "match": "r1"}]}
    assert not same_answers(matching, swapped)


def test_before_the_answers_are_revealed_the_results_give_no_item_away(client, runner, tmp_path, make_user, login):
    folder = tmp_path / "content"
    course = write_course(folder)
    assessed = SORT_MD.replace("pass_mark: 100", "pass_mark: 100\nattempts: 3")  # reveal: after-last-attempt
    (course / "01-one" / "04-sort.md").write_text(assessed, encoding="utf-8")
    assert runner.invoke(args=["content", "build", str(folder)]).exit_code == 0
    login(make_user())
    enrol(client)
    pdsa = spec("q-pdsa")
    fields = right_answers()
    fields[f"answer-q-pdsa-{pdsa.order[0]}"], fields[f"answer-q-pdsa-{pdsa.order[1]}"] = "2", "1"
    response = post(client, fields)
    assert response.status_code == 302
    page = squash(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Partly correct" in page and "Your order" in page  # right or wrong per question, and what they gave
    assert "Right place" not in page and "Right match" not in page
    assert ">Wrong</strong>" not in page and ">Right</strong>" not in page
    assert "Plan, do, study, act." not in page
