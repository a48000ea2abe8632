"""`python app.py create-user EMAIL --role csr|admin|store`."""

from __future__ import annotations

import sys

import click
from flask import Flask

from conversations import staff as users
from conversations.staff_models import ROLES
from orders.errors import DomainError


def register_commands(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice(ROLES), default="csr", show_default=True)
    @click.option(
        "--name", default="", help="Shown to colleagues (and its first word to customers)."
    )
    @click.option(
        "--location",
        "locations",
        multiple=True,
        help="Store staff: a location code they work at (repeatable).",
    )
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
    def create_user(
        email: str, role: str, name: str, locations: tuple[str, ...], password_stdin: bool
    ) -> None:
        """Add a console user, or reset an existing one's password and role."""
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            with app.extensions["db"].transaction() as session:
                user, created = users.save_user(
                    session, email, password, role, name=name, locations=locations
                )
                email, role = user.email, user.role
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"{'Created' if created else 'Updated'} {role} user {email}.")
