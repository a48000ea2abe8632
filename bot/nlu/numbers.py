"""Number words and quantity expressions."""

from __future__ import annotations

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
    "dozen": 12,
    "pair": 2,
    "couple": 2,
    "single": 1,
}

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
