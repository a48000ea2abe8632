"""Small readers shared by the flows: which products a message names, and how many."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from bot.describe import products_by_sku
from bot.dialogue import scope, variants
from bot.turn import Turn
from orders.models import Product

# How the customer changes a quantity; the NLU gives products and numbers, not the verb.
REMOVE = re.compile(
    r"\b(?:remove|delete|drop|take (?:off|out)|without|no more|minus|never ?mind|nvm|"
    r"forget(?: about)?|skip|scratch)\b",
    re.I,
)
ADD = re.compile(r"\b(?:add|another|more|extra|also|plus)\b", re.I)
PICKUP = re.compile(r"\b(?:pick ?up|pick (?:\w+ ){1,2}up|collect|collection|in store)\b", re.I)
# "the other store", "a different shop": the store that is not the one chosen now.
OTHER_STORE = re.compile(
    r"\b(?:the )?other (?:one|store|shop|location|branch)\b|\bthe other\b|"
    r"\b(?:another|a different) (?:store|shop|location|branch)\b",
    re.I,
)
DELIVERY = re.compile(r"\b(?:deliver|delivery|delivered|ship|shipping|send it|post)\b", re.I)


def _norm(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words)


@dataclass
class Mention:
    sku: str
    quantity: int | None
    options: list[str]  # other close products when the mention is ambiguous
    # add, remove, set or keep (see bot.dialogue.scope); None when the message has no cue
    operation: str | None = None
    start: int = 0  # where the mention begins in the message

    def to_json(self) -> dict:
        return {"sku": self.sku, "quantity": self.quantity, "operation": self.operation}

    def removes(self, turn: Turn) -> bool:
        if self.operation is None:
            return wants_removal(turn)
        return self.operation == "remove"

    def adds(self, turn: Turn) -> bool:
        if self.operation is None:
            return wants_more(turn)
        return self.operation == "add"


def product_mentions(turn: Turn, among: Collection[str] | None = None) -> list[Mention]:
    """Products the message names, with their quantities.

    A mention that spells out a product's name or alias is taken as it is; a fuzzy one
    with close alternatives carries them so the flow can ask "did you mean A or B?".
    With `among` (the SKUs on an order, say) only those count: "the mug" on an order
    that has one mug is that mug, whichever colour the catalog would have guessed.
    """
    products = turn.entities("product")
    quantities = {e.refers_to: e.value for e in turn.entities("quantity") if e.refers_to}
    mentions = []
    for entity in products:
        skus = [str(entity.value), *(c for c in entity.candidates if c != entity.value)]
        if among is not None:
            skus = [sku for sku in skus if sku in among]
        known = products_by_sku(turn.session, skus)
        skus = [sku for sku in skus if sku in known]
        if not skus:
            continue
        product = known[skus[0]]
        said = _norm(entity.text)
        exact = said in {_norm(product.name), *(_norm(a) for a in product.alias_list)}
        quantity = quantities.get(str(entity.value))
        options = [] if exact else _as_close(said, product, [known[s] for s in skus[1:]])
        if options and (
            fit := variants.said_fits(turn.catalog, turn.parsed, [*skus[:1], *options])
        ):
            product, options = known[fit], []  # the size said after the list is theirs too
        op = scope.operation(turn.text, turn.parsed.entities, entity)
        amount = int(quantity) if quantity else None
        mentions.append(Mention(product.sku, amount, options, op, entity.start))
    return mentions


def _as_close(said: str, chosen: Product, others: list[Product]) -> list[str]:
    """The alternatives that match the words said as well as the product chosen does:
    "200 wood screws" leaves out the box of 100, "100 screws" keeps both boxes of 100."""
    words = set(said.split())

    def matched(product: Product) -> int:
        names = " ".join([product.name, *product.alias_list])
        return len(words & set(_norm(names).split()))

    best = matched(chosen)
    return [p.sku for p in others if matched(p) >= best]


def mentions_on(turn: Turn, skus: Collection[str], *, adds: bool = True) -> list[Mention]:
    """Products named against lines that exist (an order's, a cart's): a mention that is
    not an addition and could be one of those lines is that line, with no question.

    "the jacket" on an order with one jacket is that jacket, whichever jacket the
    catalog would have guessed: the line whose name has every word the customer used.
    `adds=False` where nothing can be added (a return): every mention is an existing line.
    """
    among = {m.start: m for m in product_mentions(turn, among=skus)}
    names = {p.sku: _norm(p.name) for p in products_by_sku(turn.session, list(skus)).values()}
    found = []
    for m in product_mentions(turn):
        existing = m.operation != "add" or not adds
        if existing and m.start not in among:
            said = _said_words(turn, m.start)
            fits = [s for s, name in names.items() if said and said <= set(name.split())]
            if len(fits) == 1:
                m = Mention(fits[0], m.quantity, [], m.operation, m.start)
        found.append(among[m.start] if m.start in among and existing else m)
    return found


def loosely_named(turn: Turn) -> set[str]:
    """Every catalog SKU whose name has all the words of a product the message names:
    "the scarf" is any scarf, whichever one the matcher put first."""
    said = [_said_words(turn, e.start) for e in turn.entities("product")]
    said = [words for words in said if words]
    if not said:
        return set()
    # A name with all the words has the longest of them in it: only those are read.
    return {
        sku
        for words in said
        for sku, name in turn.catalog.products.named_containing(max(words, key=len))
        if words <= set(_norm(name).split())
    }


_FILLER = frozenset({"the", "a", "an", "my", "of", "one", "that", "this", "those", "these"})


def _said_words(turn: Turn, start: int) -> set[str]:
    entity = next((e for e in turn.entities("product") if e.start == start), None)
    return set(_norm(entity.text).split()) - _FILLER if entity else set()


def bare_quantity(turn: Turn) -> int | None:
    """A number that belongs to no product ("make it 3")."""
    loose = [e.value for e in turn.entities("quantity") if not e.refers_to]
    return int(loose[0]) if loose else None


def wants_removal(turn: Turn) -> bool:
    return bool(REMOVE.search(turn.text))


def wants_more(turn: Turn) -> bool:
    return bool(ADD.search(turn.text))


def chosen_index(turn: Turn, count: int) -> int | None:
    """ "2" or "the second one" as a 0-based index into a list of `count` options."""
    ordinals = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": count}
    text = turn.text.lower()
    for word, n in ordinals.items():
        if re.search(rf"\b{word}\b", text):
            return n - 1 if 1 <= n <= count else None
    digits = re.fullmatch(r"\s*#?(\d{1,2})\s*[.)]?\s*", turn.text)
    if digits and 1 <= int(digits.group(1)) <= count:
        return int(digits.group(1)) - 1
    return None
