"""Place, change and cancel orders.

Every public function here runs in a savepoint of the caller's transaction: a
domain error undoes exactly what the function did, so a caller that catches it
(the bot, to explain) can go on and commit its own writes.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ParamSpec, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from infra import clock
from infra.row_locks import reread_locked
from infra.savepoints import savepoint
from orders import events, inventory, payments
from orders.customers import MAX_ADDRESS, check_text
from orders.errors import (
    DuplicateItem,
    InvalidQuantity,
    OrderNotModifiable,
    OutOfStock,
    ProductNotFound,
    ValidationFailed,
)
from orders.events import Actor
from orders.models import Customer, Location, Order, OrderLine, Product, Return
from orders.queries import check_location_access
from orders.status import CANCELLABLE, MODIFIABLE, OrderStatus, check_order_transition

MAX_LINE_QUANTITY = 99
MAX_LINES = 50
ORDER_NUMBER_OFFSET = 10_000
FULFILLMENT_METHODS = ("delivery", "pickup")

P = ParamSpec("P")
T = TypeVar("T")


def atomic(fn: Callable[P, T]) -> Callable[P, T]:
    """Run the service in a SAVEPOINT so a refusal leaves the database as it was (the
    unit of work's, when called directly in one: see infra.savepoints)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        session = args[0]
        assert isinstance(session, Session)
        with savepoint(session):
            _lock_current(session, args[1] if len(args) > 1 else None)
            return fn(*args, **kwargs)

    return wrapper


def _lock_current(session: Session, target: object) -> None:
    """Lock the order or return a service acts on and read it afresh, so two people
    changing it at once take turns and the second sees what the first did."""
    if isinstance(target, Order | Return):
        reread_locked(session, target)


def check_quantity(quantity: object, *, allow_zero: bool = False) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidQuantity(f"{quantity!r} is not a whole number.")
    low = 0 if allow_zero else 1
    if not low <= quantity <= MAX_LINE_QUANTITY:
        raise InvalidQuantity(
            f"Quantity must be between {low} and {MAX_LINE_QUANTITY}, not {quantity}.",
            quantity=quantity,
        )
    return quantity


Items = Mapping[str, object] | Iterable[tuple[str, object]]


def normalise_items(items: Items) -> dict[str, object]:
    """SKUs upper-cased and stripped; the same SKU twice (`bean` and `BEAN`, or two lines
    of a form or a request) is refused rather than guessed at or summed, since the caller
    meant one of the two quantities. Every adapter passes its lines as they came."""
    normalised: dict[str, object] = {}
    for sku, quantity in items.items() if isinstance(items, Mapping) else items:
        if not isinstance(sku, str) or not sku.strip():
            raise ProductNotFound(f"{sku!r} is not a product code.", sku=sku)
        key = sku.strip().upper()
        if key in normalised:
            raise DuplicateItem(f"{key} appears twice; give each item once.", sku=key)
        normalised[key] = quantity
    return normalised


def get_product(session: Session, sku: str) -> Product:
    product = session.scalar(select(Product).where(Product.sku == sku.strip().upper()))
    if product is None or not product.active:
        raise ProductNotFound(f"We don't sell {sku!r}.", sku=sku)
    return product


def pickup_location(session: Session, code: str) -> Location:
    location = inventory.get_location(session, code)
    if not location.pickup:
        raise ValidationFailed(f"{location.name} does not offer pickup.", location=location.code)
    return location


def _new_line(product: Product, quantity: int) -> OrderLine:
    """A line at today's price; the price stays with the order if the catalog changes."""
    return OrderLine(
        product=product,
        product_id=product.id,
        sku=product.sku,
        name=product.name,
        unit_price=product.price,
        quantity=quantity,
        quantity_cancelled=0,
        quantity_fulfilled=0,
        quantity_returned=0,
    )


def _needs(lines: list[OrderLine]) -> dict[int, int]:
    needs: dict[int, int] = {}
    for line in lines:
        if line.open_quantity > 0:
            needs[line.product_id] = needs.get(line.product_id, 0) + line.open_quantity
    return needs


def _fillable(
    session: Session,
    needs: dict[int, int],
    preferred: Location | None,
    location_codes: Collection[str] | None,
) -> Iterator[Location]:
    """Locations that have all of `needs` available: `preferred` first, then by the shop's
    priority. A caller limited to `location_codes` is refused at the first one that is not
    one of them, rather than sent to a location it may not act on."""
    candidates = inventory.delivery_candidates(session)
    if preferred is not None:
        candidates = [preferred] + [c for c in candidates if c.id != preferred.id]
    for location in candidates:
        if inventory.can_fill(session, location.id, needs):
            check_location_access(location_codes, location.code)
            yield location


def _nowhere(session: Session, needs: dict[int, int]) -> OutOfStock:
    names = session.scalars(select(Product.name).where(Product.id.in_(list(needs))))
    return OutOfStock(
        "No single location has all of it in stock right now: " + ", ".join(names) + "."
    )


def _reserve_somewhere(
    session: Session,
    needs: dict[int, int],
    preferred: Location | None,
    location_codes: Collection[str] | None = None,
) -> Location:
    """Reserve the whole order at one location (see `_fillable`)."""
    for location in _fillable(session, needs, preferred, location_codes):
        try:
            with session.begin_nested():
                inventory.reserve(session, location, needs)
            return location
        except OutOfStock:
            continue  # someone took it between the check and the update; try the next
    raise _nowhere(session, needs)


def _new_pickup_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _resolve_fulfillment(
    session: Session, method: str, address: str | None, pickup_code: str | None, customer: Customer
) -> tuple[str, Location | None]:
    if method not in FULFILLMENT_METHODS:
        raise ValidationFailed(f"Fulfilment must be delivery or pickup, not {method!r}.")
    if method == "pickup":
        if not pickup_code:
            raise ValidationFailed("Which store will you pick it up from?")
        return "", pickup_location(session, pickup_code)
    address = check_text(address or customer.default_address, MAX_ADDRESS, "address")
    if not address:
        raise ValidationFailed("Where should we deliver it? An address is needed.")
    return address, None


@dataclass(frozen=True)
class PlannedLine:
    sku: str
    name: str
    unit_price: Decimal
    quantity: int
    product_id: int


@dataclass(frozen=True)
class OrderPlan:
    """An order as it would be placed now: its lines at today's prices, how it reaches the
    customer, and the location that would reserve it. Placing checks exactly the same."""

    method: str
    address: str
    store: Location | None  # the pickup store
    location: Location
    lines: tuple[PlannedLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0.00"))


def _checked_request(
    session: Session,
    customer: Customer,
    items: Items,
    method: str,
    address: str | None,
    pickup_location_code: str | None,
    location_codes: Collection[str] | None,
) -> tuple[str, Location | None, list[OrderLine]]:
    """The address, pickup store and new lines of an order request, or its refusal; a
    store limited to `location_codes` is refused another store's pickup."""
    items = normalise_items(items)
    if not items:
        raise ValidationFailed("An order needs at least one item.")
    if len(items) > MAX_LINES:
        raise ValidationFailed(f"At most {MAX_LINES} different items in one order.")
    address, store = _resolve_fulfillment(session, method, address, pickup_location_code, customer)
    lines = [_new_line(get_product(session, sku), check_quantity(q)) for sku, q in items.items()]
    if store is not None:
        check_location_access(location_codes, store.code)
    return address or "", store, lines


def plan_order(
    session: Session,
    customer: Customer,
    items: Items,
    *,
    method: str,
    address: str | None = None,
    pickup_location_code: str | None = None,
    location_codes: Collection[str] | None = None,
) -> OrderPlan:
    """What `place_order` would place, reserving and writing nothing (a preview)."""
    address, store, lines = _checked_request(
        session, customer, items, method, address, pickup_location_code, location_codes
    )
    needs = _needs(lines)
    if store is not None:
        short = inventory.shortages(session, store, needs)
        if short:
            raise OutOfStock(f"Not enough stock at {store.name}: " + ", ".join(short))
        location = store
    else:
        location = next(_fillable(session, needs, None, location_codes), None)
        if location is None:
            raise _nowhere(session, needs)
    planned = (PlannedLine(x.sku, x.name, x.unit_price, x.quantity, x.product_id) for x in lines)
    return OrderPlan(method, address, store, location, tuple(planned))


@atomic
def place_order(
    session: Session,
    customer: Customer,
    items: Items,
    *,
    method: str,
    actor: Actor,
    address: str | None = None,
    pickup_location_code: str | None = None,
    location_codes: Collection[str] | None = None,
) -> Order:
    """Place an order and reserve all of it at one location.

    Pickup reserves at the chosen store. Delivery reserves at the first location,
    in the shop's priority order, that has every line available. A caller limited to
    `location_codes` (a store's API token) may reserve only there: a refusal comes
    before anything is reserved.
    """
    address, store, lines = _checked_request(
        session, customer, items, method, address, pickup_location_code, location_codes
    )
    needs = _needs(lines)
    if store is not None:
        inventory.reserve(session, store, needs)
        location = store
    else:
        location = _reserve_somewhere(session, needs, None, location_codes)
    # The store and the (empty) payments are set as objects, so neither the charge nor a
    # reply about the new order loads them again.
    order = Order(
        placed_at=clock.now(session),
        customer_id=customer.id,
        status=OrderStatus.PLACED,
        fulfillment_method=method,
        address=address,
        location=location,
        pickup_code=_new_pickup_code() if method == "pickup" else "",
        channel=actor.channel,
        lines=lines,
        payments=[],
    )
    session.add(order)
    session.flush()
    order.number = ORDER_NUMBER_OFFSET + order.id  # written with the event's updated_at
    payments.record_charge(session, order, order.total, reference=f"order {order.number}")
    events.record(
        session,
        order,
        "placed",
        actor,
        lines={line.sku: line.quantity for line in lines},
        total=str(order.total),
        method=method,
        location=location.code,
    )
    return order


@dataclass
class OrderChanges:
    """What a customer or CSR wants different. `quantities` are new totals per SKU:
    a new SKU adds a line, 0 removes one."""

    quantities: Items = field(default_factory=dict)
    address: str | None = None
    fulfillment_method: str | None = None
    pickup_location_code: str | None = None

    def is_empty(self) -> bool:
        return not (
            self.quantities or self.address or self.fulfillment_method or self.pickup_location_code
        )


def _check_modifiable(order: Order) -> None:
    if order.status not in MODIFIABLE:
        raise OrderNotModifiable(
            f"Order {order.display_number} is already {order.status.replace('_', ' ')} "
            "and can't be changed any more.",
            status=order.status,
        )


def _apply_line_changes(session: Session, order: Order, quantities: Items) -> dict:
    changed: dict[str, list[int]] = {}
    by_sku = {line.sku: line for line in order.lines}
    for sku, raw in normalise_items(quantities).items():
        quantity = check_quantity(raw, allow_zero=True)
        line = by_sku.get(sku)
        if line is None:
            if quantity == 0:
                continue
            product = get_product(session, sku)
            order.lines.append(_new_line(product, quantity))
            changed[product.sku] = [0, quantity]
            continue
        before = line.active_quantity
        if quantity == 0:
            order.lines.remove(line)
        else:
            line.quantity = quantity + line.quantity_cancelled
        changed[line.sku] = [before, quantity]
    if not any(line.active_quantity > 0 for line in order.lines):
        raise ValidationFailed(
            "That would leave the order empty. To drop everything, cancel the order instead."
        )
    if len(order.lines) > MAX_LINES:
        raise ValidationFailed(f"At most {MAX_LINES} different items in one order.")
    return changed


def _changed_fulfillment(
    session: Session, order: Order, changes: OrderChanges, method: str
) -> tuple[str, Location | None]:
    """The address and pickup store after `changes`; a change that does not fit the
    method (an address for a pickup order, a store for a delivery) is refused, not dropped."""
    if method == "pickup" and changes.address:
        raise ValidationFailed(
            f"Order {order.display_number} is for pickup, so it has no delivery address; "
            "switch it to delivery to have it sent."
        )
    if method == "delivery" and changes.pickup_location_code:
        raise ValidationFailed(
            f"Order {order.display_number} is for delivery; switch it to pickup to choose a store."
        )
    was_pickup = order.fulfillment_method == "pickup"
    pickup_code = changes.pickup_location_code or (order.location.code if was_pickup else None)
    address = changes.address or (None if was_pickup else order.address)
    return _resolve_fulfillment(session, method, address, pickup_code, order.customer)


@atomic
def modify_order(
    session: Session,
    order: Order,
    changes: OrderChanges,
    *,
    actor: Actor,
    location_codes: Collection[str] | None = None,
) -> Order:
    """Change lines, address or fulfilment of an order nobody has started on yet.

    All reservations are released and taken again for the new order, so a switch
    of store, a bigger quantity or a new line is checked against real availability.
    A caller limited to `location_codes` may not move the order to another location.
    """
    _check_modifiable(order)
    if changes.is_empty():
        raise ValidationFailed("Nothing to change.")
    total_before = order.total
    inventory.release(session, order.location_id, _needs(order.lines))
    details: dict[str, object] = {}
    if changes.quantities:
        details["lines"] = _apply_line_changes(session, order, changes.quantities)
    method = changes.fulfillment_method or order.fulfillment_method
    if method != order.fulfillment_method or changes.pickup_location_code or changes.address:
        new_address, store = _changed_fulfillment(session, order, changes, method)
        if method != order.fulfillment_method:
            details["method"] = [order.fulfillment_method, method]
            order.pickup_code = _new_pickup_code() if method == "pickup" else ""
        if new_address != order.address:
            details["address"] = [order.address, new_address]
        order.fulfillment_method, order.address = method, new_address
    else:
        store = order.location if method == "pickup" else None
    session.flush()
    needs = _needs(order.lines)
    old_code = order.location.code
    if store is not None:
        check_location_access(location_codes, store.code)
        inventory.reserve(session, store, needs)
        location = store
    else:
        location = _reserve_somewhere(session, needs, order.location, location_codes)
    if location.id != order.location_id:
        details["location"] = [old_code, location.code]
        order.location_id = location.id
        order.location = location
    _settle_difference(session, order, total_before, "order changed")
    events.record(session, order, "modified", actor, total=str(order.total), **details)
    return order


def _settle_difference(session: Session, order: Order, total_before: Decimal, reason: str) -> None:
    difference = order.total - total_before
    if difference > 0:
        payments.record_charge(session, order, difference, reference=reason)
    elif difference < 0:
        payments.refund(session, order, -difference, reason)


@atomic
def cancel_order(session: Session, order: Order, *, actor: Actor, reason: str = "") -> Order:
    check_order_transition(order.status, OrderStatus.CANCELLED, "cancel it")
    inventory.release(session, order.location_id, _needs(order.lines))
    for line in order.lines:
        line.quantity_cancelled += line.open_quantity
    order.status = OrderStatus.CANCELLED
    refunded = payments.refund(session, order, order.amount_paid, "order cancelled")
    events.record(session, order, "cancelled", actor, reason=reason, refunded=str(refunded))
    return order


@atomic
def cancel_lines(
    session: Session, order: Order, items: Items, *, actor: Actor, reason: str = ""
) -> Order:
    """Cancel some units that have not been fulfilled yet; the rest of the order goes on."""
    if order.status not in CANCELLABLE | {OrderStatus.PARTIALLY_SHIPPED}:
        check_order_transition(order.status, OrderStatus.CANCELLED, "cancel items")
    items = normalise_items(items)
    if not items:
        raise ValidationFailed("Which items should be cancelled?")
    by_sku = {line.sku: line for line in order.lines}
    release: dict[int, int] = {}
    total_before = order.total
    for sku, quantity in items.items():
        line = by_sku.get(sku)
        if line is None:
            raise ProductNotFound(f"Order {order.display_number} has no {sku!r}.", sku=sku)
        quantity = check_quantity(quantity)
        if quantity > line.open_quantity:
            raise InvalidQuantity(
                f"Only {line.open_quantity} of {line.name} can still be cancelled.",
                quantity=quantity,
            )
        line.quantity_cancelled += quantity
        release[line.product_id] = release.get(line.product_id, 0) + quantity
    inventory.release(session, order.location_id, release)
    if all(line.active_quantity == 0 for line in order.lines):
        order.status = OrderStatus.CANCELLED
    elif order.status == OrderStatus.PARTIALLY_SHIPPED and not _needs(order.lines):
        order.status = OrderStatus.SHIPPED
    _settle_difference(session, order, total_before, "items cancelled")
    events.record(
        session,
        order,
        "lines_cancelled",
        actor,
        lines=dict(items),
        reason=reason,
        total=str(order.total),
    )
    return order
