"""Deeply nested JSON, on every route, before any login: a 400 and one short log line.

Nested ~400 deep, the input guard's walk overflowed Python's recursion on every
non-webhook path: a 500 and ~100 KB of traceback in the log per 0.8 KB request.
"""

from __future__ import annotations

import logging
import re
import threading

import pytest
from flask import Flask

DEEP_OBJECT = '{"a":' * 400 + "1" + "}" * 400
DEEPER_THAN_THE_DECODER = "[" * 200_000  # json.loads itself gives up on this one
LONGEST_LOG_LINE = 300


def every_route(app: Flask) -> list[tuple[str, str]]:
    """(method, path) for each route, with 1 for every URL part."""
    routes = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):  # type: ignore[operator]
            routes.append((method, path))
    return routes


@pytest.mark.parametrize("body", [DEEP_OBJECT, DEEPER_THAN_THE_DECODER], ids=["400", "200k"])
def test_deep_json_is_a_400_and_one_short_line_on_every_route(
    app: Flask, caplog: pytest.LogCaptureFixture, body: str
) -> None:
    client = app.test_client()
    routes = every_route(app)
    assert any(path.startswith("/webhooks/") for _, path in routes)
    for method, path in routes:
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            response = client.open(path, method=method, data=body, content_type="application/json")
        assert response.status_code == 400, (method, path, response.status_code)
        assert "nested" in response.get_data(as_text=True), (method, path)
        # Only this thread's records: a thread left by an earlier test may log meanwhile.
        ours = [r for r in caplog.records if r.thread == threading.get_ident()]
        lines = [line for r in ours for line in caplog.handler.format(r).splitlines()]
        assert len(lines) == 1, (method, path, lines[:5])
        assert len(lines[0]) < LONGEST_LOG_LINE, lines[0]


def test_shallow_json_still_reaches_the_api(app: Flask) -> None:
    nested = {"lines": [{"sku": "BEAN", "quantity": 1}], "customer": {"phone": "+15555550100"}}
    response = app.test_client().post(
        "/api/v1/orders", json=nested, headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401  # past the guard, refused by the token check
