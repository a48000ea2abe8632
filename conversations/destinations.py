"""Where an SMS or WhatsApp message may go: a number in an allowed country, not premium-rate,
not STOPped.

SMS pumping makes a shop pay for texts to numbers whose carrier shares the fee with
the fraudster: international and premium-rate ranges. The allowed countries are
`SMS_ALLOWED_COUNTRIES`, by default the country of `TWILIO_FROM_NUMBER` (the shop's
own), else of `TWILIO_WHATSAPP_FROM`, else US (a messaging service with no number).
Delivery asks `refusal` for every SMS and WhatsApp message it is about to send,
whatever queued it (a reply, a notice, a CSR, a link code), and linking asks before
promising a code. STOP (by SMS or WhatsApp) is kept on the phone identity both share.
"""

from __future__ import annotations

import functools

import phonenumbers
from phonenumbers import PhoneNumberType
from sqlalchemy.orm import Session

from conversations import identities
from infra.settings import Settings
from orders.phones import DEFAULT_PHONE_REGION

# Channels whose messages are billed per message to a phone number.
GATED_CHANNELS = frozenset({"sms", "whatsapp"})
# Ranges whose price is set by the receiving carrier, the fraudster's favourite.
COSTLY_TYPES = frozenset({PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST})


def allowed_countries(settings: Settings) -> frozenset[str]:
    own_number = settings.twilio_from_number or settings.twilio_whatsapp_from
    return _allowed(settings.sms_allowed_countries, own_number)


@functools.cache
def _allowed(configured: tuple[str, ...], own_number: str) -> frozenset[str]:
    if configured:
        return frozenset(configured)
    return frozenset({_country(own_number) if own_number else DEFAULT_PHONE_REGION})


def _country(phone: str) -> str:
    """The number's country; for a number no country has assigned (such as the 555
    numbers of films and tests), the main country of its calling code (+1: US)."""
    number = phonenumbers.parse(phone)
    return phonenumbers.region_code_for_number(number) or (
        phonenumbers.region_code_for_country_code(number.country_code)
    )


def phone_refusal(phone: str, settings: Settings) -> str | None:
    """Why no SMS may go to `phone` (an E.164 number), or None when it may: words for
    the CSRs who see the dead letter, not for the customer."""
    return _phone_refusal(phone, allowed_countries(settings))


@functools.lru_cache(maxsize=10_000)  # every SMS delivered asks, mostly for the same numbers
def _phone_refusal(phone: str, allowed_countries: frozenset[str]) -> str | None:
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return f"{phone} is not a phone number"
    if phonenumbers.number_type(number) in COSTLY_TYPES:
        return f"{phone} is a premium-rate number"
    country = _country(phone)
    allowed = ",".join(sorted(allowed_countries))
    if country not in allowed_countries:
        return f"{phone} is in {country}, outside SMS_ALLOWED_COUNTRIES ({allowed})"
    return None


def refusal(session: Session, settings: Settings, channel: str, address: str) -> str | None:
    """Why nothing may be sent to `address` on `channel` now, or None when it may."""
    if channel not in GATED_CHANNELS:
        return None
    identity = identities.identity_for(session, channel, address)
    if identity is not None and identity.opted_out:
        return f"{address} opted out (STOP)"
    return phone_refusal(address, settings)
