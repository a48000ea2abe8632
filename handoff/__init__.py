"""The CSR console: the queue, a conversation taken over, customers, phone orders,
reports and administration. Every action goes through the floors below (the handoff
queue, the services); sign-in and the page frame are backoffice's."""

from __future__ import annotations

from flask import Flask

from handoff.cli import register_commands
from handoff.views import templates


def register(app: Flask) -> None:
    """Add the console's templates and commands (its routes are on backoffice's blueprint)."""
    app.register_blueprint(templates)
    register_commands(app)
