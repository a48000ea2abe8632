"""Conversation stories: YAML files read into checked, typed objects.

A story is one file, `<split>/<catalog>/<name>.yaml`; the format is described in
`tests/conversations/README.md`. Which split a story belongs to (tune or holdout) is
decided by a hash of its name, never by whether it passes, and the loader refuses a
story kept in the other split's folder.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

HERE = Path(__file__).parent
SPLITS = ("tune", "holdout")
CATALOGS = ("demo", "apparel", "hardware", "grocery")
CHANNELS = ("sms", "console", "telegram", "email", "web")
ORDER_STATES = (
    "placed",
    "processing",
    "ready_for_pickup",
    "picked_up",
    "shipped",
    "delivered",
    "cancelled",
)
RETURN_STATES = ("requested", "approved", "received", "refunded")
HOLDOUT_PERCENT = 30
NEW_CUSTOMER = "new"

T = TypeVar("T")
# A fact a reply must contain: one text, or any one of several.
Fact = str | tuple[str, ...]


class StoryError(Exception):
    """A story file that does not follow the format; names the file and the problem."""


def split_of(name: str) -> str:
    """`holdout` for about HOLDOUT_PERCENT of names, fixed by the name alone."""
    bucket = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % 100
    return "holdout" if bucket < HOLDOUT_PERCENT else "tune"


@dataclass(frozen=True)
class GivenReturn:
    items: dict[str, int] | None
    method: str = "mail"
    location: str | None = None
    status: str = "requested"
    reason: str = ""


@dataclass(frozen=True)
class GivenOrder:
    ref: str
    items: dict[str, int]
    pickup: str | None = None
    address: str | None = None
    status: str = "placed"
    days_ago: float = 0
    carrier: str = "UPS"
    tracking: str = ""
    returns: tuple[GivenReturn, ...] = ()


@dataclass(frozen=True)
class GivenCustomer:
    name: str
    address: str = ""
    identities: dict[str, str] = field(default_factory=dict)
    orders: tuple[GivenOrder, ...] = ()


@dataclass(frozen=True)
class GivenStock:
    sku: str
    location: str
    on_hand: int


@dataclass(frozen=True)
class Given:
    customers: tuple[GivenCustomer, ...] = ()
    stock: tuple[GivenStock, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderExpectation:
    status: str | None = None
    items: dict[str, int] | None = None
    pickup: str | None = None
    delivery: bool | None = None
    address_has: str | None = None
    total: str | None = None
    refunded: str | None = None


@dataclass(frozen=True)
class ReturnExpectation:
    order: str
    items: dict[str, int] | None = None
    method: str | None = None
    location: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class StockExpectation:
    sku: str
    location: str
    on_hand: int | None = None
    reserved: int | None = None
    available: int | None = None


@dataclass(frozen=True)
class State:
    """What the world must look like. None means "not checked" for that part; at the end
    of a story, orders and returns not named must be as they were (see checks.py)."""

    orders: dict[str, OrderExpectation] = field(default_factory=dict)
    new_orders: tuple[OrderExpectation, ...] | None = None
    returns: tuple[ReturnExpectation, ...] | None = None
    cart: dict[str, int] | None = None
    stock: tuple[StockExpectation, ...] = ()
    handoff: bool | None = None


@dataclass(frozen=True)
class Turn:
    say: str
    reply_has: tuple[Fact, ...] = ()
    reply_lacks: tuple[str, ...] = ()
    reply_max_chars: int | None = None
    state: State | None = None


@dataclass(frozen=True)
class Story:
    name: str
    path: Path
    split: str
    catalog: str
    channel: str
    about: str
    tags: tuple[str, ...]
    given: Given
    speaker: str
    turns: tuple[Turn, ...]
    state: State

    def given_refs(self) -> set[str]:
        return {order.ref for customer in self.given.customers for order in customer.orders}


# --- reading ----------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads yes, no, on and off as booleans; a customer's "yes" is text, so
    only true and false are booleans here."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|false|False)$"), list("tTfF")
)


class _Reader:
    """Pulls typed values out of a parsed YAML mapping, naming the path on any mistake."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise StoryError(f"{where}: expected a mapping, got {type(data).__name__}")
        self.data = data
        self.where = where
        self.used: set[str] = set()

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        self.used.add(key)
        if key not in self.data or self.data[key] is None:
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
            raise StoryError(f"{self.where}.{key}: {value!r} is not {_kind_name(kind)}")
        return value

    def require(self, key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in self.data:
            raise StoryError(f"{self.where}: {key} is required")
        return self.get(key, kind)

    def choice(self, key: str, allowed: tuple[str, ...], default: str | None = None) -> Any:
        value = self.get(key, str, default)
        if value is not None and value not in allowed:
            raise StoryError(f"{self.where}.{key}: {value!r} is not one of {', '.join(allowed)}")
        return value

    def at(self, key: str) -> str:
        return f"{self.where}.{key}"

    def each(self, key: str, read: Callable[[object, str], T]) -> tuple[T, ...]:
        """A list under `key`, each entry read by `read(entry, where)`."""
        return tuple(
            read(item, f"{self.at(key)}[{i}]") for i, item in enumerate(self.get(key, list, []))
        )

    def sku_at(self) -> tuple[str, str]:
        """The `sku` and `at` (location code) every stock entry names."""
        return self.require("sku", str).upper(), self.require("at", str).upper()

    def done(self) -> None:
        unknown = set(self.data) - self.used
        if unknown:
            raise StoryError(f"{self.where}: unknown keys {', '.join(sorted(map(str, unknown)))}")


def _read(data: object, where: str, build: Callable[[_Reader], T]) -> T:
    """`build` the value from a mapping; any key it did not read is a mistake."""
    reader = _Reader(data, where)
    value = build(reader)
    reader.done()
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _items(value: object, where: str) -> dict[str, int]:
    if not isinstance(value, dict) or not value:
        raise StoryError(f"{where}: expected SKU: quantity pairs")
    items: dict[str, int] = {}
    for sku, quantity in value.items():
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise StoryError(f"{where}.{sku}: quantity {quantity!r} is not a whole number")
        items[str(sku).upper()] = quantity
    return items


def _optional_items(reader: _Reader, key: str) -> dict[str, int] | None:
    value = reader.get(key, dict)
    return None if value is None else _items(value, reader.at(key))


def _texts(value: object, where: str) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
        raise StoryError(f"{where}: expected text (quote anything starting with {{ or [)")
    return tuple(str(v) for v in values)


def _facts(value: object, where: str) -> tuple[Fact, ...]:
    if value is None:
        return ()
    facts: list[Fact] = []
    for i, fact in enumerate(value if isinstance(value, list) else [value]):
        alternatives = _texts(fact, f"{where}[{i}]")
        facts.append(alternatives[0] if len(alternatives) == 1 else alternatives)
    return tuple(facts)


def _given_return(data: object, where: str) -> GivenReturn:
    return _read(
        data,
        where,
        lambda r: GivenReturn(
            items=_optional_items(r, "items"),
            method=r.choice("method", ("mail", "store"), "mail"),
            location=r.get("location", str),
            status=r.choice("status", RETURN_STATES, "requested"),
            reason=r.get("reason", str, ""),
        ),
    )


def _given_order(data: object, where: str) -> GivenOrder:
    order = _read(
        data,
        where,
        lambda r: GivenOrder(
            ref=r.require("ref", str),
            items=_items(r.require("items", dict), r.at("items")),
            pickup=r.get("pickup", str),
            address=r.get("address", str),
            status=r.choice("status", ORDER_STATES, "placed"),
            days_ago=r.get("days_ago", (int, float), 0),
            carrier=r.get("carrier", str, "UPS"),
            tracking=str(r.get("tracking", (str, int), "")),
            returns=r.each("returns", _given_return),
        ),
    )
    pickup_states = ("ready_for_pickup", "picked_up")
    if order.status in pickup_states and not order.pickup:
        raise StoryError(f"{where}: an order {order.status} needs pickup: STORE")
    if order.pickup and order.status in ("shipped", "delivered"):
        raise StoryError(f"{where}: a pickup order cannot be {order.status}")
    return order


def _given_customer(data: object, where: str) -> GivenCustomer:
    def build(r: _Reader) -> GivenCustomer:
        identities = {
            kind: str(value)
            for kind in ("phone", "email", "telegram")
            if (value := r.get(kind, (str, int))) is not None
        }
        return GivenCustomer(
            name=r.require("name", str),
            address=r.get("address", str, ""),
            identities=identities,
            orders=r.each("orders", _given_order),
        )

    return _read(data, where, build)


def _given_stock(data: object, where: str) -> GivenStock:
    return _read(data, where, lambda r: GivenStock(*r.sku_at(), on_hand=r.require("on_hand", int)))


def _given(data: object, where: str) -> Given:
    return _read(
        data or {},
        where,
        lambda r: Given(
            customers=r.each("customers", _given_customer),
            stock=r.each("stock", _given_stock),
            settings=r.get("settings", dict, {}),
        ),
    )


def _order_expectation(data: object, where: str) -> OrderExpectation:
    return _read(
        data,
        where,
        lambda r: OrderExpectation(
            status=r.choice("status", (*ORDER_STATES, "partially_returned", "returned")),
            items=_optional_items(r, "items"),
            pickup=r.get("pickup", str),
            delivery=r.get("delivery", bool),
            address_has=r.get("address_has", str),
            total=_money(r.get("total", (str, int, float)), r.at("total")),
            refunded=_money(r.get("refunded", (str, int, float)), r.at("refunded")),
        ),
    )


def _money(value: object, where: str) -> str | None:
    if value is None:
        return None
    try:
        return f"{float(str(value)):.2f}"
    except ValueError as exc:
        raise StoryError(f"{where}: {value!r} is not an amount") from exc


def _return_expectation(data: object, where: str) -> ReturnExpectation:
    return _read(
        data,
        where,
        lambda r: ReturnExpectation(
            order=r.require("order", str),
            items=_optional_items(r, "items"),
            method=r.choice("method", ("mail", "store")),
            location=r.get("location", str),
            status=r.choice("status", RETURN_STATES),
        ),
    )


def _stock_expectation(data: object, where: str) -> StockExpectation:
    return _read(
        data,
        where,
        lambda r: StockExpectation(
            *r.sku_at(),
            on_hand=r.get("on_hand", int),
            reserved=r.get("reserved", int),
            available=r.get("available", int),
        ),
    )


def _state(data: object, where: str, refs: set[str]) -> State:
    r = _Reader(data, where)
    orders_data = r.get("orders", dict, {})
    orders: dict[str, OrderExpectation] = {}
    new_orders = None
    for ref, spec in orders_data.items():
        if ref == "new":
            if not isinstance(spec, list):
                raise StoryError(f"{r.at('orders')}.new: expected a list of orders")
            new_orders = tuple(
                _order_expectation(item, f"{r.at('orders')}.new[{i}]")
                for i, item in enumerate(spec)
            )
        elif ref in refs:
            orders[ref] = _order_expectation(spec, f"{r.at('orders')}.{ref}")
        else:
            raise StoryError(f"{r.at('orders')}: no given order has ref {ref!r}")
    returns = r.get("returns", list)
    cart = r.get("cart", dict)
    state = State(
        orders=orders,
        new_orders=new_orders,
        returns=None
        if returns is None
        else tuple(
            _return_expectation(item, f"{r.at('returns')}[{i}]") for i, item in enumerate(returns)
        ),
        cart=None if cart is None else (_items(cart, r.at("cart")) if cart else {}),
        stock=r.each("stock", _stock_expectation),
        handoff=r.get("handoff", bool),
    )
    r.done()
    for ret in state.returns or ():
        if ret.order not in refs:
            raise StoryError(f"{r.at('returns')}: no given order has ref {ret.order!r}")
    return state


def _turn(data: object, where: str, refs: set[str]) -> Turn:
    if isinstance(data, str):
        return Turn(say=data)
    r = _Reader(data, where)
    state = r.get("state", dict)
    turn = Turn(
        say=str(r.require("say", (str, int))),
        reply_has=_facts(r.get("reply_has", (list, str)), r.at("reply_has")),
        reply_lacks=_texts(r.get("reply_lacks", (list, str), []), r.at("reply_lacks")),
        reply_max_chars=r.get("reply_max_chars", int),
        state=None if state is None else _state(state, r.at("state"), refs),
    )
    r.done()
    return turn


def load_story(path: Path) -> Story:
    """Read and check one story file; raises StoryError naming what is wrong."""
    where = str(path.relative_to(HERE) if path.is_relative_to(HERE) else path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise StoryError(f"{where}: not YAML: {exc}") from exc
    r = _Reader(data, where)
    name = path.stem
    split, catalog = path.parent.parent.name, path.parent.name
    if split != split_of(name):
        raise StoryError(f"{where}: by the split rule this story belongs in {split_of(name)}/")
    if r.choice("catalog", CATALOGS) != catalog:
        raise StoryError(f"{where}: catalog must be {catalog!r}, the folder it is in")
    given = _given(r.get("given", dict, {}), r.at("given"))
    refs = {order.ref for customer in given.customers for order in customer.orders}
    names = [customer.name for customer in given.customers]
    speaker = r.get("as", str, names[0] if names else NEW_CUSTOMER)
    if speaker != NEW_CUSTOMER and speaker not in names:
        raise StoryError(f"{r.at('as')}: {speaker!r} is not a given customer (or 'new')")
    turns = r.require("turns", list)
    if not turns:
        raise StoryError(f"{where}: a story needs at least one turn")
    story = Story(
        name=name,
        path=path,
        split=split,
        catalog=catalog,
        channel=r.choice("channel", CHANNELS, "sms"),
        about=r.get("about", str, ""),
        tags=_texts(r.get("tags", list, []), r.at("tags")),
        given=given,
        speaker=speaker,
        turns=tuple(_turn(t, f"{r.at('turns')}[{i}]", refs) for i, t in enumerate(turns)),
        state=_state(r.get("state", dict, {}), r.at("state"), refs),
    )
    r.done()
    return story


def story_paths(splits: tuple[str, ...] = SPLITS) -> list[Path]:
    return sorted(path for split in splits for path in (HERE / split).glob("*/*.yaml"))


def load_all(splits: tuple[str, ...] = SPLITS) -> list[Story]:
    stories = [load_story(path) for path in story_paths(splits)]
    seen: dict[str, Path] = {}
    for story in stories:
        if story.name in seen:
            raise StoryError(f"{story.path}: name {story.name} is used by {seen[story.name]} too")
        seen[story.name] = story.path
    return stories


KNOWN_FAILURES = HERE / "known_failures.txt"


def known_failures() -> set[str]:
    """Names of stories expected to fail against today's bot (one a line, # comments)."""
    if not KNOWN_FAILURES.exists():
        return set()
    lines = KNOWN_FAILURES.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def write_known_failures(names: list[str]) -> None:
    header = (
        "# Stories expected to fail against today's bot: pytest marks them xfail(strict=True).\n"
        "# Regenerate with: python bench/conversations.py --write-known-failures\n"
    )
    KNOWN_FAILURES.write_text(header + "".join(f"{n}\n" for n in sorted(names)), encoding="utf-8")
