"""WhatsApp through Twilio: the SMS adapter's webhook, signature check, intake and REST
client, with WhatsApp's own rules for what a business may send.

Twilio posts WhatsApp messages to the same messaging webhook as SMS, with
``From: whatsapp:+E164`` (`channels.sms.parse_inbound`). They become the ``whatsapp``
channel at the bare number, owned by the same phone identity as SMS (one customer, one
history), and every reply goes back on WhatsApp from TWILIO_WHATSAPP_FROM, never by SMS.

Outside the customer's 24-hour window (`conversations.whatsapp_window`) a message must use
a template WhatsApp approved: TWILIO_WHATSAPP_TEMPLATE_SID names a Twilio Content
template with one variable, ``{{1}}``, which carries our text. With no template set,
such a message is held and goes out when the customer next writes.
"""

from __future__ import annotations

import json

from channels.sms import WHATSAPP_PREFIX, delivery_errors, messages_taken, twilio_client
from conversations import whatsapp_window
from conversations.delivery import DeliveryError
from conversations.models import OutboxMessage
from infra.clock import Clock
from infra.settings import Settings


def send(row: OutboxMessage, settings: Settings, *, clock: Clock) -> str:
    """Send one message on WhatsApp; returns Twilio's message SID.

    Inside the customer's 24-hour window the text goes as it is; outside it through the
    approved template, or the row is held until the customer writes again.
    """
    if whatsapp_window.is_open(row, clock.now()):
        content: dict[str, str] = {"body": row.body}
    elif settings.twilio_whatsapp_template_sid:
        content = {
            "content_sid": settings.twilio_whatsapp_template_sid,
            "content_variables": json.dumps({"1": row.body}),
        }
    else:
        raise DeliveryError(
            "outside WhatsApp's 24-hour window and no TWILIO_WHATSAPP_TEMPLATE_SID: "
            "held until the customer writes again",
            hold=True,
        )
    with delivery_errors():
        return (
            twilio_client(settings)
            .messages.create(
                to=WHATSAPP_PREFIX + row.to_address,
                from_=WHATSAPP_PREFIX + settings.twilio_whatsapp_from,
                **content,
            )
            .sid
        )


def find_sent(row: OutboxMessage, settings: Settings) -> list[str]:
    """As `channels.sms.find_sent`, for the WhatsApp address."""
    return messages_taken(WHATSAPP_PREFIX + row.to_address, row, settings)
