"""The store screens: a location's pickups, shipping, returns, stock and its ledger, and
walk-in returns, for store staff and CSRs. Sign-in and the page frame are backoffice's."""

from __future__ import annotations

from flask import Blueprint, Flask

# The screens' templates; the routes are on backoffice's `bp`, added when imported.
templates = Blueprint("store", __name__, template_folder="templates")

from store import fulfilment, returns, stock, views  # noqa: E402, F401


def register(app: Flask) -> None:
    app.register_blueprint(templates)
