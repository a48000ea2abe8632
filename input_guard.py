"""Refuse request input the database cannot hold, before any view sees it.

- NUL characters: PostgreSQL text columns cannot hold U+0000, so a NUL that reaches a
  query or an INSERT is a 500 there (and silently fine on SQLite). No person types
  one; a request carrying one in its path, query string, form or JSON gets a 400 with a
  clear message. The provider webhooks are left alone: they strip NULs themselves
  (channels/inbound.py), because a provider retries a refused delivery forever.
- Whole numbers in URLs (`<int:...>`): ids and numbers are 32-bit columns, and a bigger
  one overflows the driver (SQLite) or the column; such a URL matches nothing (404).
  JSON numbers are bounded likewise in api/parse.py.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

EXEMPT_PREFIXES = ("/webhooks/",)
MESSAGE = "The request contains a NUL character (\\u0000), which no text field accepts."
LARGEST_ID = 2**31 - 1


class BoundedInt(IntegerConverter):
    """Flask's `int` converter, limited to what an INTEGER column holds."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def holds_nul(value: object) -> bool:
    """True if a string anywhere in this (JSON-shaped) value contains a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(holds_nul(item) for item in value)
    return False


def _request_holds_nul() -> bool:
    if "\x00" in request.path:
        return True
    for values in (request.args, request.form):
        if any(holds_nul(k) or holds_nul(v) for k, v in values.items(multi=True)):
            return True
    return request.is_json and holds_nul(request.get_json(silent=True))


def register(app: Flask) -> None:
    """Call before any blueprint is registered, so every `<int:...>` rule is bounded."""
    app.url_map.converters["int"] = BoundedInt

    @app.before_request
    def _refuse_nul() -> None:
        if not request.path.startswith(EXEMPT_PREFIXES) and _request_holds_nul():
            raise BadRequest(MESSAGE)


def whole_number(raw: str) -> int | None:
    """ASCII digits that fit an INTEGER column, as an int; None otherwise.

    Not `str.isdigit()` alone: it is true for "²" and "٣", which `int()` refuses or reads.
    """
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(LARGEST_ID)):
        return None
    value = int(raw)
    return value if value <= LARGEST_ID else None
