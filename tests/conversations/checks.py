"""Compare a story's expectations with the replies and the database; each mismatch is
one plain sentence.

At the end of a story the check is strict, so that no wrong order goes unnoticed:
every given order the story does not name must be as it was, an order or a return
the story does not expect must not exist. After a turn only what is named is checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.models import Conversation
from conversations.staff_models import Handoff
from orders.models import Location, Order, Product, Return, Stock
from tests.conversations.stories import (
    OrderExpectation,
    ReturnExpectation,
    State,
    StockExpectation,
    Turn,
)
from tests.conversations.world import Snapshot, World, active_items, fulfilment_of

Made = TypeVar("Made", Order, Return)
Wanted = TypeVar("Wanted", OrderExpectation, ReturnExpectation)
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
    `{A.code}` its pickup code, `{A.tracking}` its tracking number, `{A.return}` its
    latest return (R2001), `{new1}` the number of the first order placed in the
    conversation."""
    values: dict[str, str] = {}
    for ref, order_id in world.orders.items():
        order = session.get(Order, order_id)
        assert order is not None
        values[ref] = str(order.number)
        values[f"{ref}.code"] = order.pickup_code
        if order.shipments:
            values[f"{ref}.tracking"] = order.shipments[-1].tracking_number
        made = session.scalars(select(Return.number).where(Return.order_id == order_id)).all()
        if made:
            values[f"{ref}.return"] = f"R{max(n for n in made if n)}"
    for i, order in enumerate(new_orders(session, world), start=1):
        values[f"new{i}"] = str(order.number)
    return values


def expand(text: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise KeyError(f"unknown placeholder {match.group(0)}")
        return values[match.group(1)]

    return PLACEHOLDER.sub(one, text)


def reply_problems(replies: list[str], turn: Turn, values: dict[str, str]) -> list[str]:
    """What the turn's reply_has, reply_lacks and reply_max_chars find wrong."""
    text = "\n".join(replies).lower()
    problems = [] if replies else ["no reply"]
    for fact in turn.reply_has:
        options = (fact,) if isinstance(fact, str) else fact
        try:
            expanded = [expand(option, values) for option in options]
        except KeyError as exc:  # e.g. {new1} when no order was placed
            problems.append(f"reply cannot have {' or '.join(options)}: {exc.args[0]}")
            continue
        if not any(option.lower() in text for option in expanded):
            problems.append(f"reply lacks {' or '.join(map(repr, expanded))}")
    for word in turn.reply_lacks:
        try:
            word = expand(word, values)
        except KeyError:
            continue  # what does not exist cannot be said
        if word.lower() in text:
            problems.append(f"reply has {word!r}")
    length = sum(len(reply) for reply in replies)
    if turn.reply_max_chars is not None and length > turn.reply_max_chars:
        problems.append(f"reply is {length} characters, at most {turn.reply_max_chars} wanted")
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


def _made_as_expected(
    made: list[Made],
    expected: tuple[Wanted, ...] | None,
    *,
    final: bool,
    what: str,
    describe_one: Callable[[Made], str],
    mismatches: Callable[[Made, Wanted], list[str]],
) -> list[str]:
    """Orders or returns made during the conversation against the story's list of them:
    none expected at the end when the story lists none."""
    if expected is None:
        return [f"{what} nobody asked for: {describe_one(m)}" for m in made] if final else []
    if len(made) != len(expected):
        found = ", ".join(map(describe_one, made)) or "none"
        return [f"{len(made)} new {what}s ({found}), expected {len(expected)}"]
    return [
        f"new {what} {describe_one(one)}: {problem}"
        for one, wanted in zip(made, expected, strict=True)
        for problem in mismatches(one, wanted)
    ]


def _new_orders(
    session: Session, world: World, expected: tuple[OrderExpectation, ...] | None, final: bool
) -> list[str]:
    return _made_as_expected(
        new_orders(session, world),
        expected,
        final=final,
        what="order",
        describe_one=describe,
        mismatches=lambda order, wanted: _order(order, wanted, world),
    )


def _describe_return(ret: Return) -> str:
    items = {line.order_line.sku: line.quantity for line in ret.lines}
    return f"R{ret.number} of #{ret.order.number} ({ret.status}, {ret.method}, {items})"


def _return(ret: Return, wanted: ReturnExpectation, world: World) -> list[str]:
    items = {line.order_line.sku: line.quantity for line in ret.lines}
    at = ret.location.code if ret.location else None
    problems = []
    if ret.order_id != world.orders[wanted.order]:
        problems.append(f"not of order {wanted.order}")
    if wanted.items is not None and items != wanted.items:
        problems.append(f"expected {wanted.items}")
    if wanted.method is not None and ret.method != wanted.method:
        problems.append(f"expected by {wanted.method}")
    if wanted.location is not None and at != wanted.location:
        problems.append(f"expected at {wanted.location}")
    if wanted.status is not None and ret.status != wanted.status:
        problems.append(f"expected {wanted.status}")
    return problems


def _returns(
    session: Session, world: World, expected: tuple[ReturnExpectation, ...] | None, final: bool
) -> list[str]:
    made = session.scalars(
        select(Return).where(Return.id > world.last_return_id).order_by(Return.id)
    ).all()
    return _made_as_expected(
        list(made),
        expected,
        final=final,
        what="return",
        describe_one=_describe_return,
        mismatches=lambda ret, wanted: _return(ret, wanted, world),
    )


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
