"""SMS through Twilio: the signed messaging and status webhooks, TwiML replies, REST sends.

The messaging webhook also takes Twilio's WhatsApp messages (see `channels.whatsapp`).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import hmac
import logging
from collections.abc import Iterator
from datetime import timedelta

import requests
from flask import Blueprint, Response, abort, request
from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from channels.requests_io import signed_url, strict_form
from conversations import identities, intake, sms_pages
from conversations.delivery import DeliveryError
from conversations.inbound import MEDIA_ONLY, MORE, OPT_IN, OPT_OUT, BadRequest, InboundMessage
from conversations.models import OutboxMessage
from infra.settings import Settings
from infra.web import database, settings
from orders.errors import ValidationFailed
from orders.phones import normalise_phone

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__)

# Twilio's own opt-out and opt-in keywords (a whole message, any case): Twilio stops
# delivering to a number that sent one, so we record it the same way.
OPT_OUT_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"}
OPT_IN_WORDS = {"start", "unstop"}
HELP_WORDS = {"help", "info"}
# Twilio's WhatsApp webhook and API write addresses as "whatsapp:+E164".
WHATSAPP_PREFIX = "whatsapp:"
SEND_TIMEOUT_SECONDS = 15.0
# Looking for an earlier attempt's message: Twilio's newest messages to the number, and
# how far its clock (date_created, in whole seconds) may be behind ours.
LOOKBACK_MESSAGES = 20
CLOCK_SKEW = timedelta(seconds=60)
EMPTY_TWIML = str(MessagingResponse())  # "no reply here", built once rather than per message

# Twilio error codes that say this number cannot get our messages.
OPTED_OUT_CODES = {21610}
UNREACHABLE_CODES = {21211, 21214, 21614, 30005, 30006}


def verify(settings: Settings) -> dict[str, str]:
    """The form of a genuine Twilio request, or abort: 403 for a bad signature."""
    form = strict_form(request)
    signature = request.headers.get("X-Twilio-Signature", "")
    url = signed_url(request, settings)
    if not signature or not (
        _signed_as_sent(settings.twilio_auth_token, url, form, signature)
        or RequestValidator(settings.twilio_auth_token).validate(url, form, signature)
    ):
        abort(403)
    return form


def _signed_as_sent(auth_token: str, url: str, form: dict[str, str], signature: str) -> bool:
    """Twilio's signature (base64 HMAC-SHA1 of the URL and the sorted fields' names and
    values) of exactly this URL: how a genuine request is signed.

    The library's `validate` also tries the URL with the port added and removed, which
    some of Twilio's requests are signed with, and is left to check what fails here. It
    costs ten times as much (it signs twice and raises two exceptions a field looking for
    a multi-dict), which was a fifth of acknowledging a message.
    """
    signed = url + "".join(name + form[name] for name in sorted(form))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(base64.b64encode(digest), signature.encode())


def parse_inbound(form: dict[str, str]) -> InboundMessage:
    sid = form.get("MessageSid") or form.get("SmsSid")
    sender = form.get("From", "")
    if not sid or not sender:
        raise BadRequest("MessageSid and From are required")
    whatsapp = sender.lower().startswith(WHATSAPP_PREFIX)
    try:
        phone = normalise_phone(sender[len(WHATSAPP_PREFIX) :] if whatsapp else sender)
    except ValidationFailed as exc:
        raise BadRequest(exc.message) from exc
    # A WhatsApp button press carries the button's text (in Body too, as a rule).
    text = (form.get("Body") or form.get("ButtonText") or "").strip()
    # A WhatsApp location share has no Body, its place in Latitude/Longitude.
    shared = "Latitude" in form or "Longitude" in form
    media = [
        {"url": form.get(f"MediaUrl{i}", ""), "type": form.get(f"MediaContentType{i}", "")}
        for i in range(_int(form.get("NumMedia", "0")))
    ]
    word = text.lower()
    command = (
        OPT_OUT
        if word in OPT_OUT_WORDS
        else OPT_IN
        if word in OPT_IN_WORDS
        else MEDIA_ONLY
        if (media or shared) and not text
        else MORE
        if not whatsapp and sms_pages.asks_for_more(text)
        else None
    )
    return InboundMessage(
        channel="whatsapp" if whatsapp else "sms",
        address=phone,
        text=text,
        provider_id=sid,
        identity=("phone", phone),
        command=command,
        bot_text="help" if word in HELP_WORDS else None,
        extra={"to": form.get("To", ""), "media": media} if media else {"to": form.get("To", "")},
    )


def _int(value: str) -> int:
    try:
        return max(0, min(int(value), 10))
    except ValueError as exc:
        raise BadRequest("NumMedia is not a number") from exc


@bp.post("/webhooks/twilio/sms")
def inbound() -> Response:
    config = settings()
    if not config.sms_enabled:
        abort(404)
    # Stored, then acknowledged with empty TwiML: a worker answers through the REST API.
    intake.accept(database(), parse_inbound(verify(config)))
    return Response(EMPTY_TWIML, mimetype="application/xml")


@bp.post("/webhooks/twilio/status")
def status_callback() -> Response:
    config = settings()
    if not config.sms_enabled:
        abort(404)
    form = verify(config)
    sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "")
    error_code = _int_or_none(form.get("ErrorCode"))
    with database().transaction() as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.provider_id == sid))
        if row is not None and row.status in ("sent", "delivered"):
            if status in ("delivered", "read"):  # WhatsApp's "read" may come first
                row.status = "delivered"
            elif status in ("failed", "undelivered"):
                row.status = "dead"
                row.last_error = f"Twilio reports {status} (error {error_code})"
                mark = _mark_for(error_code)
                if mark:
                    identities.mark(session, row.channel, row.to_address, mark)
    return Response(status=204)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


def _mark_for(code: int | None) -> str | None:
    if code in OPTED_OUT_CODES:
        return "opted_out"
    if code in UNREACHABLE_CODES:
        return "unreachable"
    return None


@functools.cache
def _client(account_sid: str, auth_token: str, base_url: str) -> Client:
    client = Client(
        account_sid, auth_token, http_client=TwilioHttpClient(timeout=SEND_TIMEOUT_SECONDS)
    )
    if base_url:
        client.api.base_url = base_url
    return client


def twilio_client(settings: Settings) -> Client:
    return _client(
        settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base_url
    )


def send(row: OutboxMessage, settings: Settings) -> str:
    """Send one part through the REST API; returns Twilio's message SID."""
    client = twilio_client(settings)
    sender = (
        {"from_": settings.twilio_from_number}
        if settings.twilio_from_number
        else {"messaging_service_sid": settings.twilio_messaging_service_sid}
    )
    if settings.public_base_url:
        sender["status_callback"] = settings.public_base_url + "/webhooks/twilio/status"
    with delivery_errors():
        return client.messages.create(to=row.to_address, body=row.body, **sender).sid


def find_sent(row: OutboxMessage, settings: Settings) -> list[str]:
    """SIDs of messages Twilio took with this row's text for its number since the row was
    queued, oldest first: an earlier attempt whose answer never came back may have sent it."""
    return messages_taken(row.to_address, row, settings)


def messages_taken(to: str, row: OutboxMessage, settings: Settings) -> list[str]:
    """Twilio's messages to `to` with the row's text since it was queued, oldest first."""
    since = row.created_at - CLOCK_SKEW
    with delivery_errors():
        recent = twilio_client(settings).messages.list(to=to, limit=LOOKBACK_MESSAGES)
    return [m.sid for m in reversed(recent) if m.body == row.body and m.date_created >= since]


@contextlib.contextmanager
def delivery_errors() -> Iterator[None]:
    """Twilio's errors as DeliveryErrors: transient ones retried, the others dead letters."""
    try:
        yield
    except TwilioRestException as exc:
        transient = exc.status >= 500 or exc.status in (401, 429)
        raise DeliveryError(
            f"Twilio {exc.status} error {exc.code}: {exc.msg}",
            permanent=not transient,
            mark=_mark_for(exc.code),
        ) from exc
    except requests.RequestException as exc:
        raise DeliveryError(f"Twilio not reachable: {type(exc).__name__}") from exc
