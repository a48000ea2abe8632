"""Store staff pages: what every store page shares, and the list of stores.

Store users work at the locations on their account; admins at every location; CSRs
may look at every location but not act. Who may act where is one rule for every
adapter (`services.scope`): a store page checks it for every route (`Desk` for forms,
`visible_location` for pages), so a link typed by hand is refused exactly like a hidden
one would be, and acting at a store's counter is limited to that store's orders and
returns (`Scope.at`).
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
from backoffice.auth import console_work, current_user, requires, staff_scope
from conversations import audit
from conversations.staff_models import CsrUser
from infra.input_guard import whole_number
from infra.web import database
from orders import inventory
from orders.errors import ValidationFailed
from orders.events import Actor
from orders.models import Location
from services.scope import Scope
from services.uow import UnitOfWork
from store import reads as store_reads

# Who may act at a store, and who may look.
STAFF = ("store", "admin")
VIEWERS = ("store", "admin", "csr")


def visible_location(s: Session, code: str) -> Location:
    """The location of a store page, refused when the user does not work there."""
    staff_scope().check_location(code)
    return inventory.get_location(s, code)


@dataclass
class Desk:
    """One store action: its unit of work, who does it, and the counter they stand at."""

    uow: UnitOfWork
    user: CsrUser
    code: str
    scope: Scope

    @property
    def session(self) -> Session:
        return self.uow.session

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
    scope = staff_scope().at(code)
    with console_work(done) as uow:
        yield Desk(uow, current_user(uow.session), code, scope)


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
    with database().reading() as s:
        return render_template(
            "csr/store_home.html", locations=store_reads.locations(s, staff_scope().codes)
        )
