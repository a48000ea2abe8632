"""Data types shared by the NLU modules and exported to the rest of the app."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ProductEntry:
    """A product as the parser sees it. ``variant_of`` (the base product's name),
    ``size``, ``colour`` and ``unit`` ("box of 100") come from the catalog's optional
    columns; when empty they are inferred from the name ("Sweater - Grey / L")."""

    sku: str
    name: str
    aliases: tuple[str, ...] = ()
    category: str | None = None
    variant_of: str = ""
    size: str = ""
    colour: str = ""
    unit: str = ""


@dataclass(frozen=True)
class LocationEntry:
    code: str
    name: str
    address: str = ""


@dataclass
class Entity:
    """One extracted value; ``start``/``end`` are character offsets into the original text.

    ``candidates`` lists other close SKUs when a product mention is ambiguous, so the
    bot can ask "did you mean A or B?". ``refers_to`` is set on quantities that belong
    to a product mention (the SKU of that product). On quantities only: ``unit`` is the
    pack or measure word that qualified it ("3 packs of ..." -> "pack"), and ``part_of``
    the whole it was said to be a part of ("one of the three" -> 3), so that a return or
    a cancel takes only that many.

    On products only: ``exact`` is True when the mention spells out a name or alias word
    for word (plurals allowed), False when it was matched fuzzily or picked from the
    offered choices; ``operation`` is what the customer does with it, "add", "remove" or
    "set" (the quantity), from the nearest cue word before it, None when there is none;
    ``spelt`` is True when every word was said as written (of a name, an alias or the
    family's name: "merino sweater"), False when one was matched fuzzily ("early" for
    Earl Grey).
    """

    type: str
    value: str | int
    start: int
    end: int
    text: str
    candidates: list[str] = field(default_factory=list)
    refers_to: str | None = None
    exact: bool | None = None
    operation: str | None = None
    unit: str | None = None
    part_of: int | None = None
    spelt: bool = False

    def to_json(self) -> dict:
        out: dict = {
            "type": self.type,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }
        if self.candidates:
            out["candidates"] = list(self.candidates)
        if self.refers_to is not None:
            out["refers_to"] = self.refers_to
        if self.exact is not None:
            out["exact"] = self.exact
        if self.operation is not None:
            out["operation"] = self.operation
        if self.unit is not None:
            out["unit"] = self.unit
        if self.part_of is not None:
            out["part_of"] = self.part_of
        return out


@dataclass
class ParseContext:
    """What the bot just asked, so short answers can be read in context.

    ``expecting`` is one of "confirm", "product", "quantity", "order_number",
    "return_number", "address", "location", "fulfillment", "choice", "email",
    "reason" or None. ``choices`` are the SKUs the bot just offered ("Which one: white,
    black or blue?"), so that "the blue one" or "the 1kg one" can name a product.
    """

    expecting: str | None = None
    choices: list[str] = field(default_factory=list)


@dataclass
class ParseResult:
    """``operation`` is the message's first add/remove/set cue ("make it 3" -> "set"),
    given only when it mentions a product or a quantity; None otherwise. ``norm`` is the
    text as the keyword rules read it (``intents.normalise``, the catalog's words kept).
    ``clauses`` holds the message's requests, each parsed, when it has more than one
    (``parser.parse``); then ``intent`` is the main one's."""

    text: str
    intent: str
    confidence: float
    entities: list[Entity]
    operation: str | None = None
    norm: str = ""
    clauses: list[ParseResult] = field(default_factory=list)

    def to_json(self) -> dict:
        out: dict = {
            "text": self.text,
            "intent": self.intent,
            "confidence": round(self.confidence, 3),
            "entities": [e.to_json() for e in self.entities],
        }
        if self.operation is not None:
            out["operation"] = self.operation
        return out
