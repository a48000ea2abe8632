"""Each /api/v1 view declares what it reads and answers; `endpoint` holds it to that.

The declaration is also what `api.openapi` describes, so the document cannot drift from
what the views do: the query string and the JSON body are validated through the
declared models before the view runs (a wrong shape is a 400 in the one error shape),
and the model the view returns is serialized as JSON with the declared status.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Response, jsonify, request
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from api.errors import ApiError


@dataclass(frozen=True)
class Endpoint:
    """What one view reads and answers (the answer is a model class, or a media type)."""

    status: int
    answer: type[BaseModel] | str
    query: type[BaseModel] | None = None
    body: Any = None  # a model class or an annotated union of them
    # Path parameters that name one of a few acts (`/returns/R1/<action>`): their values.
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @functools.cached_property
    def body_adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.body)


def problem(error: ErrorDetails) -> ApiError:
    """One pydantic error as the API's 400: the field's name, then what is wrong with it."""
    field = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    ours = "url" not in error  # raised in api.inputs: its type is the API's code
    if kind == "missing":
        code, phrase = "missing_field", "is required."
    elif ours:
        code, phrase = kind, error["msg"]
    else:
        code, phrase = "bad_field", f"is not valid ({error['msg'].lower()})."
    return ApiError(400, code, f"{field} {phrase}" if field else phrase)


def _validated(adapter: Callable[[Any], Any], data: object) -> Any:
    try:
        return adapter(data)
    except ValidationError as exc:
        raise problem(exc.errors()[0]) from None


def _json_body() -> object:
    """The request's JSON object; no body at all reads as {}."""
    data = request.get_json(silent=True)
    if data is None and not request.data:
        return {}
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "The request body must be a JSON object.")
    return data


def endpoint(
    answer: type[BaseModel] | str,
    *,
    status: int = 200,
    query: type[BaseModel] | None = None,
    body: Any = None,
    choices: dict[str, tuple[str, ...]] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a view's query model, body model and answer (a model, or a media type for
    views that build their own Response). The view gets `query=` and `body=` keyword
    arguments with the validated models and returns an instance of `answer`; a path
    parameter listed in `choices` with another value is a 404."""
    spec = Endpoint(status, answer, query, body, choices or {})

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            for name, allowed in spec.choices.items():
                if kwargs[name] not in allowed:
                    raise ApiError(404, "not_found", f"No {name} {kwargs[name]!r} here.")
            if spec.query is not None:
                kwargs["query"] = _validated(spec.query.model_validate, request.args.to_dict())
            if spec.body is not None:
                kwargs["body"] = _validated(spec.body_adapter.validate_python, _json_body())
            result = view(**kwargs)
            if isinstance(result, Response):
                return result
            if not isinstance(answer, type) or not isinstance(result, answer):
                raise TypeError(f"{view.__name__} answered {type(result).__name__}")
            return jsonify(result.model_dump(mode="json", by_alias=True)), spec.status

        wrapper.api_endpoint = spec  # type: ignore[attr-defined]
        return wrapper

    return decorate
