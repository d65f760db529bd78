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
    assert re.search(r"Question 1\s*<strong class=\"nhsuk-tag nhsuk-tag--green\">\s*Correct", first)
    attempt = db.session.scalar(select(QuizAttempt))
    assert attempt.passed and attempt.percent == 100  # stored grades are never rewritten
    second = page.split('id="result-q-second"')[1]
    assert "has changed since" not in second  # an unchanged question says nothing
