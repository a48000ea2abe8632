"""GET /api/v1/openapi.json: the API described (OpenAPI 3.1), built from the app's own
route table and the models each view declares with `api.contract.endpoint`.

Nothing here is written by hand per endpoint: a route without a declaration fails the
build (and the test that checks every /api/v1 route is in the document).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from pydantic import BaseModel, TypeAdapter
from werkzeug.routing import Rule

from api.contract import Endpoint, endpoint
from api.errors import ErrorOut, register_error_handlers

PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
_ARGUMENT = re.compile(r"<(?:([^<>:]+):)?(\w+)>")
_ERRORS = {
    400: "The request is malformed or a value is refused (the message names the field).",
    401: "No valid bearer token.",
    403: "The token may not do this (another store's data, or a whole-shop act).",
    404: "The named resource does not exist.",
    409: "The resource's state does not allow it (e.g. out of stock, already shipped).",
}

bp = Blueprint("api_docs", __name__, url_prefix=PREFIX)
register_error_handlers(bp)


@bp.get("/openapi.json")
@endpoint("application/json")
def openapi_json():  # type: ignore[no-untyped-def]
    """This document: every path, its parameters, bodies, answers and errors."""
    document = current_app.extensions.get("openapi")
    if document is None:
        document = current_app.extensions["openapi"] = build(current_app)
    return jsonify(document)


class _Schemas:
    """components/schemas, filled as models are referenced; one name, one schema."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def ref(self, kind: Any, mode: str) -> dict[str, Any]:
        schema = TypeAdapter(kind).json_schema(mode=mode, ref_template=REF)  # type: ignore[arg-type]
        for name, definition in schema.pop("$defs", {}).items():
            self._add(name, definition)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            self._add(kind.__name__, schema)
            return {"$ref": REF.format(model=kind.__name__)}
        return schema

    def _add(self, name: str, schema: dict[str, Any]) -> None:
        if self.components.setdefault(name, schema) != schema:
            raise ValueError(f"two different schemas are named {name}")


def _expansions(spec: Endpoint) -> list[dict[str, str]]:
    """One operation per value of each path parameter in `choices` (each act its own)."""
    expansions: list[dict[str, str]] = [{}]
    for name, allowed in spec.choices.items():
        expansions = [{**fixed, name: value} for fixed in expansions for value in allowed]
    return expansions


def _openapi_path(rule: Rule, fixed: dict[str, str]) -> str:
    """`/orders/<number>` -> `/orders/{number}`, with the `fixed` parameters written in."""
    return _ARGUMENT.sub(lambda m: fixed.get(m[2], "{" + m[2] + "}"), rule.rule)


def _path_parameters(rule: Rule, fixed: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer" if converter == "int" else "string"},
        }
        for converter, name in _ARGUMENT.findall(rule.rule)
        if name not in fixed
    ]


def _query_parameters(query: type[BaseModel]) -> list[dict[str, Any]]:
    schema = query.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        description = prop.pop("description", None)
        prop.pop("title", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _answer(spec: Endpoint, schemas: _Schemas) -> dict[str, Any]:
    if isinstance(spec.answer, str):
        schema = {"type": "object"} if spec.answer.endswith("json") else {"type": "string"}
        return {"description": "OK", "content": {spec.answer: {"schema": schema}}}
    return {
        "description": (spec.answer.__doc__ or spec.answer.__name__).strip().splitlines()[0],
        "content": {"application/json": {"schema": schemas.ref(spec.answer, "serialization")}},
    }


def _operation(
    rule: Rule, method: str, view: Any, spec: Endpoint, schemas: _Schemas, fixed: dict[str, str]
) -> dict[str, Any]:
    secured = getattr(view, "requires_token", False)
    parameters = _path_parameters(rule, fixed)
    if spec.query is not None:
        parameters += _query_parameters(spec.query)
    doc = (view.__doc__ or "").strip()
    suffix = "".join(f"_{value}" for value in fixed.values())
    operation: dict[str, Any] = {
        "operationId": f"{rule.endpoint.replace('.', '_')}{suffix}",
        "summary": doc.splitlines()[0] if doc else rule.endpoint.rpartition(".")[2],
        "tags": [rule.rule.removeprefix(PREFIX).split("/")[1]],
        "parameters": parameters,
        "responses": {str(spec.status): _answer(spec, schemas)},
        "security": [{"bearer": []}] if secured else [],
    }
    if spec.body is not None:
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": schemas.ref(spec.body, "validation")}},
        }
    errors = []
    if spec.body is not None or spec.query is not None or method in ("POST", "PATCH"):
        errors.append(400)
    if secured:
        errors += [401, 403]
    if rule.arguments:
        errors.append(404)
    if method in ("POST", "PATCH"):
        errors.append(409)
    error = {"content": {"application/json": {"schema": schemas.ref(ErrorOut, "serialization")}}}
    for status in errors:
        operation["responses"][str(status)] = {"description": _ERRORS[status], **error}
    return operation


def build(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every /api/v1 route of `app`."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        view = app.view_functions[rule.endpoint]
        spec: Endpoint | None = getattr(view, "api_endpoint", None)
        if spec is None:
            raise LookupError(f"{rule.rule} does not declare its models (api.contract)")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for fixed in _expansions(spec):
                operation = _operation(rule, method, view, spec, schemas, fixed)
                paths.setdefault(_openapi_path(rule, fixed), {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Order assistant API",
            "version": "1",
            "description": "Products, stock, customers, orders, returns, store operations, "
            "the handoff queue and reports. Send `Authorization: Bearer TOKEN` (from "
            "`python app.py create-api-token NAME [--location CODE]`, or ADMIN_API_TOKEN). "
            'Errors are `{"error": {"code", "message"}}`; money is a decimal string.',
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.components.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
