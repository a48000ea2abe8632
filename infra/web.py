"""Small helpers every blueprint uses to reach the app's shared objects."""

from __future__ import annotations

from flask import Flask, Request, current_app, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from infra.db import Database
from infra.settings import Settings

WEBHOOK_PREFIX = "/webhooks/"


def database() -> Database:
    return current_app.extensions["db"]


def settings() -> Settings:
    return current_app.extensions["settings"]


def may_hold_request() -> bool:
    """Whether this request may be held open for news (a long poll): not where the process
    serves one request at a time (WSGI's `wsgi.multithread` is false under gunicorn's sync
    workers, true under its threaded and async workers and the built-in server)."""
    return bool(request.environ.get("wsgi.multithread"))


class NoSessionForWebhooks(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except on the providers' webhooks, which never use
    one: opening a session builds a signing serializer on every request, a twentieth
    of what acknowledging a webhook cost (see docs/capacity.md)."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if request.path.startswith(WEBHOOK_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)
