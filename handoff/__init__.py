"""The CSR console and the store screens: pages for people signed in with a staff account.
Every action goes through the services below (the queue, the orders services)."""

from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

from handoff.cli import register_commands
from handoff.views import bp as console_bp

# Paths authenticated otherwise: providers sign /webhooks/*, /api/* takes bearer tokens,
# and /chat/* a signed token in a header that only the chat's own script sends (and
# refuses other sites by Origin; see channels/webchat_access.py). Everything else that a
# browser POSTs needs a CSRF token.
CSRF_EXEMPT_PREFIXES = ("/webhooks/", "/api/", "/chat/")


def _init_csrf(app: Flask) -> None:
    """CSRF on every browser POST in the app, not only the console's.

    Exempting by path (the public URLs the README lists) rather than by
    blueprint name keeps webhooks working whatever their blueprints are called.
    A view elsewhere can still opt out with `app.extensions["csrf"].exempt(view)`.
    """
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf = CSRFProtect(app)

    @app.before_request
    def _csrf_protect() -> None:
        if not request.path.startswith(CSRF_EXEMPT_PREFIXES):
            csrf.protect(apply_exemptions=True)


def register(app: Flask) -> None:
    """Add this package's blueprints, commands and background tasks to the app."""
    _init_csrf(app)
    app.register_blueprint(console_bp)
    register_commands(app)
