"""Load catalog, locations and stock from CSV (formats in the README, "Your own shop").

Every row is checked before anything is written: one bad row refuses the whole
file with each failing line number, and the database stays as it was.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from orders import inventory
from orders.errors import ImportFailed
from orders.models import Location, Product, Stock

SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$")
MAX_QUANTITY = 1_000_000
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}
# Optional catalog columns naming a variant, with their longest allowed value.
VARIANT_COLUMNS = {"variant_of": 200, "size": 50, "colour": 50, "unit": 50}


T = TypeVar("T")


class RowError(Exception):
    pass


def _read(data: bytes, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed([(line, f"the file is not UTF-8 (byte {exc.start})")]) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFailed([(1, f"missing column(s): {', '.join(missing)}")])
    reader.fieldnames = header
    rows = []
    for row in reader:
        values = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if any(values.values()):
            rows.append((reader.line_num, values))
    return rows


def _text(row: dict[str, str], column: str, limit: int, *, required: bool = False) -> str:
    value = row.get(column, "")
    if required and not value:
        raise RowError(f"{column} is empty")
    if len(value) > limit:
        raise RowError(f"{column} is longer than {limit} characters")
    return value


def _whole(row: dict[str, str], column: str, default: int | None = None) -> int:
    """A whole number from 0 to MAX_QUANTITY (ASCII digits only: `"²".isdigit()` is true)."""
    raw = row.get(column, "")
    if not raw and default is not None:
        return default
    if not re.fullmatch(r"[0-9]{1,7}", raw) or int(raw) > MAX_QUANTITY:
        raise RowError(f"{column} {raw!r} must be a whole number from 0 to {MAX_QUANTITY}")
    return int(raw)


def _price(raw: str) -> Decimal:
    try:
        price = Decimal(raw)
    except InvalidOperation as exc:
        raise RowError(f"price {raw!r} is not a number") from exc
    if not price.is_finite() or price < 0 or price != price.quantize(Decimal("0.01")):
        raise RowError(f"price {raw!r} must be zero or more with at most two decimals")
    if price > Decimal("1000000"):
        raise RowError(f"price {raw!r} is absurdly high")
    return price.quantize(Decimal("0.01"))


def _import(
    session: Session,
    data: bytes,
    required: tuple[str, ...],
    check: Callable[[dict[str, str]], T],
    write: Callable[[list[T]], None],
) -> int:
    """Check every row; only when all are good, `write` them all, in a savepoint."""
    rows = _read(data, required)
    checked, errors = [], []
    for line, row in rows:
        try:
            checked.append(check(row))
        except RowError as exc:
            errors.append((line, str(exc)))
    if errors:
        raise ImportFailed(errors)
    with session.begin_nested():
        write(checked)
        session.flush()
    return len(checked)


def _each(write: Callable[[T], None]) -> Callable[[list[T]], None]:
    def write_all(items: list[T]) -> None:
        for item in items:
            write(item)

    return write_all


def _variant(row: dict[str, str], variants: dict[tuple[str, ...], str], sku: str) -> dict[str, str]:
    """The optional variant columns ("color" is read as "colour"); two SKUs of one base
    product with the same size, colour and unit could never be told apart, so refused."""
    if not row.get("colour"):
        row["colour"] = row.get("color", "")
    values = {column: _text(row, column, limit) for column, limit in VARIANT_COLUMNS.items()}
    if values["variant_of"]:
        key = tuple(v.casefold() for v in values.values())
        if key in variants:
            raise RowError(f"sku {sku} is the same variant as {variants[key]}")
        variants[key] = sku
    return values


def import_catalog(session: Session, data: bytes) -> int:
    seen: set[str] = set()
    variants: dict[tuple[str, ...], str] = {}

    def check(row: dict[str, str]) -> dict[str, object]:
        sku = row.get("sku", "").upper()
        if not SKU_PATTERN.match(sku):
            raise RowError(f"sku {row.get('sku', '')!r} must be 1-64 letters, digits, . _ or -")
        if sku in seen:
            raise RowError(f"sku {sku} appears twice")
        seen.add(sku)
        aliases = [a.strip().lower() for a in row.get("aliases", "").split("|") if a.strip()]
        extra = (
            {"low_stock_threshold": _whole(row, "low_stock_threshold")}
            if row.get("low_stock_threshold")
            else {}
        )
        return {
            **extra,
            "sku": sku,
            "name": _text(row, "name", 200, required=True),
            "price": _price(row.get("price", "")),
            "category": _text(row, "category", 100) or None,
            "aliases": "|".join(aliases),
            "description": _text(row, "description", 2000),
            **_variant(row, variants, sku),
        }

    def write(checked: list[dict[str, object]]) -> None:
        """Existing SKUs are read a thousand a query and updated; new ones are inserted in
        batches, without an ORM object each. (A query per row, each flushing the product
        added before it, took minutes for 100,000 rows.)"""
        skus = [str(values["sku"]) for values in checked]
        existing: dict[str, Product] = {}
        for start in range(0, len(skus), 1000):
            found = select(Product).where(Product.sku.in_(skus[start : start + 1000]))
            existing.update((p.sku, p) for p in session.scalars(found))
        new: dict[frozenset[str], list[dict[str, object]]] = {}
        for values in checked:
            product = existing.get(str(values["sku"]))
            if product is None:  # grouped by columns given: one INSERT per group
                new.setdefault(frozenset(values), []).append({"active": True, **values})
                continue
            for key, value in values.items():
                setattr(product, key, value)
            product.active = True
        for rows in new.values():
            session.execute(insert(Product), rows)

    return _import(session, data, ("sku", "name", "price"), check, write)


def import_locations(session: Session, data: bytes) -> int:
    def check(row: dict[str, str]) -> dict[str, object]:
        code = row.get("code", "").upper()
        if not CODE_PATTERN.match(code):
            raise RowError(f"code {row.get('code', '')!r} must be 1-20 letters, digits, _ or -")
        pickup_raw = row.get("pickup", "").lower()
        if pickup_raw not in YES | NO:
            raise RowError(f"pickup must be yes or no, not {row.get('pickup')!r}")
        pickup = pickup_raw in YES
        kind = row.get("kind", "").lower() or ("store" if pickup else "warehouse")
        if kind not in ("store", "warehouse"):
            raise RowError(f"kind must be store or warehouse, not {kind!r}")
        return {
            "code": code,
            "name": _text(row, "name", 200, required=True),
            "address": _text(row, "address", 500),
            "pickup": pickup,
            "hours": _text(row, "hours", 500),
            "kind": kind,
            "priority": _whole(row, "priority", default=100),
        }

    def write(values: object) -> None:
        assert isinstance(values, dict)
        location = session.scalar(select(Location).where(Location.code == values["code"]))
        if location is None:
            session.add(Location(active=True, **values))
        else:
            for key, value in values.items():
                setattr(location, key, value)

    return _import(session, data, ("code", "name", "address"), check, _each(write))


def import_stock(session: Session, data: bytes, actor: str = "import") -> int:
    products = dict(session.execute(select(Product.sku, Product.id)).all())
    locations = dict(session.execute(select(Location.code, Location.id)).all())
    reserved = {
        (p, loc): r
        for p, loc, r in session.execute(
            select(Stock.product_id, Stock.location_id, Stock.reserved)
        )
    }

    def check(row: dict[str, str]) -> tuple[int, int, int]:
        sku, code = row.get("sku", "").upper(), row.get("location", "").upper()
        if sku not in products:
            raise RowError(f"unknown sku {row.get('sku', '')!r}")
        if code not in locations:
            raise RowError(f"unknown location {row.get('location', '')!r}")
        quantity = _whole(row, "quantity")
        key = (products[sku], locations[code])
        if quantity < reserved.get(key, 0):
            raise RowError(
                f"quantity {quantity} is below the {reserved[key]} reserved for open orders"
            )
        return key[0], key[1], quantity

    def write(item: object) -> None:
        product_id, location_id, quantity = item  # type: ignore[misc]
        inventory.set_on_hand(session, product_id, location_id, quantity, actor, reason="import")

    return _import(session, data, ("sku", "location", "quantity"), check, _each(write))


IMPORTERS: dict[str, Callable[[Session, bytes], int]] = {
    "catalog": import_catalog,
    "locations": import_locations,
    "stock": import_stock,
}
