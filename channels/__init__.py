"""Channels: SMS (Twilio), Telegram, email, web chat and the terminal, with one intake
path in, one transactional outbox out, and the worker that delivers it."""

from __future__ import annotations

from flask import Flask, Response

from channels import email_in, notices, sms, telegram, webchat, worker
from channels.cli import register_commands
from channels.inbound import BadRequest
from orders import events


def register(app: Flask) -> None:
    """Add this package's blueprints, commands and background tasks to the app."""
    for blueprint in (sms.bp, telegram.bp, email_in.bp, webchat.bp):
        app.register_blueprint(blueprint)
    app.register_error_handler(BadRequest, _bad_request)
    register_commands(app)
    notices.configure(app.extensions["settings"])
    events.add_listener(notices.on_order_event)
    app.extensions["background_tasks"].append(
        lambda: worker.start(app.extensions["db"], app.extensions["settings"])
    )


def _bad_request(exc: BadRequest) -> Response:
    return Response(str(exc), status=exc.status, mimetype="text/plain")
