"""Stock per product and location: reserve, release, take out, put back.

Reservations are taken with one conditional UPDATE per product (`reserved + n`
only where `on_hand - reserved >= n`), products always in id order. On PostgreSQL
the row lock plus re-checked WHERE makes two buyers of the last unit serialise; on
SQLite every transaction begins IMMEDIATE. Either way nothing is sold twice.

Every change of on-hand quantity writes a StockMovement, so the ledger always sums
to what is on the shelf.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from infra.row_locks import refresh_locked
from orders.errors import LocationNotFound, OutOfStock
from orders.models import Location, Product, Stock, StockMovement

Needs = Mapping[int, int]  # product id -> quantity


def get_location(session: Session, code: str) -> Location:
    location = session.scalar(select(Location).where(Location.code == code.strip().upper()))
    if location is None or not location.active:
        raise LocationNotFound(f"There is no location {code!r}.", code=code)
    return location


def stock_row(session: Session, product_id: int, location_id: int) -> Stock:
    """The stock row, created empty if this product was never stocked here."""
    row = session.scalar(
        select(Stock).where(Stock.product_id == product_id, Stock.location_id == location_id)
    )
    if row is None:
        row = Stock(product_id=product_id, location_id=location_id, on_hand=0, reserved=0)
        session.add(row)
        session.flush()
    return row


def available(session: Session, location_id: int, needs: Needs) -> dict[int, int]:
    """Available quantity at the location for each product in `needs`."""
    return available_at(session, [location_id], needs)[location_id]


def available_at(
    session: Session, location_ids: Collection[int], needs: Needs
) -> dict[int, dict[int, int]]:
    """`available` at each of several locations, in one statement."""
    found: dict[int, dict[int, int]] = {location_id: {} for location_id in location_ids}
    if found and needs:
        values = {"locations": list(found), "products": list(needs)}
        for location_id, product_id, qty in session.execute(_AVAILABLE, values):
            found[location_id][product_id] = qty
    return {at: {p: have.get(p, 0) for p in needs} for at, have in found.items()}


# Built once: its cache key is memoized on the statement.
_AVAILABLE = select(Stock.location_id, Stock.product_id, Stock.on_hand - Stock.reserved).where(
    Stock.location_id.in_(bindparam("locations", expanding=True)),
    Stock.product_id.in_(bindparam("products", expanding=True)),
)


def fills(have: Mapping[int, int], needs: Needs) -> bool:
    """Whether the quantities `have` (from `available`) cover `needs`."""
    return all(have[p] >= q for p, q in needs.items())


def can_fill(session: Session, location_id: int, needs: Needs) -> bool:
    return fills(available(session, location_id, needs), needs)


def shortages(session: Session, location: Location, needs: Needs) -> list[str]:
    have = available(session, location.id, needs)
    missing = [p for p, q in needs.items() if have[p] < q]
    if not missing:
        return []
    names = dict(
        session.execute(select(Product.id, Product.name).where(Product.id.in_(missing))).all()
    )
    return [f"{names[p]} (only {max(have[p], 0)} available)" for p in missing]


def reserve(session: Session, location: Location, needs: Needs) -> None:
    """Reserve everything in `needs` at `location`, or raise OutOfStock.

    On failure the caller's savepoint rolls back the rows already reserved.
    """
    for product_id in sorted(needs):
        quantity = needs[product_id]
        if quantity <= 0:
            continue
        result = session.execute(
            update(Stock)
            .where(
                Stock.product_id == product_id,
                Stock.location_id == location.id,
                Stock.on_hand - Stock.reserved >= quantity,
            )
            .values(reserved=Stock.reserved + quantity)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise OutOfStock(
                f"Not enough stock at {location.name}: "
                + ", ".join(shortages(session, location, {product_id: quantity})),
                location=location.code,
            )


def release(session: Session, location_id: int, needs: Needs) -> None:
    for product_id in sorted(needs):
        quantity = needs[product_id]
        if quantity > 0:
            session.execute(
                update(Stock)
                .where(Stock.product_id == product_id, Stock.location_id == location_id)
                .values(reserved=Stock.reserved - quantity)
                .execution_options(synchronize_session=False)
            )


def move(
    session: Session,
    product_id: int,
    location_id: int,
    delta: int,
    reason: str,
    actor: str,
    *,
    order_id: int | None = None,
    note: str = "",
    reserved_delta: int = 0,
) -> None:
    """Change on-hand (and optionally reserved) quantity and write it to the ledger."""
    if delta == 0 and reserved_delta == 0:
        return
    row = stock_row(session, product_id, location_id)
    refresh_locked(session, row)
    if row.on_hand + delta < 0:
        raise OutOfStock(
            f"That would leave {row.on_hand + delta} on hand; only {row.on_hand} there.",
            on_hand=row.on_hand,
        )
    if row.on_hand + delta < row.reserved + reserved_delta:
        raise OutOfStock(
            f"That would leave {row.on_hand + delta} on hand with "
            f"{row.reserved + reserved_delta} reserved for open orders; "
            f"only {row.available} can be taken.",
            on_hand=row.on_hand,
            reserved=row.reserved,
        )
    row.on_hand += delta
    row.reserved += reserved_delta
    if delta:
        session.add(
            StockMovement(
                product_id=product_id,
                location_id=location_id,
                delta=delta,
                reason=reason,
                actor=actor,
                order_id=order_id,
                note=note,
            )
        )
    session.flush()


def set_on_hand(
    session: Session,
    product_id: int,
    location_id: int,
    quantity: int,
    actor: str,
    reason: str = "count",
) -> None:
    row = stock_row(session, product_id, location_id)
    move(session, product_id, location_id, quantity - row.on_hand, reason, actor)


def delivery_candidates(session: Session) -> list[Location]:
    """Locations a delivery may ship from, in the shop's order of preference.

    The shop ranks locations by `priority` (lowest first; the demo puts the warehouse
    first so store shelves stay for walk-ins and pickups); ties go to the lower id.
    """
    return list(
        session.scalars(
            select(Location)
            .where(Location.active.is_(True))
            .order_by(Location.priority, Location.id)
        )
    )
