"""Channels: one adapter per provider (SMS and WhatsApp through Twilio, Telegram, email,
the web chat and the terminal), each turning the provider's requests into an
`InboundMessage` for intake and sending outbox rows back through the provider."""

from __future__ import annotations

from flask import Flask, Response

from channels import email_in, sms, telegram, webchat
from conversations.inbound import BadRequest


def register(app: Flask) -> None:
    """Add the providers' webhooks and the web chat to the app."""
    for blueprint in (sms.bp, telegram.bp, email_in.bp, webchat.bp):
        app.register_blueprint(blueprint)
    app.register_error_handler(BadRequest, _bad_request)


def _bad_request(exc: BadRequest) -> Response:
    return Response(str(exc), status=exc.status, mimetype="text/plain")
