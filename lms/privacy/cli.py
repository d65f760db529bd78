"""`flask users erase EMAIL`: erase a person's data on their request (UK GDPR), audited."""

from __future__ import annotations

import click

from lms.accounts import services as accounts
from lms.accounts.cli import users_cli
from lms.extensions import db
from lms.privacy import services


@users_cli.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(email: str, yes: bool) -> None:
    """Erase a person's personal data, keeping only what verifying their certificates needs."""
    user = accounts.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the email {email}.")
    if not yes:
        click.confirm(f"Erase {user.email} ({user.full_name})? This cannot be undone", abort=True)
    try:
        services.erase_user(user, actor_id=None, via="cli", reason="admin")
    except services.ErasureError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Erased the account that was {email} (user {user.id}); its certificates still verify.")
