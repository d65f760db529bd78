from sqlalchemy import func, select

from lms.accounts.models import User
from lms.extensions import db


def test_users_create_with_password(runner):
    result = runner.invoke(args=["users", "create", "--email", "Ed@Example.nhs.uk", "--name", "Ed Ucator",
                                 "--role", "educator", "--password", "educator password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert (user.email, user.role) == ("ed@example.nhs.uk", "educator")


def test_users_create_prompts_for_the_password(runner):
    result = runner.invoke(args=["users", "create", "--email", "a@example.nhs.uk", "--name", "A"],
                           input="prompted password\nprompted password\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User)).role == "learner"


def test_users_create_refuses_a_duplicate_with_a_clear_message(runner, make_user):
    make_user(email="a@example.nhs.uk")
    result = runner.invoke(args=["users", "create", "--email", "A@example.nhs.uk", "--name", "A",
                                 "--password", "another password"])
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_set_role(runner, make_user):
    user = make_user()
    token = user.session_token
    result = runner.invoke(args=["users", "set-role", user.email, "admin"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.role == "admin" and user.session_token != token


def test_set_role_for_unknown_email(runner):
    result = runner.invoke(args=["users", "set-role", "ghost@example.nhs.uk", "admin"])
    assert result.exit_code == 1 and "No account" in result.output


def test_demo_accounts_only_on_a_new_database(runner):
    first = runner.invoke(args=["demo", "accounts"])
    assert first.exit_code == 0, first.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 5
    assert {u.role for u in db.session.scalars(select(User))} == {"learner", "educator", "partner", "lead", "admin"}
    second = runner.invoke(args=["demo", "accounts"])
    assert "no demo accounts created" in second.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 5


def test_orgs_sync_is_idempotent(runner):
    result = runner.invoke(args=["orgs", "sync"])
    assert "0 added, 25 kept as they are" in result.output
