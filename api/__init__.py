"""The JSON API at /api/v1 (bearer tokens; errors as {"error": {"code", "message"}})."""

from __future__ import annotations

from flask import Flask

from api import handoffs, openapi, reports, store_views, views


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(store_views.bp)
    app.register_blueprint(handoffs.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(openapi.bp)
