"""`flask courses staff add|remove|list`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from lms.accounts.cli import as_option, cli_actor_id
from lms.accounts.services import find_user_by_email
from lms.catalog import queries, services
from lms.catalog.models import STAFF_ROLES
from lms.extensions import db

courses_cli = AppGroup("courses", help="Published courses and their staff.")
staff_cli = AppGroup("staff", help="Educators and university partners of a course.")
courses_cli.add_command(staff_cli)


def _course_and_user(course_key: str, email: str | None = None):
    course = queries.find_course(course_key)
    if course is None:
        raise click.ClickException(f"No published course '{course_key}'. Publish it with `flask content build`.")
    if email is None:
        return course, None
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the email {email}.")
    return course, user


@staff_cli.command("add")
@click.argument("course")
@click.argument("email")
@click.option("--role", type=click.Choice(STAFF_ROLES), required=True)
@as_option
def add_command(course, email, role, acting_as):
    """Make EMAIL an educator or partner of COURSE; recorded in the audit trail."""
    actor_id = cli_actor_id(acting_as)
    course_row, user = _course_and_user(course, email)
    try:
        services.add_course_staff(course_row, user, role, actor_id=actor_id, via="cli")
    except services.StaffError as error:
        hint = f" with `flask users set-role {user.email} {role}`" if not user.has_role(role, "admin") else ""
        raise click.ClickException(f"{error}{hint}") from None
    db.session.commit()
    click.echo(f"{user.email} is now {role} of {course_row.key}.")


@staff_cli.command("remove")
@click.argument("course")
@click.argument("email")
@as_option
def remove_command(course, email, acting_as):
    """Remove EMAIL from COURSE's staff; recorded in the audit trail."""
    actor_id = cli_actor_id(acting_as)
    course_row, user = _course_and_user(course, email)
    if not services.remove_course_staff(course_row, user, actor_id=actor_id, via="cli"):
        raise click.ClickException(f"{user.email} is not staff of {course_row.key}.")
    db.session.commit()
    click.echo(f"{user.email} removed from {course_row.key}.")


@staff_cli.command("list")
@click.argument("course")
def list_command(course):
    """List COURSE's educators and partners."""
    course_row, _ = _course_and_user(course)
    rows = queries.course_staff(course_row)
    if not rows:
        click.echo(f"{course_row.key} has no staff yet.")
    for staff in rows:
        click.echo(f"{staff.role:<9} {staff.user.email}  {staff.user.full_name}")
