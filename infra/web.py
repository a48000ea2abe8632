"""Small helpers every blueprint uses to reach the app's shared objects."""

from __future__ import annotations

from flask import current_app, request

from infra.db import Database
from infra.settings import Settings


def database() -> Database:
    return current_app.extensions["db"]


def settings() -> Settings:
    return current_app.extensions["settings"]


def may_hold_request() -> bool:
    """Whether this request may be held open for news (a long poll): not where the process
    serves one request at a time (WSGI's `wsgi.multithread` is false under gunicorn's sync
    workers, true under its threaded and async workers and the built-in server)."""
    return bool(request.environ.get("wsgi.multithread"))
