"""Number words, and the pack and measure words that qualify a quantity."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .text import Token, wordset

_MEASURE_RE = re.compile(r"^\d+(?:\.\d+)?(?:kg|g|ml|l|oz|lb|cm|mm|m)$")

NUMBER_WORDS: dict[str, int] = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
    "couple": 2,
    "both": 2,
    "single": 1,
}

TENS = wordset("twenty thirty forty fifty sixty seventy eighty ninety")

# Containers a quantity is counted in ("3 packs of the Sumatra", "a 40 L bag of compost").
# They are a product only when they are part of its name as said ("a gift pack").
PACK_WORDS = wordset(
    "bag pack packet box bottle tin can jar roll case carton sack tub tube pouch crate "
    "bundle sachet bucket pot tray punnet pair"
)

# Largest number read as a quantity; bigger bare numbers are order numbers or noise.
MAX_QUANTITY = 999


def number_value(token: str) -> int | None:
    """Value of a digit string, a number word, "2x" or "x2"; None otherwise."""
    if token.isascii() and token.isdigit():
        return int(token) if 0 < int(token) <= MAX_QUANTITY and len(token) <= 3 else None
    if token in NUMBER_WORDS:
        return NUMBER_WORDS[token]
    if len(token) >= 2 and token[0] == "x" and token[1:].isdigit():
        return number_value(token[1:])
    if len(token) >= 2 and token[-1] == "x" and token[:-1].isdigit():
        return number_value(token[:-1])
    return None


def pack_word(token: str) -> str | None:
    """The pack word a token names, singular ("boxes" -> "box"); None for other words."""
    for word in (token, token[:-1], token[:-2]):
        if word in PACK_WORDS:
            return word
    return None


def is_measure(token: str) -> bool:
    """A measure token as the tokenizer writes it: "250g", "2.5l", "5m"."""
    return bool(_MEASURE_RE.match(token))


def multipack_count(tokens: Sequence[Token], i: int) -> bool:
    """Whether the number at ``i`` is the count of a multipack's make-up: "6 x 330ml"."""
    return (
        i + 2 < len(tokens)
        and tokens[i].text.isdigit()
        and tokens[i + 1].text == "x"
        and is_measure(tokens[i + 2].text)
    )
