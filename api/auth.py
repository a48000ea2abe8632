"""Bearer-token authentication for /api/v1."""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import ParamSpec, TypeVar

from flask import g, request
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from api.errors import ApiError
from api.models import ApiToken, digest
from infra import clock
from infra.web import database, settings
from orders import inventory
from orders.events import Actor
from services.scope import Scope

P = ParamSpec("P")
T = TypeVar("T")


def create_token(
    session: Session, name: str, role: str = "admin", locations: Iterable[str] = ()
) -> str:
    """Make a token, store its digest, and return the token (shown once).

    `locations` limits what the token may do in store operations (fulfilment, returns
    received, stock moves) to those location codes; none means every location.
    """
    codes = sorted({inventory.get_location(session, code).code for code in locations})
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=digest(token), role=role, locations=",".join(codes)))
    session.flush()
    return token


# When a token was last used is kept to the nearest few minutes: a request whose token
# was marked recently reads it and writes nothing, so API reads never wait for a writer.
LAST_USED_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class Caller:
    name: str
    role: str
    locations: set[str] | None  # None: every location

    @property
    def scope(self) -> Scope:
        return Scope.stores(self.locations)


def _authenticate(token: str) -> Caller | None:
    admin_token = settings().admin_api_token
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Caller("admin-token", "admin", None)
    with database().reading() as session:
        row = session.scalar(
            select(ApiToken).where(
                ApiToken.token_hash == digest(token), ApiToken.revoked.is_(False)
            )
        )
        if row is None:
            return None
        caller = Caller(row.name, row.role, row.location_scope)
        marked = row.last_used_at
    now = clock.now(database())
    if marked is None or marked < now - LAST_USED_RESOLUTION:
        with database().transaction() as session:
            session.execute(
                update(ApiToken)
                .where(ApiToken.token_hash == digest(token))
                .where(
                    or_(
                        ApiToken.last_used_at.is_(None),
                        ApiToken.last_used_at < now - LAST_USED_RESOLUTION,
                    )
                )
                .values(last_used_at=now)
            )
    return caller


def require_token(view: Callable[P, T]) -> Callable[P, T]:
    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        found = _authenticate(token.strip()) if scheme.lower() == "bearer" and token else None
        if found is None:
            raise ApiError(401, "unauthorized", "A valid bearer token is required.")
        g.api_caller = found
        return view(*args, **kwargs)

    wrapper.requires_token = True  # type: ignore[attr-defined]  # api.openapi: "security"
    return wrapper


def api_scope() -> Scope:
    """What the calling token may act on (services.scope: one rule for every adapter)."""
    return g.api_caller.scope


def require_whole_shop(what: str) -> None:
    """Refuse a location-scoped token what only a whole-shop token may do."""
    if g.api_caller.locations is not None:
        raise ApiError(403, "forbidden", f"A token limited to stores cannot {what}.")


def api_actor() -> Actor:
    return Actor("system", f"api:{g.api_caller.name}", "api")
