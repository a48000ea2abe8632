"""Channels: one adapter per provider (SMS and WhatsApp through Twilio, Telegram, email,
the web chat and the terminal), each turning the provider's requests into an
`InboundMessage` for intake and sending outbox rows back through the provider."""

from __future__ import annotations

import functools

from flask import Flask, Response

from channels import email_in, email_out, sms, telegram, webchat, whatsapp
from conversations.delivery import Senders, keep_in_conversation
from conversations.inbound import BadRequest
from infra.clock import Clock


def register(app: Flask) -> None:
    """Add the providers' webhooks and the web chat to the app."""
    for blueprint in (sms.bp, telegram.bp, email_in.bp, webchat.bp):
        app.register_blueprint(blueprint)
    app.register_error_handler(BadRequest, _bad_request)


def senders(clock: Clock) -> Senders:
    """Each channel's sender (the web chat and the terminal show replies from the
    conversation, so theirs sends nothing); Twilio's can also say what it has sent.
    WhatsApp's reads `clock` to know whether the customer's 24-hour window is open."""
    return Senders(
        send={
            "sms": sms.send,
            "whatsapp": functools.partial(whatsapp.send, clock=clock),
            "telegram": telegram.send,
            "email": email_out.send,
            "web": keep_in_conversation,
            "console": keep_in_conversation,
        },
        find_sent={"sms": sms.find_sent, "whatsapp": whatsapp.find_sent},
    )


def _bad_request(exc: BadRequest) -> Response:
    return Response(str(exc), status=exc.status, mimetype="text/plain")
