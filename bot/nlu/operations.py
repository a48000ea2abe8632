"""What the customer does with the products they name: add, remove or set a quantity.

Cue words ("add", "take off", "make it", "change ... to") are found in the tokens; each
product takes the nearest cue before it, so "add 2 mugs and remove the kettle" gives
add for the mugs and remove for the kettle. "swap A for B" removes A and adds B; a
product followed by "to <number>" ("change the beans to 2") is a set.
"""

from __future__ import annotations

from collections.abc import Sequence

from .numbers import number_value
from .text import Token

ADD, REMOVE, SET = "add", "remove", "set"

_ONE_WORD = {
    **dict.fromkeys(("add", "adding", "plus", "another", "extra", "also", "include"), ADD),
    **dict.fromkeys(
        ("remove", "removing", "delete", "deleting", "drop", "without", "minus", "cancel"), REMOVE
    ),
    **dict.fromkeys(("swap", "replace", "exchange"), REMOVE),
    **dict.fromkeys(
        ("change", "changing", "set", "update", "only", "increase", "decrease", "reduce"), SET
    ),
}
_TWO_WORDS = {
    ("throw", "in"): ADD,
    ("put", "in"): ADD,
    ("one", "more"): ADD,
    ("take", "off"): REMOVE,
    ("take", "out"): REMOVE,
    ("get", "rid"): REMOVE,
    ("no", "more"): REMOVE,
    ("make", "it"): SET,
    ("make", "that"): SET,
    ("make", "them"): SET,
    ("up", "it"): SET,
}
# After "swap"/"replace", the product after "for"/"with" is the one coming in.
_SWAP_WORDS = frozenset({"swap", "replace", "exchange"})
_INCOMING = frozenset({"for", "with"})
# "take the kettle off", "take both mugs out", "take one tin of tomatoes off": a
# separated particle still removes, a count, a pack word and a two-word name apart.
_TAKE_PARTICLES = frozenset({"off", "out"})
_TAKE_REACH = 7


def cues(tokens: Sequence[Token]) -> list[tuple[int, str]]:
    """(token index, operation) for every cue, in order."""
    found: list[tuple[int, str]] = []
    swapping = False
    for i, tok in enumerate(tokens):
        pair = (tok.text, tokens[i + 1].text) if i + 1 < len(tokens) else None
        if pair in _TWO_WORDS:
            found.append((i, _TWO_WORDS[pair]))
        elif tok.text == "take" and any(
            t.text in _TAKE_PARTICLES for t in tokens[i + 2 : i + _TAKE_REACH]
        ):
            found.append((i, REMOVE))
        elif tok.text in _ONE_WORD:
            found.append((i, _ONE_WORD[tok.text]))
            swapping = tok.text in _SWAP_WORDS
        elif tok.text == "more" and i and number_value(tokens[i - 1].text):
            found.append((i, ADD))  # "2 more mugs"
        elif swapping and tok.text in _INCOMING:
            found.append((i, ADD))
            swapping = False
    return found


def operation_for(
    tokens: Sequence[Token], found: list[tuple[int, str]], start: int, end: int
) -> str | None:
    """The operation of a product mention on tokens [start, end)."""
    after = [t.text for t in tokens[end : end + 2]]
    if len(after) == 2 and after[0] == "to" and number_value(after[1]) is not None:
        return SET
    before = [op for i, op in found if i < start]
    return before[-1] if before else None
