"""Reading request bodies and query strings: wrong shapes become 400 errors here, so
the views only see the types they expect (the domain then checks the values)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request

from api.errors import ApiError
from infra.input_guard import LARGEST_ID


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None and not request.data:
        return {}
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "The request body must be a JSON object.")
    return data


def items_from(raw: object) -> dict[str, int]:
    """`{"SKU": 2}` or `[{"sku": "SKU", "quantity": 2}]` -> {"SKU": 2}; a SKU twice is refused."""
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list) and all(isinstance(x, dict) for x in raw):
        pairs = [(x.get("sku"), x.get("quantity")) for x in raw]
    else:
        raise ApiError(400, "bad_lines", "lines must be a list of {sku, quantity} or a map.")
    items: dict[str, int] = {}
    for sku, quantity in pairs:
        if not isinstance(sku, str) or not _whole_number(quantity):
            raise ApiError(
                400, "bad_lines", "Each line needs a sku (text) and a quantity (integer)."
            )
        key = sku.strip().upper()
        if key in items:
            raise ApiError(400, "bad_lines", f"{key} appears twice; give each item once.")
        items[key] = quantity
    return items


def optional_text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, "bad_field", f"{key} must be text.")
    return value


def required_text(data: dict[str, Any], key: str) -> str:
    value = optional_text(data, key)
    if not value or not value.strip():
        raise ApiError(400, "missing_field", f"{key} is required.")
    return value


def _whole_number(value: object) -> bool:
    """An int an INTEGER column holds (a bigger one overflows the driver or the column)."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= LARGEST_ID


def optional_int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is not None and not _whole_number(value):
        raise ApiError(400, "bad_field", f"{key} must be a whole number.")
    return value


def required_int(data: dict[str, Any], key: str) -> int:
    value = optional_int(data, key)
    if value is None:
        raise ApiError(400, "missing_field", f"{key} is required.")
    return value


def optional_money(data: dict[str, Any], key: str) -> Decimal | None:
    """Money comes as a decimal string ("12.50"); a JSON number is accepted too."""
    raw = data.get(key)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ApiError(400, "bad_amount", f'{key} must be a decimal string such as "12.50".')
    try:
        amount = Decimal(str(raw))
        exact = amount.is_finite() and amount == amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        exact = False
    if not exact:
        raise ApiError(400, "bad_amount", f"{key} must be an amount with at most two decimals.")
    return amount


def query_digits(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > LARGEST_ID:
        raise ApiError(400, f"bad_{name}", f"{name} must be a number.")
    return int(raw)


def conditions_from(raw: object) -> dict[str, Any]:
    """Return conditions per SKU: `{"MUG": "damaged"}` or `{"MUG": {"resellable": 1,
    "damaged": 1}}`; the domain checks the words and the counts."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(v, str) or (isinstance(v, dict) and all(isinstance(k, str) for k in v))
        for v in raw.values()
    ):
        raise ApiError(
            400, "bad_conditions", "conditions must map each sku to a condition or to counts."
        )
    return raw
