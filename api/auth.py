"""Bearer-token authentication for /api/v1."""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from flask import g, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import ApiError
from api.models import ApiToken, digest
from infra.db import utcnow
from infra.web import database, settings
from orders import customers, inventory, queries
from orders.events import Actor
from orders.models import Order, Return

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


@dataclass(frozen=True)
class Caller:
    name: str
    role: str
    locations: set[str] | None  # None: every location


def _authenticate(token: str) -> Caller | None:
    admin_token = settings().admin_api_token
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Caller("admin-token", "admin", None)
    with database().transaction() as session:
        row = session.scalar(
            select(ApiToken).where(
                ApiToken.token_hash == digest(token), ApiToken.revoked.is_(False)
            )
        )
        if row is None:
            return None
        row.last_used_at = utcnow()
        return Caller(row.name, row.role, row.location_scope)


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


def require_location(code: str) -> None:
    """Refuse (403) a location-scoped token acting on another location."""
    queries.check_location_access(g.api_caller.locations, code)


def caller_locations() -> set[str] | None:
    """The locations the calling token is limited to; None for every location."""
    return g.api_caller.locations


# A location-scoped token sees only orders fulfilled from its locations, returns of
# those orders or received there, and customers who ordered there. Naming anything
# else by number or id is refused with 403 location_access_denied (as every other
# out-of-scope act is); lists leave it out.


def require_order_access(order: Order) -> None:
    require_location(order.location.code)


def require_return_access(ret: Return) -> None:
    scope = caller_locations()
    if scope is None or (ret.location is not None and ret.location.code in scope):
        return
    require_location(ret.order.location.code)


def require_customer_access(session: Session, customer_id: int) -> None:
    customers.check_customer_scope(session, customer_id, caller_locations())


def require_whole_shop(what: str) -> None:
    """Refuse a location-scoped token what only a whole-shop token may do."""
    if caller_locations() is not None:
        raise ApiError(403, "forbidden", f"A token limited to stores cannot {what}.")


def api_actor() -> Actor:
    return Actor("system", f"api:{g.api_caller.name}", "api")
