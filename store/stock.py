"""Stock at a store: on hand, reserved and available with low stock flagged; receive,
adjust with a reason, transfer to another location; and the ledger behind it."""

from __future__ import annotations

from flask import g, redirect, request, url_for

from backoffice import bp
from backoffice.auth import requires, staff_scope
from infra.web import database
from orders import stockops
from services import stock
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

LEDGER_ROWS = 200


@bp.get("/store/<code>/stock")
@requires(*VIEWERS)
def store_stock(code: str):  # type: ignore[no-untyped-def]
    with database().reading() as s:
        location = visible_location(s, code)
        low = {row.product_id for row in stockops.low_stock(s, [location.code])}
        return render_store_page(
            "csr/store/stock.html",
            location,
            levels=store_reads.stock_levels(s, location),
            low=low,
            products=store_reads.products(s),
            destinations=[loc for loc in store_reads.locations(s, None) if loc.id != location.id],
            reasons=stockops.ADJUST_REASONS,
            is_admin=g.csr_user.is_admin,
        )


@bp.post("/store/<code>/stock/receive")
@requires(*STAFF)
def store_stock_receive(code: str):  # type: ignore[no-untyped-def]
    sku = form_text("sku").upper()
    with desk(code, f"Received {sku}.") as d:
        quantity = form_int("quantity", "The quantity received")
        row = stock.receive(d.uow, d.actor, d.scope, sku, d.code, quantity, note=form_text("note"))
        d.audit("stock_receive", "stock", sku, quantity=quantity, on_hand=row.on_hand)
    return redirect(url_for("csr.store_stock", code=code))


def _adjustment(reason: str) -> dict[str, int]:
    """A count gives the quantity now on the shelf; damage and theft take the quantity
    away; found adds it."""
    quantity = form_int("quantity", "The quantity")
    if reason == "count":
        return {"counted": quantity}
    return {"delta": -quantity if reason in stockops.REMOVING else quantity}


@bp.post("/store/<code>/stock/adjust")
@requires(*STAFF)
def store_stock_adjust(code: str):  # type: ignore[no-untyped-def]
    sku, reason = form_text("sku").upper(), form_text("reason")
    with desk(code, f"Adjusted {sku} ({reason}).") as d:
        change = _adjustment(reason)
        row = stock.adjust(
            d.uow, d.actor, d.scope, sku, d.code, reason=reason, note=form_text("note"), **change
        )
        d.audit("stock_adjust", "stock", sku, reason=reason, on_hand=row.on_hand, **change)
    return redirect(url_for("csr.store_stock", code=code))


@bp.post("/store/<code>/stock/transfer")
@requires(*STAFF)
def store_stock_transfer(code: str):  # type: ignore[no-untyped-def]
    sku, target = form_text("sku").upper(), form_text("to").upper()
    with desk(code, f"Sent {sku} to {target}.") as d:
        quantity = form_int("quantity", "The quantity to transfer")
        stock.transfer(
            d.uow, d.actor, d.scope, sku, d.code, target, quantity, note=form_text("note")
        )
        d.audit("stock_transfer", "stock", sku, to=target, quantity=quantity)
    return redirect(url_for("csr.store_stock", code=code))


@bp.post("/store/<code>/stock/threshold")
@requires("admin")
def store_stock_threshold(code: str):  # type: ignore[no-untyped-def]
    """The low-stock threshold is the product's, for every location: admins only."""
    sku = form_text("sku").upper()
    with desk(code, f"Low-stock threshold of {sku} saved.") as d:
        threshold = form_int("threshold", "The threshold")
        stock.set_low_stock_threshold(d.uow, staff_scope(), sku, threshold)
        d.audit("low_stock_threshold", "product", sku, threshold=threshold)
    return redirect(url_for("csr.store_stock", code=code))


@bp.get("/store/<code>/ledger")
@requires(*VIEWERS)
def store_ledger(code: str):  # type: ignore[no-untyped-def]
    sku = request.args.get("sku", "").strip().upper()[:64]
    with database().reading() as s:
        location = visible_location(s, code)
        return render_store_page(
            "csr/store/ledger.html",
            location,
            sku=sku,
            products=store_reads.products(s),
            movements=stockops.movements(
                s, sku=sku or None, location_code=location.code, limit=LEDGER_ROWS
            ),
        )
