"""Phone numbers: as customers and CSRs type them, and as identities store them (E.164)."""

from __future__ import annotations

import functools
import re

import phonenumbers

from orders.errors import ValidationFailed

DEFAULT_PHONE_REGION = "US"
# A search typed as a phone number: digits and the usual separators, at least this many
# digits (fewer is an order number or the end of a number, searched as such).
PHONE_TYPED = re.compile(r"\+?[0-9 ().-]+")
MIN_PHONE_DIGITS = 10


@functools.lru_cache(maxsize=10_000)  # every SMS webhook asks, mostly for the same numbers
def normalise_phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164 (`+15551234567`) or ValidationFailed; national numbers use `region`."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(f"{raw!r} is not a phone number.") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValidationFailed(f"{raw!r} is not a phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def typed_phone(text: str) -> str | None:
    """The E.164 number a search means when it is a whole phone number ("+1 555 555 0101",
    "(555) 555-0101"), so it is looked up by equality on the stored identity; else None."""
    text = text.strip()
    if not PHONE_TYPED.fullmatch(text) or len(re.sub(r"\D", "", text)) < MIN_PHONE_DIGITS:
        return None
    try:
        return normalise_phone(text)
    except ValidationFailed:
        return None
