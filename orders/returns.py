"""Returns and refunds: requested -> approved/rejected -> received -> refunded.

Only what was shipped or handed over, and not already on another live return,
can come back, within the return window counted from delivery (or from shipment
when delivery was never confirmed). A refund never exceeds what was paid for the
returned lines.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from infra import clock
from orders import events, inventory, payments
from orders.customers import check_text
from orders.errors import (
    ProductNotFound,
    RefundNotAllowed,
    ReturnNotAllowed,
    ReturnNotFound,
    ValidationFailed,
)
from orders.events import Actor
from orders.models import Location, Order, Return, ReturnLine
from orders.ordering import Items, atomic, check_quantity, normalise_items
from orders.queries import location_ids, parse_order_number
from orders.status import (
    LIVE_RETURN,
    RETURNABLE,
    OrderStatus,
    ReturnStatus,
    check_order_transition,
    check_return_transition,
)

RETURN_NUMBER_OFFSET = 2000
DEFAULT_WINDOW_DAYS = 30
RETURN_METHODS = ("mail", "store")
CONDITIONS = ("resellable", "damaged")


def get_return(session: Session, number: str | int) -> Return:
    text = str(number).strip().upper().lstrip("R")
    ret = (
        session.scalar(select(Return).where(Return.number == int(text)))
        if text.isascii() and text.isdigit() and len(text) <= 9
        else None
    )
    if ret is None:
        raise ReturnNotFound(f"There is no return {str(number).strip()}.")
    return ret


def find_returns(
    session: Session,
    *,
    status: str | None = None,
    customer_id: int | None = None,
    order_number: str | int | None = None,
    location_codes: Collection[str] | None = None,
    limit: int = 200,
) -> list[Return]:
    """Newest first; filters combine with AND (a store finds a return by its customer).

    `location_codes` keeps returns whose order was fulfilled from, or which are
    received at, one of those locations (None: all).
    """
    query = select(Return).join(Order).order_by(Return.id.desc()).limit(limit)
    if location_codes is not None:
        here = location_ids(location_codes)
        query = query.where(or_(Order.location_id.in_(here), Return.location_id.in_(here)))
    if status:
        query = query.where(Return.status == status)
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    if order_number is not None:
        query = query.where(Order.number == parse_order_number(order_number))
    return list(session.scalars(query))


def returnable_quantities(session: Session, order: Order) -> dict[int, int]:
    """Order line id -> units that could still be returned."""
    held = dict(
        session.execute(
            select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
            .join(Return)
            .where(Return.order_id == order.id, Return.status.in_(list(LIVE_RETURN)))
            .group_by(ReturnLine.order_line_id)
        ).all()
    )
    return {line.id: line.quantity_fulfilled - held.get(line.id, 0) for line in order.lines}


def window_closes(order: Order, window_days: int) -> datetime | None:
    started = order.delivered_at or order.fulfilled_at
    if started is None and order.shipments:
        started = max(s.shipped_at for s in order.shipments)
    return None if started is None else started + timedelta(days=window_days)


def check_eligible(order: Order, window_days: int, now: datetime) -> None:
    if order.status not in RETURNABLE:
        raise ReturnNotAllowed(
            f"Order {order.display_number} is {order.status.replace('_', ' ')}; "
            "only items that were shipped or picked up can be returned.",
            status=order.status,
        )
    closes = window_closes(order, window_days)
    if closes is not None and now > closes:
        raise ReturnNotAllowed(
            f"The {window_days}-day return window for order {order.display_number} "
            f"closed on {closes:%b %d}.",
        )


@atomic
def request_return(
    session: Session,
    order: Order,
    items: Items | None,
    *,
    method: str,
    actor: Actor,
    reason: str = "",
    location_code: str | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> Return:
    """Open a return for `items` (SKU -> quantity), or for everything still returnable."""
    check_eligible(order, window_days, clock.now(session))
    if method not in RETURN_METHODS:
        raise ValidationFailed(f"A return goes by mail or to a store, not {method!r}.")
    location: Location | None = None
    if method == "store":
        if not location_code:
            raise ValidationFailed("Which store will you bring it to?")
        location = inventory.get_location(session, location_code)
    returnable = returnable_quantities(session, order)
    by_sku = {line.sku: line for line in order.lines}
    if items is None:
        wanted = {line_id: qty for line_id, qty in returnable.items() if qty > 0}
    else:
        wanted = {}
        for sku, quantity in normalise_items(items).items():
            line = by_sku.get(sku)
            if line is None:
                raise ProductNotFound(f"Order {order.display_number} has no {sku!r}.", sku=sku)
            if check_quantity(quantity) > returnable[line.id]:
                raise ReturnNotAllowed(
                    f"Only {returnable[line.id]} of {line.name} can be returned.",
                    sku=line.sku,
                )
            wanted[line.id] = quantity
    if not wanted:
        raise ReturnNotAllowed(f"Nothing on order {order.display_number} can be returned.")
    ret = Return(
        order_id=order.id,
        status=ReturnStatus.REQUESTED,
        method=method,
        location_id=location.id if location else None,
        reason=check_text(reason, 1000, "reason"),
        lines=[ReturnLine(order_line_id=i, quantity=q) for i, q in wanted.items()],
    )
    session.add(ret)
    session.flush()
    ret.number = RETURN_NUMBER_OFFSET + ret.id
    session.flush()
    events.record(
        session,
        order,
        "return_requested",
        actor,
        return_number=ret.display_number,
        method=method,
        reason=ret.reason,
    )
    return ret


def _decide(session: Session, ret: Return, status: ReturnStatus, actor: Actor, note: str) -> Return:
    verb = "approve" if status == ReturnStatus.APPROVED else "reject"
    check_return_transition(ret.status, status, f"{verb} it")
    ret.status = status
    ret.decided_at = clock.now(session)
    events.record(
        session, ret.order, f"return_{status}", actor, return_number=ret.display_number, note=note
    )
    return ret


@atomic
def approve_return(session: Session, ret: Return, *, actor: Actor) -> Return:
    return _decide(session, ret, ReturnStatus.APPROVED, actor, "")


@atomic
def reject_return(session: Session, ret: Return, *, actor: Actor, reason: str = "") -> Return:
    return _decide(session, ret, ReturnStatus.REJECTED, actor, check_text(reason, 1000, "reason"))


Received = Mapping[str, str | Mapping[str, int]]


def _split_by_condition(ret: Return, line: ReturnLine, spec: object) -> dict[str, int]:
    """Units of one return line per condition: a condition word means all of them."""
    if isinstance(spec, str):
        counts = {spec: line.quantity}
    elif isinstance(spec, Mapping):
        counts = {}
        for condition, quantity in spec.items():
            counts[condition] = check_quantity(quantity, allow_zero=True)
    else:
        raise ValidationFailed("Give a condition, or a count per condition, for each item.")
    for condition in counts:
        if condition not in CONDITIONS:
            raise ValidationFailed(f"Condition must be resellable or damaged, not {condition!r}.")
    if sum(counts.values()) > line.quantity:
        raise ReturnNotAllowed(
            f"Return {ret.display_number} has {line.quantity} of {line.order_line.name}; "
            f"{sum(counts.values())} can't be received against it.",
            sku=line.order_line.sku,
        )
    return {c: q for c, q in counts.items() if q > 0}


def _apply_conditions(ret: Return, conditions: Received) -> None:
    """Set each line's condition; units that did not arrive leave the return (they may be
    returned later), and a line that arrived in two conditions becomes two lines."""
    wanted = normalise_items(conditions)
    unknown = set(wanted) - {line.order_line.sku for line in ret.lines}
    if unknown:
        raise ProductNotFound(f"Return {ret.display_number} has no {', '.join(sorted(unknown))}.")
    for line in list(ret.lines):
        counts = _split_by_condition(ret, line, wanted.get(line.order_line.sku, "resellable"))
        if not counts:
            ret.lines.remove(line)
            continue
        (first, quantity), *others = counts.items()
        line.condition, line.quantity = first, quantity
        for condition, more in others:
            ret.lines.append(
                ReturnLine(order_line_id=line.order_line_id, quantity=more, condition=condition)
            )
    if not ret.lines:
        raise ValidationFailed(f"Nothing of return {ret.display_number} was received.")


@atomic
def receive_return(
    session: Session,
    ret: Return,
    *,
    actor: Actor,
    location_code: str | None = None,
    conditions: Received | None = None,
) -> Return:
    """Take the items in at a location; resellable ones go back on its shelf.

    `conditions` maps SKU to `"resellable"`/`"damaged"` (default resellable), or to
    counts per condition (`{"resellable": 1, "damaged": 1}`) when fewer units arrived
    than were announced or they came back in mixed shape. More than the return names
    is refused.
    """
    check_return_transition(ret.status, ReturnStatus.RECEIVED, "receive it")
    if location_code:
        location = inventory.get_location(session, location_code)
    elif ret.location is not None:
        location = ret.location
    else:
        raise ValidationFailed("Which location received it?")
    _apply_conditions(ret, conditions or {})
    session.flush()
    session.refresh(ret, ["lines"])
    order = ret.order
    for line in ret.lines:
        line.order_line.quantity_returned += line.quantity
        if line.condition == "resellable":
            inventory.move(
                session,
                line.order_line.product_id,
                location.id,
                line.quantity,
                "return",
                actor.label,
                order_id=order.id,
                note=ret.display_number,
            )
    ret.status = ReturnStatus.RECEIVED
    ret.received_at = clock.now(session)
    ret.location = location
    _settle_order_status(order)
    events.record(
        session,
        order,
        "return_received",
        actor,
        return_number=ret.display_number,
        location=location.code,
        conditions={rl.order_line.sku: rl.condition for rl in ret.lines},
        lines=[[rl.order_line.sku, rl.quantity, rl.condition] for rl in ret.lines],
    )
    return ret


def _settle_order_status(order: Order) -> None:
    """Returned or partially returned, once nothing is left to fulfil. While units are
    still open (a partial shipment), the order keeps its fulfilment status so the rest
    can still be shipped or cancelled and its reservation never gets stuck."""
    if any(line.open_quantity for line in order.lines):
        return
    all_back = all(line.quantity_returned == line.active_quantity for line in order.lines)
    new_status = OrderStatus.RETURNED if all_back else OrderStatus.PARTIALLY_RETURNED
    check_order_transition(order.status, new_status, "take the return")
    order.status = new_status


@atomic
def refund_return(
    session: Session, ret: Return, *, actor: Actor, amount: Decimal | None = None
) -> Return:
    """Refund a received return: by default its full value, never more than that."""
    check_return_transition(ret.status, ReturnStatus.REFUNDED, "refund it")
    value = ret.value
    if amount is not None and not Decimal(amount).is_finite():
        raise RefundNotAllowed("A refund must be an amount of money.")
    amount = value if amount is None else Decimal(amount).quantize(Decimal("0.01"))
    if amount <= 0:
        raise RefundNotAllowed("A refund must be more than zero.")
    if amount > value:
        raise RefundNotAllowed(
            f"The most that can be refunded for {ret.display_number} is {value}.",
            maximum=str(value),
        )
    paid = ret.order.amount_paid
    if amount > paid:
        raise RefundNotAllowed(
            f"Only {paid} is still paid on order {ret.order.display_number}.", maximum=str(paid)
        )
    refunded = payments.refund(session, ret.order, amount, f"return {ret.display_number}", ret)
    ret.status = ReturnStatus.REFUNDED
    ret.refunded_at = clock.now(session)
    ret.refund_amount = refunded
    events.record(
        session,
        ret.order,
        "refunded",
        actor,
        return_number=ret.display_number,
        amount=str(refunded),
    )
    return ret


@atomic
def walk_in_return(
    session: Session,
    order: Order,
    items: Items | None,
    *,
    location_code: str,
    actor: Actor,
    reason: str = "",
    conditions: Mapping[str, str] | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> Return:
    """A customer at the counter with no prior request: request, approve, receive at once."""
    ret = request_return(
        session,
        order,
        items,
        method="store",
        actor=actor,
        reason=reason,
        location_code=location_code,
        window_days=window_days,
    )
    approve_return(session, ret, actor=actor)
    return receive_return(session, ret, actor=actor, conditions=conditions)
