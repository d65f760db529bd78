"""Quiz wording: "Select all that apply" said once, whether or not the writer said it in the question."""

from tests.web.learning.helpers import enrol
from tests.web.publishing.course_files import write_course

MULTI_MD = """---
id: l-multi
title: Choose several
outcomes: [lo-one]
pass_mark: 50
---
/// question | q-said
    type: multiple

Which are colours? Select all that apply.

- [x] Blue
- [x] Green
- [ ] Seven
///

/// question | q-unsaid
    type: multiple

Which are numbers?

- [x] One
- [x] Two
- [ ] Blue
///
"""


def test_select_all_that_apply_is_said_once_per_question(runner, tmp_path, client, make_user, login):
    course = write_course(tmp_path / "content")
    (course / "01-one" / "04-multi.md").write_text(MULTI_MD, encoding="utf-8")
    result = runner.invoke(args=["content", "build", str(tmp_path / "content")])
    assert result.exit_code == 0, result.output
    login(make_user())
    enrol(client)
    html = client.get("/courses/tiny-course/m-one/l-multi/").get_data(as_text=True)
    said = html.split('id="question-q-said"')[1].split('id="question-q-unsaid"')[0]
    unsaid = html.split('id="question-q-unsaid"')[1]
    assert said.lower().count("select all that apply") == 1
    assert unsaid.lower().count("select all that apply") == 1
