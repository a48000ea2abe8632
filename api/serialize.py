"""Domain objects to JSON: snake_case names, money as decimal strings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from orders.models import Customer, Location, Order, Product, Return, Stock, StockMovement
from orders.stockops import PickupQueue, ShippingQueue


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def product(p: Product) -> dict[str, Any]:
    return {
        "sku": p.sku,
        "name": p.name,
        "price": money(p.price),
        "category": p.category,
        "aliases": p.alias_list,
        "description": p.description,
        "active": p.active,
        "low_stock_threshold": p.low_stock_threshold,
    }


def location(loc: Location) -> dict[str, Any]:
    return {
        "code": loc.code,
        "name": loc.name,
        "address": loc.address,
        "kind": loc.kind,
        "pickup": loc.pickup,
        "hours": loc.hours,
    }


def stock(row: Stock) -> dict[str, Any]:
    return {
        "sku": row.product.sku,
        "location": row.location.code,
        "on_hand": row.on_hand,
        "reserved": row.reserved,
        "available": row.available,
    }


def order(o: Order) -> dict[str, Any]:
    return {
        "number": o.display_number,
        "status": o.status,
        "customer_id": o.customer_id,
        "channel": o.channel,
        "fulfillment": {
            "method": o.fulfillment_method,
            "address": o.address or None,
            "location": o.location.code,
            "pickup_code": o.pickup_code or None,
        },
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "unit_price": money(line.unit_price),
                "quantity": line.active_quantity,
                "cancelled": line.quantity_cancelled,
                "fulfilled": line.quantity_fulfilled,
                "returned": line.quantity_returned,
                "subtotal": money(line.subtotal),
            }
            for line in o.lines
        ],
        "shipments": [
            {
                "carrier": s.carrier,
                "tracking_number": s.tracking_number,
                "shipped_at": when(s.shipped_at),
                "delivered_at": when(s.delivered_at),
            }
            for s in o.shipments
        ],
        "total": money(o.total),
        "amount_paid": money(o.amount_paid),
        "placed_at": when(o.placed_at),
        "updated_at": when(o.updated_at),
    }


def customer(c: Customer, history: list[Order] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": c.id,
        "name": c.name,
        "default_address": c.default_address or None,
        "identities": [
            {"kind": i.kind, "value": i.value, "verified": i.verified, "opted_out": i.opted_out}
            for i in c.identities
        ],
    }
    if history is not None:
        data["purchase_history"] = [
            {
                "number": o.display_number,
                "status": o.status,
                "total": money(o.total),
                "placed_at": when(o.placed_at),
            }
            for o in history
        ]
    return data


def return_(r: Return) -> dict[str, Any]:
    return {
        "number": r.display_number,
        "order": r.order.display_number,
        "status": r.status,
        "method": r.method,
        "location": r.location.code if r.location else None,
        "reason": r.reason,
        "lines": [
            {"sku": line.order_line.sku, "quantity": line.quantity, "condition": line.condition}
            for line in r.lines
        ],
        "value": money(r.value),
        "refund_amount": money(r.refund_amount),
        "created_at": when(r.created_at),
    }


def stock_level(row: Stock) -> dict[str, Any]:
    """A stock row with the product's low-stock threshold and whether it is reached."""
    return {
        **stock(row),
        "low_stock_threshold": row.product.low_stock_threshold,
        "low": row.available <= row.product.low_stock_threshold,
    }


def movement(m: StockMovement) -> dict[str, Any]:
    return {
        "id": m.id,
        "sku": m.product.sku,
        "location": m.location.code,
        "delta": m.delta,
        "reason": m.reason,
        "actor": m.actor,
        "order": f"#{m.order.number}" if m.order is not None else None,
        "note": m.note,
        "at": when(m.at),
    }


def order_summary(o: Order) -> dict[str, Any]:
    """What a store queue shows per order (no payment details, no pickup code)."""
    return {
        "number": o.display_number,
        "status": o.status,
        "customer": {"id": o.customer_id, "name": o.customer.name},
        "placed_at": when(o.placed_at),
        "ready_at": when(o.ready_at),
        "lines": [
            {"sku": line.sku, "name": line.name, "open": line.open_quantity}
            for line in o.lines
            if line.open_quantity > 0
        ],
    }


def pickup_queue(q: PickupQueue) -> dict[str, Any]:
    return {
        "location": location(q.location),
        "to_prepare": [order_summary(o) for o in q.to_prepare],
        "ready": [order_summary(o) for o in q.ready],
        "not_collected": [order_summary(o) for o in q.not_collected],
    }


def shipping_queue(q: ShippingQueue) -> dict[str, Any]:
    return {
        "location": location(q.location),
        "orders": [order_summary(o) for o in q.orders],
        "pick_list": [
            {"sku": p.sku, "name": p.name, "quantity": p.quantity, "orders": p.orders}
            for p in q.pick_list
        ],
    }
