"""Where a message holds a second request: "cancel the kettle and what time do you close
today", "where's my jacket? also I want 2 pairs of socks".

A split point is a sentence end, or "and" / "also" / "plus" / "then" before a question
word or a request verb. A list of products ("2 mugs and a kettle", "2 padlocks plus a
tape measure") never splits. Whether the pieces really are separate requests is decided
by the parser, which reads each piece (``parser.parse``).
"""

from __future__ import annotations

import re

_SPLIT = re.compile(
    r"(?:[.?!;]+\s+|\s+(?:and|also|plus|then|&)\s+(?:also\s+|then\s+)?)"
    r"(?=(?:what|when|where|how|which|who|why|do|does|did|is|are|can|could|will|would|"
    r"cancel|track|return|send|change|ship|deliver|tell|give|show|i want|i need|i d like|"
    r"please|pls|also)\b)",
    re.I,
)
MAX_CLAUSES = 3
# Intents that, beside a request, are manners: the request is what the message asks.
MANNERS = frozenset({"greet", "thanks"})
# A courtesy before the request, set off by a comma: "thanks, what time does bridge road
# close?" (read whole, the thanks outweighed the question).
_OPENER = re.compile(
    r"^(?:thanks|thank you|thx|cheers|hi|hello|hey|great|cool|perfect|lovely)\s*,\s+(?=\S)",
    re.I,
)


def pieces(text: str) -> list[str]:
    """The message cut where a second request may start; [] when it has no such place
    (or more than MAX_CLAUSES pieces, which is a long email rather than a list)."""
    opener = _OPENER.match(text)
    head = [text[: opener.end()].strip(" ,")] if opener else []
    rest = text[opener.end() :] if opener else text
    found = head + [p.strip(" ,") for p in _SPLIT.split(rest) if p and p.strip(" ,")]
    return found if 2 <= len(found) <= MAX_CLAUSES else []
