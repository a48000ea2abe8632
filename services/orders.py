"""Orders: find, preview, place, change and cancel, for every adapter alike.

Each use case takes the actor (who, on which channel: the order's event log says it),
the actor's scope (services.scope) and a unit of work (services.uow). Scope refusals
come before any write; the domain (`orders.ordering`) checks everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Unpack

from sqlalchemy.orm import Session

from orders import customers, order_lists, ordering, queries
from orders.events import Actor
from orders.models import Customer, Order
from orders.order_lists import OrderRow, OrderSummary
from orders.ordering import Items, OrderChanges, OrderPlan
from orders.queries import OrderFilters
from services.scope import Scope
from services.uow import UnitOfWork


@dataclass(frozen=True)
class NewCustomer:
    """A customer named by a phone number or an email address: found, or created."""

    kind: str  # phone | email
    value: str
    name: str = ""


@dataclass(frozen=True)
class NewOrder:
    """An order as someone asks for it: lines as they came (a SKU twice is refused)."""

    customer: int | NewCustomer  # a customer id, or who to find or create
    items: Items
    method: str  # delivery | pickup
    address: str | None = None
    pickup_location: str | None = None


def find_order(session: Session, scope: Scope, number: str | int) -> Order:
    order = queries.get_order(session, number)
    scope.check_order(session, order, named=number)
    return order


def search_orders(
    session: Session, scope: Scope, *, limit: int = 100, **filters: Unpack[OrderFilters]
) -> list[Order]:
    """Orders matching the filters that the scope may see (others are left out)."""
    scoped = _scoped(scope, filters)
    return [] if scoped is None else queries.search_orders(session, limit=limit, **scoped)


def order_rows(
    session: Session, scope: Scope, *, limit: int = 100, **filters: Unpack[OrderFilters]
) -> list[OrderRow]:
    """`search_orders` as rows (`orders.order_lists`), for a page of many orders."""
    scoped = _scoped(scope, filters)
    return [] if scoped is None else order_lists.order_rows(session, limit=limit, **scoped)


def order_summaries(
    session: Session, scope: Scope, *, limit: int = 100, **filters: Unpack[OrderFilters]
) -> list[OrderSummary]:
    """`search_orders` as one-line summaries (`orders.order_lists`), in one statement."""
    scoped = _scoped(scope, filters)
    return [] if scoped is None else order_lists.order_summaries(session, limit=limit, **scoped)


def _scoped(scope: Scope, filters: OrderFilters) -> OrderFilters | None:
    """`filters` narrowed to what `scope` may see; None when that is nothing."""
    customer_id = filters.get("customer_id")
    if scope.customer_id is not None:
        if customer_id not in (None, scope.customer_id):
            return None
        customer_id = scope.customer_id
    return {**filters, "customer_id": customer_id, "location_codes": scope.codes}


def _customer(session: Session, scope: Scope, who: int | NewCustomer, *, create: bool) -> Customer:
    """The order's customer. A store may name only customers it has served, or a phone /
    email nobody has, so it cannot adopt another store's customer."""
    if isinstance(who, int):
        customer = customers.get_customer(session, who)
        scope.check_customer(session, who)
        return customer
    if not create:
        found = customers.find_by_identity(session, who.kind, who.value)
        if found is None:
            return Customer(name=who.name, default_address="")  # a preview of a new one
        scope.check_customer(session, found.customer_id)
        return found.customer
    return customers.customer_for_identity(
        session, who.kind, who.value, who.name, location_codes=scope.codes
    )


def preview_order(session: Session, scope: Scope, new: NewOrder) -> OrderPlan:
    """What placing `new` would give, checked by the same rules, changing nothing."""
    return ordering.plan_order(
        session,
        _customer(session, scope, new.customer, create=False),
        new.items,
        method=new.method,
        address=new.address,
        pickup_location_code=new.pickup_location,
        location_codes=scope.codes,
    )


def place_order(uow: UnitOfWork, actor: Actor, scope: Scope, new: NewOrder) -> Order:
    with uow.atomic() as session:
        return ordering.place_order(
            session,
            _customer(session, scope, new.customer, create=True),
            new.items,
            method=new.method,
            actor=actor,
            address=new.address,
            pickup_location_code=new.pickup_location,
            location_codes=scope.codes,
        )


def change_order(
    uow: UnitOfWork, actor: Actor, scope: Scope, number: str | int, changes: OrderChanges
) -> Order:
    """New lines or quantities, address, delivery or pickup, pickup store; a store may not
    move the order to a location outside its scope."""
    with uow.atomic() as session:
        order = find_order(session, scope, number)
        return ordering.modify_order(
            session, order, changes, actor=actor, location_codes=scope.codes
        )


def cancel_order(
    uow: UnitOfWork,
    actor: Actor,
    scope: Scope,
    number: str | int,
    *,
    reason: str = "",
    items: Items | None = None,
) -> Order:
    """The whole order, or only `items` (units not yet fulfilled) of it."""
    with uow.atomic() as session:
        order = find_order(session, scope, number)
        if items is None:
            return ordering.cancel_order(session, order, actor=actor, reason=reason)
        return ordering.cancel_lines(session, order, items, actor=actor, reason=reason)
