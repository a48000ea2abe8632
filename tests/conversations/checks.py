"""Compare a story's expectations with the replies and the database; each mismatch is
one plain sentence.

At the end of a story the check is strict, so that no wrong order goes unnoticed:
every given order the story does not name must be as it was, an order or a return
the story does not expect must not exist. After a turn only what is named is checked.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.models import Conversation
from handoff.models import Handoff
from orders.models import Location, Order, Product, Return, Stock
from tests.conversations.stories import (
    Fact,
    OrderExpectation,
    ReturnExpectation,
    State,
    StockExpectation,
)
from tests.conversations.world import Snapshot, World, active_items, fulfilment_of

PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")


def open_cart(conversation: Conversation | None) -> dict[str, int]:
    """The conversation's unplaced cart, SKU -> quantity.

    The one place that knows where the dialogue keeps its cart (today in the
    conversation's state, under "cart"): if the engine moves it, change only this.
    """
    state = (conversation.state if conversation else None) or {}
    return {str(sku).upper(): int(q) for sku, q in (state.get("cart") or {}).items() if q}


def describe(order: Order) -> str:
    items = ", ".join(f"{q} x {sku}" for sku, q in active_items(order).items()) or "nothing"
    return f"#{order.number} ({order.status}, {items}, {fulfilment_of(order)})"


def references(session: Session, world: World) -> dict[str, str]:
    """What placeholders in a story stand for: `{A}` the number of given order A,
    `{A.code}` its pickup code, `{A.tracking}` its tracking number, `{new1}` the number
    of the first order placed in the conversation."""
    values: dict[str, str] = {}
    for ref, order_id in world.orders.items():
        order = session.get(Order, order_id)
        assert order is not None
        values[ref] = str(order.number)
        values[f"{ref}.code"] = order.pickup_code
        if order.shipments:
            values[f"{ref}.tracking"] = order.shipments[-1].tracking_number
    for i, order in enumerate(new_orders(session, world), start=1):
        values[f"new{i}"] = str(order.number)
    return values


def expand(text: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise KeyError(f"unknown placeholder {match.group(0)}")
        return values[match.group(1)]

    return PLACEHOLDER.sub(one, text)


def reply_problems(
    replies: list[str], has: tuple[Fact, ...], lacks: tuple[str, ...], values: dict[str, str]
) -> list[str]:
    text = "\n".join(replies).lower()
    problems = [] if replies else ["no reply"]
    for fact in has:
        options = (fact,) if isinstance(fact, str) else fact
        try:
            expanded = [expand(option, values) for option in options]
        except KeyError as exc:  # e.g. {new1} when no order was placed
            problems.append(f"reply cannot have {' or '.join(options)}: {exc.args[0]}")
            continue
        if not any(option.lower() in text for option in expanded):
            problems.append(f"reply lacks {' or '.join(map(repr, expanded))}")
    for word in lacks:
        try:
            word = expand(word, values)
        except KeyError:
            continue  # what does not exist cannot be said
        if word.lower() in text:
            problems.append(f"reply has {word!r}")
    return problems


def new_orders(session: Session, world: World) -> list[Order]:
    return list(
        session.scalars(select(Order).where(Order.id > world.last_order_id).order_by(Order.id))
    )


def state_problems(
    session: Session, world: World, conversation_id: int | None, state: State, *, final: bool
) -> list[str]:
    problems: list[str] = []
    for ref, expected in state.orders.items():
        order = session.get(Order, world.orders[ref])
        assert order is not None
        problems += [f"order {ref} {describe(order)}: {p}" for p in _order(order, expected, world)]
    if final:
        for ref, order_id in world.orders.items():
            order = session.get(Order, order_id)
            assert order is not None
            if ref not in state.orders and Snapshot.of(order) != world.snapshots[ref]:
                problems.append(f"order {ref} changed though nothing was asked: {describe(order)}")
    problems += _new_orders(session, world, state.new_orders, final)
    problems += _returns(session, world, state.returns, final)
    if state.cart is not None:
        cart = open_cart(session.get(Conversation, conversation_id) if conversation_id else None)
        if cart != state.cart:
            problems.append(f"cart is {cart or 'empty'}, expected {state.cart or 'empty'}")
    problems += [p for expected in state.stock for p in _stock(session, expected)]
    if state.handoff is not None:
        handed = session.scalar(
            select(Handoff.id).where(
                Handoff.conversation_id == conversation_id, Handoff.id > world.last_handoff_id
            )
        )
        if bool(handed) != state.handoff:
            problems.append("handed to a person" if handed else "not handed to a person")
    return problems


def _order(order: Order, expected: OrderExpectation, world: World) -> list[str]:
    problems = []
    if expected.status is not None and order.status != expected.status:
        problems.append(f"status is {order.status}, expected {expected.status}")
    if expected.items is not None:
        wanted = {sku: q for sku, q in expected.items.items() if q}
        if active_items(order) != wanted:
            problems.append(f"items are {active_items(order)}, expected {wanted}")
    if expected.pickup is not None and fulfilment_of(order) != f"pickup at {expected.pickup}":
        problems.append(f"{fulfilment_of(order)}, expected pickup at {expected.pickup}")
    if expected.delivery is not None and (order.fulfillment_method == "delivery") != (
        expected.delivery
    ):
        problems.append(f"{fulfilment_of(order)}, expected delivery={expected.delivery}")
    if expected.address_has is not None and expected.address_has.lower() not in (
        order.address.lower()
    ):
        problems.append(
            f"address is {order.address!r}, expected it to have {expected.address_has!r}"
        )
    if expected.total is not None and f"{order.total:.2f}" != expected.total:
        problems.append(f"total is {order.total:.2f}, expected {expected.total}")
    if expected.refunded is not None:
        refunded = -sum((p.amount for p in order.payments if p.kind == "refund"), Decimal("0"))
        if f"{refunded:.2f}" != expected.refunded:
            problems.append(f"refunded {refunded:.2f}, expected {expected.refunded}")
    return problems


def _new_orders(
    session: Session, world: World, expected: tuple[OrderExpectation, ...] | None, final: bool
) -> list[str]:
    placed = new_orders(session, world)
    if expected is None:
        if final and placed:
            return [f"an order nobody asked for was placed: {describe(o)}" for o in placed]
        return []
    if len(placed) != len(expected):
        found = ", ".join(map(describe, placed)) or "none"
        return [f"{len(placed)} new orders ({found}), expected {len(expected)}"]
    return [
        f"new order {i} {describe(order)}: {problem}"
        for i, (order, wanted) in enumerate(zip(placed, expected, strict=True), start=1)
        for problem in _order(order, wanted, world)
    ]


def _describe_return(ret: Return) -> str:
    items = {line.order_line.sku: line.quantity for line in ret.lines}
    return f"R{ret.number} of #{ret.order.number} ({ret.status}, {ret.method}, {items})"


def _returns(
    session: Session, world: World, expected: tuple[ReturnExpectation, ...] | None, final: bool
) -> list[str]:
    made = list(
        session.scalars(select(Return).where(Return.id > world.last_return_id).order_by(Return.id))
    )
    if expected is None:
        if final and made:
            return [f"a return nobody asked for: {_describe_return(r)}" for r in made]
        return []
    if len(made) != len(expected):
        found = ", ".join(map(_describe_return, made)) or "none"
        return [f"{len(made)} new returns ({found}), expected {len(expected)}"]
    problems = []
    for ret, wanted in zip(made, expected, strict=True):
        items = {line.order_line.sku: line.quantity for line in ret.lines}
        mismatches = [
            wanted.order
            and ret.order_id != world.orders[wanted.order]
            and f"not of {wanted.order}",
            wanted.items is not None and items != wanted.items and f"expected {wanted.items}",
            wanted.method and ret.method != wanted.method and f"expected by {wanted.method}",
            wanted.location
            and (ret.location.code if ret.location else None) != wanted.location
            and f"expected at {wanted.location}",
            wanted.status and ret.status != wanted.status and f"expected {wanted.status}",
        ]
        problems += [f"{_describe_return(ret)}: {m}" for m in mismatches if m]
    return problems


def _stock(session: Session, expected: StockExpectation) -> list[str]:
    row = session.scalar(
        select(Stock)
        .join(Product)
        .join(Location)
        .where(Product.sku == expected.sku, Location.code == expected.location)
    )
    on_hand, reserved = (row.on_hand, row.reserved) if row else (0, 0)
    actual = {"on_hand": on_hand, "reserved": reserved, "available": on_hand - reserved}
    return [
        f"stock of {expected.sku} at {expected.location}: {key} {actual[key]}, expected {wanted}"
        for key in ("on_hand", "reserved", "available")
        if (wanted := getattr(expected, key)) is not None and actual[key] != wanted
    ]
