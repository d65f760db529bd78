"""`flask users ...`, `flask orgs sync` and `flask demo accounts`."""

from __future__ import annotations

import secrets

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from lms.accounts import roles, services
from lms.accounts.models import User
from lms.clock import utcnow
from lms.extensions import db

users_cli = AppGroup("users", help="Create people and change their roles.")
orgs_cli = AppGroup("orgs", help="The list of partner organisations.")
demo_cli = AppGroup("demo", help="Demo data for trying the service.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True, help="Full name as printed on certificates.")
@click.option("--role", type=click.Choice(list(roles.ROLES)), default=roles.LEARNER, show_default=True)
@click.option("--organisation", "organisation_id", default=None, help="Organisation id, e.g. cnwl.")
@click.option("--password", default=None, help="Prompted for (hidden) when not given.")
def create_user_command(email, full_name, role, organisation_id, password):
    """Create an account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(email=email, full_name=full_name, password=password,
                                    role=role, organisation_id=organisation_id, verified=True)
    except services.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({role}).")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(list(roles.ROLES)))
def set_role_command(email, role):
    """Change a person's role (logs them out everywhere)."""
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the email {email}.")
    services.set_role(user, role)
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
def sync_orgs_command():
    """Write the seeded North West London organisation list into the database."""
    added, updated = services.sync_organisations()
    db.session.commit()
    click.echo(f"Organisations: {added} added, {updated} updated.")


DEMO_ACCOUNTS = (
    ("learner@example.nhs.uk", "Alex Learner", roles.LEARNER, "cnwl", "nurse"),
    ("educator@example.nhs.uk", "Sam Educator", roles.EDUCATOR, "imperial-college-healthcare", "doctor"),
    ("partner@example.ac.uk", "Jo Partner", roles.PARTNER, "imperial-college-london", "other"),
    ("lead@example.nhs.uk", "Pat Lead", roles.LEAD, "nwl-icb", "management"),
    ("admin@example.nhs.uk", "Kim Admin", roles.ADMIN, "nwl-icb", "management"),
)


@demo_cli.command("accounts")
def demo_accounts_command():
    """Create one demo account per role when the database has no accounts yet."""
    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo("Accounts exist already; no demo accounts created.")
        return
    lines = []
    for email, name, role, org, group in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)
        services.create_user(email=email, full_name=name, password=password, role=role,
                             organisation_id=org, professional_group=group, verified=True)
        lines.append(f"  {role:<9} {email:<26} {password}")
    db.session.commit()
    click.echo("Demo accounts (the passwords are shown once only; note them now):")
    click.echo("\n".join(lines))
