"""Who may use the web chat: which sites (origins), and which visitor (a signed token).

Sites: a browser names the page's origin in the `Origin` header of every cross-site
request and of every POST. A request from an origin that is neither the app's own nor
in CHAT_ALLOWED_ORIGINS is refused before any view runs, and only allowed origins get
CORS headers, so a page elsewhere can neither talk to the chat nor read its answers.

Visitors: a conversation is named by a random chat id inside a token signed with
SECRET_KEY. The widget keeps it in the page's localStorage and sends it in the
`X-Chat-Token` header. Not a cookie: a browser attaches cookies to a forged cross-site
request (CSRF) and drops them inside third-party pages; a header is sent only by our
own script, so another site cannot post as someone else's conversation.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Response, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from infra.web import settings

TOKEN_HEADER = "X-Chat-Token"
TOKEN_MAX_AGE_SECONDS = 180 * 24 * 3600  # a customer back after months starts afresh
PREFLIGHT_MAX_AGE_SECONDS = 600


class InvalidToken(Exception):
    """A chat token that is forged, from another SECRET_KEY, or too old."""


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _is_own(origin: str) -> bool:
    """The app's own pages: PUBLIC_BASE_URL's origin, or the host this request was sent to
    (behind a proxy that ends TLS the request's scheme is http while the page's is https)."""
    public = settings().public_base_url
    return (bool(public) and origin == _origin_of(public)) or (
        urlsplit(origin).netloc == request.host.lower()
    )


def origin_allowed() -> bool:
    """No Origin header is a same-origin GET (browsers send one on anything else)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    origin = origin.lower()
    return _is_own(origin) or origin in settings().chat_allowed_origins


def add_cors_headers(response: Response) -> Response:
    """Let an allowed embedding site read the answer (and send our header and JSON)."""
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin is not None and origin_allowed():
        response.headers["Access-Control-Allow-Origin"] = origin
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST"
            response.headers["Access-Control-Allow-Headers"] = f"Content-Type, {TOKEN_HEADER}"
            response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_SECONDS)
    return response


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().secret_key, salt="webchat")


def new_chat_id() -> str:
    return secrets.token_urlsafe(18)


def token_for(chat_id: str) -> str:
    return _serializer().dumps(chat_id)


def chat_id_from_request() -> str | None:
    """The visitor's chat id; None when they have no token yet."""
    token = request.headers.get(TOKEN_HEADER)
    if not token:
        return None
    try:
        chat_id = _serializer().loads(token, max_age=TOKEN_MAX_AGE_SECONDS)
    except BadSignature as exc:  # SignatureExpired is one too
        raise InvalidToken from exc
    if not isinstance(chat_id, str):
        raise InvalidToken
    return chat_id
