"""What a change touches: the operation on each product a message names.

The parser gives each product the nearest add/remove/set cue before it; a "keep" said
between two products ("drop the scarf but keep the gloves") protects the second one,
so a partial change never grows into a whole-order one.
"""

from __future__ import annotations

import re

from bot.nlu import Entity

KEEP = "keep"
REMOVE = "remove"
# "one less", "2 fewer": units taken off, said after the product or with none named.
FEWER = re.compile(r"\b(?:less|fewer)\b(?! than)", re.I)
_FEWER_BEFORE = re.compile(r"\b(?:less|fewer)\W+(?:\w+\W+){0,3}$", re.I)
_FEWER_AFTER = re.compile(r"^\W*(?:\w+\W+){0,2}?(?:less|fewer)\b(?! than)", re.I)
_KEEP_WORDS = re.compile(
    r"\b(?:keep|keeping|leave|leaving|except|apart from|but not|not the|hold on to|save|"
    r"still (?:want|need|like)|want to keep)\b",
    re.I,
)


# Only these between two products: the second shares the first one's operation.
_JOINED = re.compile(r"^[\s,&]*(?:(?:and|plus|also|or|the|a|an|my|both)[\s,&]+)*$", re.I)


def operation(text: str, entities: list[Entity], entity: Entity) -> str | None:
    """add, remove, set, keep, or None when the message says nothing about this product.

    "keep the kettle and the dripper": the dripper is kept too, like the kettle.
    """
    if _FEWER_AFTER.match(text[entity.end : _next_product_start(text, entities, entity)]):
        return REMOVE  # "one padlock less", "2 boxes fewer"
    before = [e for e in entities if e.type == "product" and e.end <= entity.start]
    previous = max(before, key=lambda e: e.end, default=None)
    between = text[previous.end if previous else 0 : entity.start]
    if _KEEP_WORDS.search(between):
        return KEEP
    if _FEWER_BEFORE.search(between):
        return REMOVE  # "one fewer pair of socks"
    if previous is not None and _JOINED.match(between):
        return operation(text, entities, previous)
    return entity.operation


def _next_product_start(text: str, entities: list[Entity], entity: Entity) -> int:
    after = [e.start for e in entities if e.type == "product" and e.start >= entity.end]
    return min(after, default=len(text))
