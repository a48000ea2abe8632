"""The frame every staff page shares: the `/csr` blueprint, sign-in and roles, CSRF, the
page layout, its styles and scripts, and the words for people (times in the shop's zone,
money with its sign). The CSR console (handoff/) and the store screens (store/) build
their pages on it and know nothing of each other."""

from __future__ import annotations

from flask import Blueprint, Flask, request
from flask_wtf.csrf import CSRFProtect

bp = Blueprint(
    "csr",
    __name__,
    url_prefix="/csr",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

# Paths authenticated otherwise: providers sign /webhooks/*, /api/* takes bearer tokens,
# and /chat/* a signed token in a header that only the chat's own script sends (and
# refuses other sites by Origin; see channels/webchat_access.py). Everything else that a
# browser POSTs needs a CSRF token.
CSRF_EXEMPT_PREFIXES = ("/webhooks/", "/api/", "/chat/")


def _init_csrf(app: Flask) -> None:
    """CSRF on every browser POST in the app, not only the staff pages'.

    Exempting by path (the public URLs the README lists) rather than by blueprint name
    keeps webhooks working whatever their blueprints are called. A view elsewhere can
    still opt out with `app.extensions["csrf"].exempt(view)`.
    """
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf = CSRFProtect(app)

    @app.before_request
    def _csrf_protect() -> None:
        if not request.path.startswith(CSRF_EXEMPT_PREFIXES):
            csrf.protect(apply_exemptions=True)


# Sign-in, the home page and the template filters add themselves to `bp` when imported.
from backoffice import auth, filters  # noqa: E402, F401


def register(app: Flask) -> None:
    """Add the staff pages' blueprint (with every route the console and the store screens
    added to it) and CSRF protection to the app."""
    _init_csrf(app)
    app.register_blueprint(bp)
