"""How many SMS segments a text costs: GSM-7 or UCS-2, as carriers and Twilio bill them.

A text of GSM 03.38 characters only is sent in GSM-7: 160 characters in one segment,
153 per segment once it needs more (the rest carries the concatenation header), and the
extension characters (``{ } [ ] ~ \\ | ^ €``) take two. One character outside that
alphabet (an emoji, a curly quote, "á") sends the whole text in UCS-2: 70 UTF-16 code
units in one segment, 67 per segment beyond, an emoji taking two. A segment never
splits an escape pair or a surrogate pair.

A module of our own: the Python packages that count segments (smsutil, py-smsify,
sms-counter) are unmaintained or single releases, and the rules above are all there is.
"""

from __future__ import annotations

from collections.abc import Callable

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[]~|€\f")
# (one segment, each of several) in the encoding's units: septets or UTF-16 code units.
GSM7_CAPACITY = (160, 153)
UCS2_CAPACITY = (70, 67)


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def unit_counter(text: str) -> Callable[[str], int]:
    """How to measure pieces of `text` in the units of the encoding `text` goes in: a
    piece of a GSM-7 text costs septets, a piece of a UCS-2 text UTF-16 code units."""
    return _septets if is_gsm7(text) else _utf16_units


def capacity(text: str, segments: int) -> int:
    """Units `segments` segments hold in the encoding `text` would be sent in."""
    single, each = GSM7_CAPACITY if is_gsm7(text) else UCS2_CAPACITY
    return single if segments == 1 else each * segments


def segments(text: str) -> int:
    """Segments the text is billed as (an empty text is not sent: 0)."""
    if not text:
        return 0
    measure = unit_counter(text)
    single, each = GSM7_CAPACITY if measure is _septets else UCS2_CAPACITY
    if measure(text) <= single:
        return 1
    count, used = 1, 0
    for character in text:
        cost = measure(character)
        if used + cost > each:
            count, used = count + 1, 0
        used += cost
    return count


def _septets(text: str) -> int:
    return sum(2 if c in GSM7_EXTENSION else 1 for c in text)


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
