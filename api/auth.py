"""Bearer-token authentication for /api/v1."""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import g, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import ApiError
from api.models import ApiToken, digest
from db import utcnow
from orders.events import Actor
from web import database, settings

P = ParamSpec("P")
T = TypeVar("T")


def create_token(session: Session, name: str, role: str = "admin") -> str:
    """Make a token, store its digest, and return the token (shown once)."""
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=digest(token), role=role))
    session.flush()
    return token


def _authenticate(token: str) -> tuple[str, str] | None:
    admin_token = settings().admin_api_token
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return "admin-token", "admin"
    with database().transaction() as session:
        row = session.scalar(
            select(ApiToken).where(
                ApiToken.token_hash == digest(token), ApiToken.revoked.is_(False)
            )
        )
        if row is None:
            return None
        row.last_used_at = utcnow()
        return row.name, row.role


def require_token(view: Callable[P, T]) -> Callable[P, T]:
    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        found = _authenticate(token.strip()) if scheme.lower() == "bearer" and token else None
        if found is None:
            raise ApiError(401, "unauthorized", "A valid bearer token is required.")
        g.api_token_name, g.api_role = found
        return view(*args, **kwargs)

    return wrapper


def api_actor() -> Actor:
    return Actor("system", f"api:{g.api_token_name}", "api")
