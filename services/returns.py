"""Returns: request, approve, reject, receive (by mail or at a store's counter), refund,
and a walk-in return taken at the counter in one step."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy.orm import Session

from orders import queries, returns
from orders.events import Actor
from orders.models import Return
from orders.ordering import Items
from services.orders import find_order
from services.scope import Scope
from services.uow import UnitOfWork


def find_return(
    session: Session, scope: Scope, number: str | int, *, counter: str | None = None
) -> Return:
    """A return the scope may handle; `counter`: the store whose counter it reached."""
    ret = returns.get_return(session, number)
    scope.check_return(session, ret, counter=counter, named=number)
    return ret


def request_return(
    uow: UnitOfWork,
    actor: Actor,
    scope: Scope,
    number: str | int,
    items: Items | None,
    *,
    method: str,
    window_days: int,
    location: str | None = None,
    reason: str = "",
) -> Return:
    """A return of `items` (or of everything still returnable) of order `number`."""
    with uow.atomic() as session:
        order = find_order(session, scope, number)
        return returns.request_return(
            session,
            order,
            items,
            method=method,
            actor=actor,
            reason=reason,
            location_code=location,
            window_days=window_days,
        )


def approve_return(uow: UnitOfWork, actor: Actor, scope: Scope, number: str | int) -> Return:
    with uow.atomic() as session:
        return returns.approve_return(session, find_return(session, scope, number), actor=actor)


def reject_return(
    uow: UnitOfWork, actor: Actor, scope: Scope, number: str | int, *, reason: str = ""
) -> Return:
    with uow.atomic() as session:
        ret = find_return(session, scope, number)
        return returns.reject_return(session, ret, actor=actor, reason=reason)


def receive_return(
    uow: UnitOfWork,
    actor: Actor,
    scope: Scope,
    number: str | int,
    *,
    location: str | None = None,
    conditions: returns.Received | None = None,
) -> Return:
    """Take the items in at `location` (default: the store it is bound for)."""
    with uow.atomic() as session:
        ret = find_return(session, scope, number, counter=location)
        return returns.receive_return(
            session, ret, actor=actor, location_code=location, conditions=conditions
        )


def refund_return(
    uow: UnitOfWork,
    actor: Actor,
    scope: Scope,
    number: str | int,
    *,
    amount: Decimal | None = None,
) -> Return:
    with uow.atomic() as session:
        ret = find_return(session, scope, number)
        return returns.refund_return(session, ret, actor=actor, amount=amount)


def walk_in_return(
    uow: UnitOfWork,
    actor: Actor,
    scope: Scope,
    order_number: str | int,
    items: Items | None,
    *,
    location: str,
    window_days: int,
    reason: str = "",
    conditions: Mapping[str, str] | None = None,
) -> Return:
    """Goods brought back to a store's counter: any order's, since the customer has them
    and the receipt; the return is then that store's."""
    scope.check_location(location)
    with uow.atomic() as session:
        return returns.walk_in_return(
            session,
            queries.get_order(session, order_number),
            items,
            location_code=location,
            actor=actor,
            reason=reason,
            conditions=conditions,
            window_days=window_days,
        )
