"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document of every /api/v1 route, whose
schemas the API's real answers and errors satisfy."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator

from tests.factories import make_shop

ADMIN = {"Authorization": "Bearer test-admin-token"}
METHODS = {"get", "post", "patch", "put", "delete"}


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")  # no token: an integrator starts here
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    OpenAPIV31SpecValidator(document).validate()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
    }


def _operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


def test_every_api_route_is_described_and_nothing_else(
    app: Flask, document: dict[str, Any]
) -> None:
    described = _operations(document)
    matched: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        # `<int:id>` is documented as {id}; a parameter naming one of a few acts
        # (`<action>`) as one path per act.
        pattern = re.sub(r"<(?:[^<>:]+:)?(\w+)>", lambda m: rf"(?:\{{{m[1]}\}}|[a-z_]+)", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:  # type: ignore[operator]
            found = {(m, p) for m, p in described if m == method and re.fullmatch(pattern, p)}
            assert found, f"{method} {rule.rule} is not in the document"
            matched |= found
    assert described == matched  # no operation without a route


def test_every_operation_states_its_security_and_errors(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            if path == "/api/v1/openapi.json":
                assert operation["security"] == [] and set(responses) == {"200"}
                continue
            assert operation["security"] == [{"bearer": []}], (method, path)
            assert {"401", "403"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            queried = any(p["in"] == "query" for p in operation["parameters"])
            if "requestBody" in operation or queried:
                assert "400" in responses, (method, path)
            error = responses["401"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorOut"}


def _schema_of(document: dict[str, Any], path: str, method: str, status: int) -> Any:
    responses = document["paths"][path][method]["responses"]
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": document["components"]})


@pytest.mark.parametrize(
    ("path", "documented"),
    [
        ("/products", "/api/v1/products"),
        ("/inventory?location=DT", "/api/v1/inventory"),
        ("/locations", "/api/v1/locations"),
        ("/orders", "/api/v1/orders"),
        ("/orders/10001", "/api/v1/orders/{number}"),
        ("/customers/1", "/api/v1/customers/{customer_id}"),
        ("/locations/DT/pickups", "/api/v1/locations/{code}/pickups"),
        ("/locations/WH/shipments", "/api/v1/locations/{code}/shipments"),
        ("/inventory/movements", "/api/v1/inventory/movements"),
        ("/reports/summary", "/api/v1/reports/summary"),
    ],
)
def test_real_answers_match_their_schemas(
    app: Flask, client: FlaskClient, document: dict[str, Any], path: str, documented: str
) -> None:
    with app.extensions["db"].sessions() as session:
        make_shop(session)
    placed = client.post(
        "/api/v1/orders",
        headers=ADMIN,
        json={
            "customer": {"name": "Jo", "email": "jo@example.com"},
            "lines": {"BEAN": 1},
            "fulfillment": {"method": "pickup", "location": "DT"},
        },
    )
    assert placed.status_code == 201
    _schema_of(document, "/api/v1/orders", "post", 201).validate(placed.get_json())
    response = client.get(f"/api/v1{path}", headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    _schema_of(document, documented, "get", 200).validate(response.get_json())


def test_a_wrong_shape_is_a_documented_400_naming_the_field(
    client: FlaskClient, document: dict[str, Any]
) -> None:
    response = client.post(
        "/api/v1/orders", headers=ADMIN, json={"customer": {"name": 5, "phone": "+15555550100"}}
    )
    assert response.status_code == 400
    error = response.get_json()
    _schema_of(document, "/api/v1/orders", "post", 400).validate(error)
    assert error["error"] == {"code": "bad_field", "message": "customer.name must be text."}
    quantity = client.post(
        "/api/v1/inventory/receive",
        headers=ADMIN,
        json={"sku": "BEAN", "location": "DT", "quantity": True},
    ).get_json()["error"]
    assert quantity == {"code": "bad_field", "message": "quantity must be a whole number."}


def test_lines_null_is_refused_not_read_as_the_whole_order(client: FlaskClient) -> None:
    for method, path in (("POST", "/orders/10001/cancel"), ("PATCH", "/orders/10001")):
        response = client.open(f"/api/v1{path}", method=method, headers=ADMIN, json={"lines": None})
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "bad_lines"
