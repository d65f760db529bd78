"""`flask users ...`, `flask orgs sync` and `flask demo accounts`."""

from __future__ import annotations

import secrets

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from lms import audit
from lms.accounts import roles, services
from lms.accounts.models import User
from lms.clock import utcnow
from lms.extensions import db

users_cli = AppGroup("users", help="Create people and change their roles.")


def as_option(command):
    """`--as EMAIL`: the person responsible for a change made at the command line, named in the audit trail.

    Without it the entry has no actor (via "cli"): only people with a shell on the server run these.
    """
    return click.option("--as", "acting_as", metavar="EMAIL", default=None,
                        help="Your account's email, recorded as who made the change in the audit trail.")(command)


def cli_actor_id(acting_as: str | None) -> int | None:
    """The id of the account `--as` names; a ClickException when there is none."""
    if not acting_as:
        return None
    user = services.find_user_by_email(acting_as)
    if user is None:
        raise click.ClickException(f"--as: no account with the email {acting_as}.")
    return user.id
orgs_cli = AppGroup("orgs", help="The list of partner organisations.")
demo_cli = AppGroup("demo", help="Demo data for trying the service.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True, help="Full name as printed on certificates.")
@click.option("--role", type=click.Choice(list(roles.ROLES)), default=roles.LEARNER, show_default=True)
@click.option("--organisation", "organisation_id", default=None, help="Organisation id, e.g. cnwl.")
@click.option("--password", default=None, help="Prompted for (hidden) when not given.")
@as_option
def create_user_command(email, full_name, role, organisation_id, password, acting_as):
    """Create an account; recorded in the audit trail."""
    actor_id = cli_actor_id(acting_as)
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(email=email, full_name=full_name, password=password,
                                    role=role, organisation_id=organisation_id, verified=True)
    except services.AccountError as error:
        raise click.ClickException(str(error)) from None
    audit.record("user.created", "user", user.id, actor_id=actor_id, via="cli",
                 after={"email": user.email, "role": role, "organisation_id": organisation_id})
    db.session.commit()
    click.echo(f"Created {user.email} ({role}).")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(list(roles.ROLES)))
@as_option
def set_role_command(email, role, acting_as):
    """Change a person's role (logs them out everywhere); recorded in the audit trail."""
    actor_id = cli_actor_id(acting_as)
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the email {email}.")
    if not services.set_role(user, role, actor_id=actor_id, via="cli"):
        click.echo(f"{user.email} is already {role}; nothing changed.")
        return
    db.session.commit()
    click.echo(f"{user.email} is now {role}.")


def _user_or_fail(email: str) -> User:
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the email {email}.")
    return user


@users_cli.command("reset-password")
@click.argument("email")
def reset_password_command(email):
    """Print a one-time link (valid 1 hour) for the person to set a new password."""
    user = _user_or_fail(email)
    url = services.admin_reset_link(user, utcnow(), via="cli")
    db.session.commit()
    click.echo(f"A link for {user.email} to set a new password (works once, for 1 hour; earlier links no "
               f"longer work):\n{url}")


@users_cli.command("clear-lockout")
@click.argument("email")
def clear_lockout_command(email):
    """Let the person sign in with their password again at once, after too many failed attempts."""
    user = _user_or_fail(email)
    services.clear_lockout(user, actor_id=None, via="cli")
    db.session.commit()
    click.echo(f"{user.email} can log in with their password again.")


@orgs_cli.command("sync")
@as_option
def sync_orgs_command(acting_as):
    """Add the seeded North West London organisations the database does not have yet.

    Organisations already there are left as admins have set them on the admin screens.
    """
    added, kept = services.sync_organisations(actor_id=cli_actor_id(acting_as), via="cli")
    db.session.commit()
    click.echo(f"Organisations: {added} added, {kept} kept as they are.")


DEMO_ACCOUNTS = (
    ("learner@example.nhs.uk", "Alex Learner", roles.LEARNER, "cnwl", "nurse"),
    ("educator@example.nhs.uk", "Sam Educator", roles.EDUCATOR, "imperial-college-healthcare", "doctor"),
    ("partner@example.ac.uk", "Jo Partner", roles.PARTNER, "imperial-college-london", "other"),
    ("lead@example.nhs.uk", "Pat Lead", roles.LEAD, "nwl-icb", "management"),
    ("admin@example.nhs.uk", "Kim Admin", roles.ADMIN, "nwl-icb", "management"),
)


def _demo_signatory(organisation_id: str, name: str) -> None:
    """The demo partner signs its organisation's certificates, so demo completions get one at once."""
    settings = db.metadata.tables["partner_settings"]  # credentials' table, read from the metadata
    if db.session.execute(select(settings.c.organisation_id)
                          .where(settings.c.organisation_id == organisation_id)).first() is None:
        values = {"signatory_name": name, "signatory_title": "Course lead (demo signatory)"}
        db.session.execute(settings.insert().values(organisation_id=organisation_id, **values))
        audit.record("partner.signatory_changed", "organisation", organisation_id, actor_id=None, via="cli",
                     after=values)


@demo_cli.command("accounts")
def demo_accounts_command():
    """Create one demo account per role when the database has no accounts yet."""
    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo("Accounts exist already; no demo accounts created.")
        return
    # Accounts sits below the catalogue (it may not import it), so its tables are read from the metadata.
    courses_table, staff_table = db.metadata.tables["courses"], db.metadata.tables["course_staff"]
    courses = db.session.execute(select(courses_table.c.id, courses_table.c.partner_id)
                                 .order_by(courses_table.c.id)).all()
    # The demo partner certifies the shipped courses, so it belongs to their partner organisation.
    partner_org = next((partner for _, partner in courses if partner), None)
    lines = []
    for email, name, role, org, group in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)
        if role == roles.PARTNER and partner_org:
            org = partner_org
        user = services.create_user(email=email, full_name=name, password=password, role=role,
                                    organisation_id=org, professional_group=group, verified=True)
        staffed = [{"course_id": course_id, "user_id": user.id, "role": role} for course_id, partner in courses
                   if role == roles.EDUCATOR or (role == roles.PARTNER and partner == org)]
        if staffed:
            db.session.execute(staff_table.insert(), staffed)
        for row in staffed:
            audit.record("course.staff_added", "course", row["course_id"], actor_id=None, via="cli",
                         after={"user_id": user.id, "email": user.email, "role": role})
        if role == roles.PARTNER and partner_org:
            _demo_signatory(partner_org, name)
        lines.append(f"  {role:<9} {email:<26} {password}")
    db.session.commit()
    click.echo("Demo accounts (the passwords are shown once only; note them now):")
    click.echo("\n".join(lines))
    if courses:
        certified = sum(1 for _, partner in courses if partner and partner == partner_org)
        click.echo(f"The demo educator teaches the {len(courses)} published courses; the demo partner "
                   f"({partner_org or 'no organisation'}) certifies {certified} of them.")
    else:
        click.echo("No courses are published yet, so the demo educator and partner teach none; "
                   "publish with `flask content build` first.")
