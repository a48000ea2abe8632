"""Signed payloads as our webhooks receive them from Twilio and Mailgun.

Field names and shapes follow what the providers really send, so a test that
passes here exercises the same parsing and signature checks production does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping, Sequence

from twilio.request_validator import RequestValidator

TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
TWILIO_API_VERSION = "2010-04-01"


def twilio_sid(prefix: str) -> str:
    """A Twilio-style SID: a two-letter prefix (SM, MM, AC, MG, ME) and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The ``X-Twilio-Signature`` Twilio sends for a form POST of ``params`` to ``url``.

    ``url`` must be the full URL Twilio was configured with (scheme, host, path, query),
    which is why the app rebuilds it from ``PUBLIC_BASE_URL`` behind proxies.
    """
    return RequestValidator(auth_token).compute_signature(url, dict(params))


def twilio_headers(auth_token: str, url: str, params: Mapping[str, str]) -> dict[str, str]:
    """Headers for posting ``params`` to one of our Twilio webhooks."""
    return {
        TWILIO_SIGNATURE_HEADER: twilio_signature(auth_token, url, params),
        "Content-Type": "application/x-www-form-urlencoded",
        "I-Twilio-Idempotency-Token": secrets.token_hex(16),
    }


def twilio_inbound_sms(
    *,
    account_sid: str,
    from_: str,
    to: str,
    body: str,
    media: Sequence[tuple[str, str]] = (),
    message_sid: str | None = None,
    messaging_service_sid: str | None = None,
) -> dict[str, str]:
    """The form Twilio posts to the messaging webhook for an incoming SMS/MMS.

    ``media`` is a list of ``(url, content_type)``; with media the SID starts with
    ``MM`` as Twilio's does. Reusing ``message_sid`` models a redelivery.
    """
    sid = message_sid or twilio_sid("MM" if media else "SM")
    form = {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": sid,
        "NumMedia": str(len(media)),
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "CA",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": TWILIO_API_VERSION,
    }
    if messaging_service_sid:
        form["MessagingServiceSid"] = messaging_service_sid
    for index, (url, content_type) in enumerate(media):
        form[f"MediaUrl{index}"] = url
        form[f"MediaContentType{index}"] = content_type
    return form


WHATSAPP_SHAPES: dict[str, dict[str, str]] = {
    "text": {},
    # A quick-reply button under our message: Body and ButtonText are its label.
    "button": {
        "ButtonText": "Yes",
        "ButtonPayload": "confirm-yes",
        "OriginalRepliedMessageSender": "whatsapp:+14155238886",
        "OriginalRepliedMessageSid": "SM" + "b" * 32,
    },
    # A shared place: no Body, no media; the place in Latitude/Longitude.
    "location": {
        "Latitude": "51.5072",
        "Longitude": "-0.1276",
        "Address": "1 River Street, London",
        "Label": "Home",
    },
}


def twilio_inbound_whatsapp(
    *, account_sid: str, from_: str, to: str, body: str, kind: str = "text"
) -> dict[str, str]:
    """The form Twilio posts to the messaging webhook for a WhatsApp message: the SMS
    form with ``whatsapp:`` addresses, the sender's profile, and the ``kind``'s fields
    (``WHATSAPP_SHAPES``)."""
    form = twilio_inbound_sms(
        account_sid=account_sid, from_="whatsapp:" + from_, to="whatsapp:" + to, body=body
    )
    form.update(ProfileName="Jo", WaId=from_.lstrip("+"), MessageType=kind)
    form.update(WHATSAPP_SHAPES[kind])
    return form


def twilio_status_callback(
    *,
    account_sid: str,
    message_sid: str,
    status: str,
    from_: str,
    to: str,
    error_code: int | None = None,
) -> dict[str, str]:
    """The form Twilio posts to a message's StatusCallback URL.

    ``status`` is one of queued, sending, sent, delivered, undelivered, failed;
    Twilio adds ``ErrorCode`` for the last two (e.g. 30003 unreachable handset).
    """
    form = {
        "AccountSid": account_sid,
        "ApiVersion": TWILIO_API_VERSION,
        "From": from_,
        "To": to,
        "MessageSid": message_sid,
        "SmsSid": message_sid,
        "MessageStatus": status,
        "SmsStatus": status,
    }
    if error_code is not None:
        form["ErrorCode"] = str(error_code)
    return form


def mailgun_signature(signing_key: str, timestamp: str, token: str) -> str:
    """Mailgun's webhook signature: hex HMAC-SHA256 of ``timestamp + token``."""
    return hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()


def mailgun_inbound(
    *,
    signing_key: str,
    sender: str,
    recipient: str,
    subject: str,
    body_plain: str,
    message_id: str,
    body_html: str | None = None,
    stripped_text: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    from_header: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The form a Mailgun route's ``forward()`` posts for an incoming email.

    Mailgun sends the parsed parts, every MIME header both as its own field and in
    the JSON ``message-headers`` list, and ``timestamp``/``token``/``signature``.
    ``message_id``, ``in_reply_to`` and ``references`` include the angle brackets.
    """
    headers = [
        ["Received", "by mxa.mailgun.org with SMTP"],
        ["From", from_header or sender],
        ["To", recipient],
        ["Subject", subject],
        ["Message-Id", message_id],
        ["Date", time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())],
        ["Mime-Version", "1.0"],
        ["Content-Type", "text/plain; charset=utf-8"],
    ]
    if in_reply_to:
        headers.append(["In-Reply-To", in_reply_to])
    if references:
        headers.append(["References", references])
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    token = secrets.token_hex(25)
    form = {name: value for name, value in headers}
    form.update(
        {
            "recipient": recipient,
            "sender": sender,
            "from": from_header or sender,
            "subject": subject,
            "body-plain": body_plain,
            "stripped-text": stripped_text if stripped_text is not None else body_plain,
            "stripped-signature": "",
            "message-headers": json.dumps(headers),
            "attachment-count": "0",
            "timestamp": stamp,
            "token": token,
            "signature": mailgun_signature(signing_key, stamp, token),
        }
    )
    if body_html is not None:
        form["body-html"] = body_html
        form["stripped-html"] = body_html
    return form
