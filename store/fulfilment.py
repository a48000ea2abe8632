"""A store's pickup queue (prepare, ready, hand over with the code) and shipping queue
(pick list, ship all or part with carrier and tracking, mark delivered)."""

from __future__ import annotations

from flask import redirect, url_for

from backoffice import bp
from backoffice.auth import requires
from infra.web import database, settings
from orders import stockops
from orders.errors import ValidationFailed
from orders.models import Order
from services import fulfilment
from services.orders import find_order
from store import reads as store_reads
from store.views import (
    STAFF,
    VIEWERS,
    desk,
    form_int,
    form_text,
    render_store_page,
    visible_location,
)


@bp.get("/store/<code>/pickups")
@requires(*VIEWERS)
def store_pickups(code: str):  # type: ignore[no-untyped-def]
    with database().reading() as s:
        location = visible_location(s, code)
        queue = stockops.pickup_queue(
            s, location.code, reminder_days=settings().pickup_reminder_days
        )
        return render_store_page(
            "csr/store/pickups.html",
            location,
            queue=queue,
            reminder_days=settings().pickup_reminder_days,
        )


@bp.post("/store/<code>/orders/<int:number>/prepare")
@requires(*STAFF)
def store_prepare(code: str, number: int):  # type: ignore[no-untyped-def]
    with desk(code, f"Order #{number}: being prepared.") as d:
        order = fulfilment.prepare(d.uow, d.actor, d.scope, number)
        d.audit("pickup_prepare", "order", order.number)
    return redirect(url_for("csr.store_pickups", code=code))


@bp.post("/store/<code>/orders/<int:number>/ready")
@requires(*STAFF)
def store_ready(code: str, number: int):  # type: ignore[no-untyped-def]
    done = f"Order #{number} is ready for pickup; the customer has been told."
    with desk(code, done) as d:
        order = fulfilment.ready_for_pickup(d.uow, d.actor, d.scope, number)
        d.audit("pickup_ready", "order", order.number)
    return redirect(url_for("csr.store_pickups", code=code))


@bp.post("/store/<code>/orders/<int:number>/hand-over")
@requires(*STAFF)
def store_hand_over(code: str, number: int):  # type: ignore[no-untyped-def]
    with desk(code, f"Order #{number} handed over.") as d:
        order = fulfilment.hand_over(d.uow, d.actor, d.scope, number, form_text("pickup_code"))
        d.audit("pickup_hand_over", "order", order.number)
    return redirect(url_for("csr.store_pickups", code=code))


@bp.get("/store/<code>/shipping")
@requires(*VIEWERS)
def store_shipping(code: str):  # type: ignore[no-untyped-def]
    with database().reading() as s:
        location = visible_location(s, code)
        return render_store_page(
            "csr/store/shipping.html",
            location,
            queue=stockops.shipping_queue(s, location.code),
            in_transit=store_reads.awaiting_delivery(s, location),
        )


def _shipped_items(order: Order) -> dict[str, int]:
    """SKU -> units from the form's `qty_SKU` fields; blank fields ship nothing."""
    items = {
        line.sku: form_int(f"qty_{line.sku}", f"The quantity of {line.name}", default=0)
        for line in order.lines
        if line.open_quantity
    }
    items = {sku: quantity for sku, quantity in items.items() if quantity}
    if not items:
        raise ValidationFailed("Enter how many of each item go in this parcel.")
    return items


@bp.post("/store/<code>/orders/<int:number>/ship")
@requires(*STAFF)
def store_ship(code: str, number: int):  # type: ignore[no-untyped-def]
    with desk(code, f"Order #{number} shipped; the customer has the tracking number.") as d:
        order = find_order(d.session, d.scope, number)
        items = _shipped_items(order)
        shipment = fulfilment.ship(
            d.uow,
            d.actor,
            d.scope,
            number,
            carrier=form_text("carrier"),
            tracking_number=form_text("tracking_number"),
            items=items,
        )
        d.audit(
            "ship",
            "order",
            order.number,
            shipment_id=shipment.id,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
        )
    return redirect(url_for("csr.store_shipping", code=code))


@bp.post("/store/<code>/orders/<int:number>/delivered")
@requires(*STAFF)
def store_delivered(code: str, number: int):  # type: ignore[no-untyped-def]
    with desk(code, f"Order #{number}: delivery recorded.") as d:
        shipment_id = form_int("shipment_id", "The shipment")
        order = fulfilment.delivered(d.uow, d.actor, d.scope, number, shipment_id=shipment_id)
        d.audit("deliver", "order", order.number, shipment_id=shipment_id)
    return redirect(url_for("csr.store_shipping", code=code))
