"""Course staff from the command line; draft courses only for their staff."""

import pytest


@pytest.fixture
def draft(publish):
    return publish(status="draft")


def test_staff_add_list_remove(runner, draft, make_user):
    educator = make_user(role="educator", email="ed@example.nhs.uk")
    result = runner.invoke(args=["courses", "staff", "add", "tiny-course", educator.email, "--role", "educator"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(args=["courses", "staff", "list", "tiny-course"])
    assert "educator  ed@example.nhs.uk" in listed.output
    removed = runner.invoke(args=["courses", "staff", "remove", "tiny-course", educator.email])
    assert removed.exit_code == 0
    assert "no staff" in runner.invoke(args=["courses", "staff", "list", "tiny-course"]).output


def test_staff_add_refuses_a_learner_with_a_clear_message(runner, draft, make_user):
    learner = make_user(email="lea@example.nhs.uk")
    result = runner.invoke(args=["courses", "staff", "add", "tiny-course", learner.email, "--role", "educator"])
    assert result.exit_code == 1
    assert "flask users set-role lea@example.nhs.uk educator" in result.output


def test_staff_add_for_an_unknown_course(runner, make_user):
    result = runner.invoke(args=["courses", "staff", "add", "nope", "x@example.nhs.uk", "--role", "partner"])
    assert result.exit_code == 1 and "No published course 'nope'" in result.output


def test_draft_courses_are_hidden_from_everyone_but_their_staff(client, runner, draft, make_user, login):
    assert "Tiny course" not in client.get("/").get_data(as_text=True)
    assert client.get("/courses/tiny-course/").status_code == 404
    assert client.get("/courses/tiny-course/assets/01-one/images/diagram.svg").status_code == 404

    other_educator = make_user(role="educator")
    login(other_educator)
    assert client.get("/courses/tiny-course/").status_code == 404
    client.post_form("/logout")

    educator = make_user(role="educator")
    runner.invoke(args=["courses", "staff", "add", "tiny-course", educator.email, "--role", "educator"])
    login(educator)
    assert "Tiny course" in client.get("/").get_data(as_text=True)
    assert client.get("/courses/tiny-course/").status_code == 200
    lesson = client.get("/courses/tiny-course/m-one/l-read/?track=ahp")
    assert lesson.status_code == 200 and "First lesson." in lesson.get_data(as_text=True)
