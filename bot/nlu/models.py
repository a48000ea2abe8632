"""Data types shared by the NLU modules and exported to the rest of the app."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProductEntry:
    sku: str
    name: str
    aliases: tuple[str, ...] = ()
    category: str | None = None


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
    to a product mention (the SKU of that product).
    """

    type: str
    value: str | int
    start: int
    end: int
    text: str
    candidates: list[str] = field(default_factory=list)
    refers_to: str | None = None

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
        return out


@dataclass
class ParseContext:
    """What the bot just asked, so short answers can be read in context.

    ``expecting`` is one of "confirm", "product", "quantity", "order_number",
    "return_number", "address", "location", "fulfillment", "choice", "email",
    "reason" or None.
    """

    expecting: str | None = None


@dataclass
class ParseResult:
    text: str
    intent: str
    confidence: float
    entities: list[Entity]

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "intent": self.intent,
            "confidence": round(self.confidence, 3),
            "entities": [e.to_json() for e in self.entities],
        }
