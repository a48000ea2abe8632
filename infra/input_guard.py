"""Refuse request input the database cannot hold, before any view sees it.

- NUL characters: PostgreSQL text columns cannot hold U+0000, so a NUL that reaches a
  query or an INSERT is a 500 there (and silently fine on SQLite). No person types
  one; a request carrying one in its path, query string, form or JSON gets a 400 with a
  clear message. The provider webhooks are left alone: they strip NULs themselves
  (conversations/inbound.py), because a provider retries a refused delivery forever.
- Deeply nested JSON: no request of ours nests more than a few levels, and walking or
  decoding a deep one recurses until Python gives up (a 500 with a huge traceback, on
  every path and before any login). A body nested deeper than MAX_JSON_DEPTH, or too
  deep for the decoder itself, gets a 400 and one short log line, on every path
  including the webhooks (no provider sends such a body).
- Whole numbers in URLs (`<int:...>`): ids and numbers are 32-bit columns, and a bigger
  one overflows the driver (SQLite) or the column; such a URL matches nothing (404).
  JSON numbers are bounded likewise in api/inputs.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

log = logging.getLogger(__name__)

EXEMPT_PREFIXES = ("/webhooks/",)
MESSAGE = "The request contains a NUL character (\\u0000), which no text field accepts."
MAX_JSON_DEPTH = 32
TOO_DEEP = f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."
LARGEST_ID = 2**31 - 1


class BoundedInt(IntegerConverter):
    """Flask's `int` converter, limited to what an INTEGER column holds."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def _levels(value: object) -> Iterator[list[object]]:
    """A (JSON-shaped) value level by level, the top first, without recursion: the
    number of levels is its depth, and a caller may stop early."""
    level = [value]
    while level:
        yield level
        below: list[object] = []
        for item in level:
            if isinstance(item, dict):
                below.extend(item)
                below.extend(item.values())
            elif isinstance(item, list):
                below.extend(item)
        level = below


def holds_nul(value: object) -> bool:
    """True if a string anywhere in this (JSON-shaped) value contains a NUL."""
    return any(
        isinstance(item, str) and "\x00" in item for level in _levels(value) for item in level
    )


def _json_body() -> object:
    """The parsed JSON body (None if it is not JSON); BadRequest if it nests too deep."""
    if not request.is_json:
        return None
    try:
        value = request.get_json(silent=True)
    except RecursionError as exc:  # deeper than the decoder itself goes
        raise BadRequest(TOO_DEEP) from exc
    if any(depth > MAX_JSON_DEPTH for depth, _ in enumerate(_levels(value), start=1)):
        raise BadRequest(TOO_DEEP)
    return value


def _request_holds_nul(body: object) -> bool:
    if "\x00" in request.path:
        return True
    for values in (request.args, request.form):
        if any(holds_nul(k) or holds_nul(v) for k, v in values.items(multi=True)):
            return True
    return holds_nul(body)


def register(app: Flask) -> None:
    """Call before any blueprint is registered, so every `<int:...>` rule is bounded."""
    app.url_map.converters["int"] = BoundedInt

    @app.before_request
    def _refuse_bad_input() -> None:
        try:
            body = _json_body()
            if not request.path.startswith(EXEMPT_PREFIXES) and _request_holds_nul(body):
                raise BadRequest(MESSAGE)
        except BadRequest as exc:
            log.warning("refused %s %r: %s", request.method, request.path[:200], exc.description)
            raise


def whole_number(raw: str) -> int | None:
    """ASCII digits that fit an INTEGER column, as an int; None otherwise.

    Not `str.isdigit()` alone: it is true for "²" and "٣", which `int()` refuses or reads.
    """
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(LARGEST_ID)):
        return None
    value = int(raw)
    return value if value <= LARGEST_ID else None
