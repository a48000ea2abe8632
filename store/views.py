"""Store staff pages: what every store page shares, and the list of stores.

Store users work at the locations on their account; admins at every location; CSRs
may look at every location but not act. The location check runs on the server for
every route (`Desk` for forms, `visible_location` for pages), so a link typed by hand
is refused exactly like a hidden one would be.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from flask import g, render_template, request
from sqlalchemy.orm import Session

from backoffice import bp
from backoffice.auth import console_action, current_user, requires
from conversations import audit
from conversations.staff_models import CsrUser
from infra.input_guard import whole_number
from infra.web import database
from orders import inventory
from orders.errors import LocationAccessDenied, ValidationFailed
from orders.events import Actor
from orders.models import Location, Order, Return
from orders.queries import check_location_access
from store import reads as store_reads

# Who may act at a store, and who may look.
STAFF = ("store", "admin")
VIEWERS = ("store", "admin", "csr")


def scope(user: CsrUser) -> set[str] | None:
    """The location codes `user` is limited to, or None for all of them."""
    return {code.upper() for code in user.locations} if user.role == "store" else None


def visible_location(s: Session, code: str) -> Location:
    """The location of a store page, refused when the user does not work there."""
    check_location_access(scope(g.csr_user), code)
    return inventory.get_location(s, code)


def check_order_here(order: Order, location: Location) -> None:
    if order.location_id != location.id:
        raise LocationAccessDenied(
            f"Order {order.display_number} is handled by {order.location.name}, "
            f"not {location.name}.",
            location=order.location.code,
        )


def check_return_here(ret: Return, location: Location) -> None:
    """A return bound for (or received at) another store is that store's to handle."""
    if ret.location_id is not None and ret.location_id != location.id:
        assert ret.location is not None
        raise LocationAccessDenied(
            f"Return {ret.display_number} is handled by {ret.location.name}, not {location.name}.",
            location=ret.location.code,
        )


@dataclass
class Desk:
    """One store action: its transaction, who does it and where."""

    session: Session
    user: CsrUser
    code: str

    @cached_property
    def location(self) -> Location:
        return inventory.get_location(self.session, self.code)

    @property
    def actor(self) -> Actor:
        return Actor.csr(self.user.email)

    def audit(self, action: str, target_type: str, target_id: object, **details: Any) -> None:
        audit.record(
            self.session,
            self.user.email,
            action,
            target_type,
            target_id,
            location=self.location.code,
            **details,
        )


@contextmanager
def desk(code: str, done: str) -> Iterator[Desk]:
    """A store form's unit of work; a refusal is flashed and nothing is saved.

    The location check comes first, outside the transaction: acting at a store the
    user does not work at gets the 403 error page and never reaches a service.
    """
    check_location_access(scope(g.csr_user), code)
    with console_action(done) as s:
        yield Desk(s, current_user(s), code)


def form_int(name: str, what: str, *, default: int | None = None) -> int:
    """A whole number from the form, >= 0; a blank field is `default` when there is one."""
    raw = request.form.get(name, "").strip()
    if not raw and default is not None:
        return default
    value = whole_number(raw)
    if value is None:
        raise ValidationFailed(f"{what} must be a whole number.")
    return value


def form_text(name: str) -> str:
    return request.form.get(name, "").strip()


def render_store_page(template: str, location: Location, **context: Any) -> str:
    """A page inside the store frame: its tabs, and whether this user may act here."""
    return render_template(template, location=location, can_act=g.csr_user.role in STAFF, **context)


@bp.get("/store/")
@requires(*VIEWERS)
def stores():  # type: ignore[no-untyped-def]
    with database().transaction() as s:
        return render_template(
            "csr/store_home.html", locations=store_reads.locations(s, scope(g.csr_user))
        )
