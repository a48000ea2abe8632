"""Request helpers the webhooks share: strict body decoding and the URL the provider signed."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from flask import Request

from conversations.inbound import BadRequest
from infra.settings import Settings

FORM = "application/x-www-form-urlencoded"
MAX_FIELDS = 200


def strict_form(request: Request) -> dict[str, str]:
    """The form fields, refusing anything that is not well-formed UTF-8.

    Werkzeug would silently replace bad bytes; a provider never sends them, so such
    a request is refused before anything is stored. Multipart (Mailgun with
    attachments) is parsed by Werkzeug and checked for replacement characters.
    """
    if request.mimetype == FORM:
        try:
            body = request.get_data(cache=True).decode("utf-8")
            pairs = parse_qsl(
                body, keep_blank_values=True, strict_parsing=bool(body), errors="strict"
            )
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest("the form is not valid UTF-8 url-encoded data") from exc
        if len(pairs) > MAX_FIELDS:
            raise BadRequest("too many form fields")
        return dict(pairs)
    if request.mimetype == "multipart/form-data":
        form = request.form.to_dict()
        if any("\ufffd" in value for value in form.values()):
            raise BadRequest("the form is not valid UTF-8")
        return form
    raise BadRequest(f"unsupported content type {request.mimetype or 'none'}", 415)


def signed_url(request: Request, settings: Settings) -> str:
    """The URL the provider called: PUBLIC_BASE_URL + path behind a proxy, else the request's."""
    if not settings.public_base_url:
        return request.url
    query = request.query_string.decode("latin-1")
    return settings.public_base_url + request.path + (f"?{query}" if query else "")


def strict_json(request: Request) -> dict:
    """A JSON object body in well-formed UTF-8, or BadRequest."""
    try:
        value = json.loads(request.get_data(cache=True).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("the body is not valid UTF-8 JSON") from exc
    if not isinstance(value, dict):
        raise BadRequest("the body is not a JSON object")
    return value
