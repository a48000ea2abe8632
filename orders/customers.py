"""Customers, the identities they reach us from, and their purchase history."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, func, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from orders.errors import (
    CustomerNotFound,
    DuplicateIdentity,
    LocationAccessDenied,
    ValidationFailed,
)
from orders.models import Customer, CustomerIdentity, Order
from orders.phones import normalise_phone, typed_phone
from orders.queries import location_ids, name_contains

IDENTITY_KINDS = ("phone", "telegram", "email")
MAX_NAME = 200
MAX_ADDRESS = 500


@functools.lru_cache(maxsize=10_000)  # every email webhook asks twice, mostly the same senders
def normalise_email(raw: str) -> str:
    """The one check of an email address (customers' and console users'): email-validator's
    syntax rules, without a DNS look-up; the domain lower-cased, the local part kept."""
    value = raw.strip()
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationFailed(f"{value!r} is not an email address.") from exc


def normalise_identity(kind: str, value: str) -> str:
    value = value.strip()
    if kind == "phone":
        return normalise_phone(value)
    if kind == "email":
        return normalise_email(value)
    if kind == "telegram":
        if not value.isdigit():
            raise ValidationFailed(f"{value!r} is not a Telegram user id.")
        return value
    raise ValidationFailed(f"Unknown identity kind {kind!r}.")


def check_text(value: str, limit: int, what: str) -> str:
    value = value.strip()
    if len(value) > limit:
        raise ValidationFailed(
            f"The {what} is too long ({len(value)} characters, at most {limit})."
        )
    return value


def get_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(f"There is no customer {customer_id}.")
    return customer


def customers_by_id(session: Session, ids: Collection[int]) -> dict[int, Customer]:
    """These customers by id, in one statement (their identities load when read)."""
    found = session.scalars(select(Customer).where(Customer.id.in_(set(ids)))) if ids else []
    return {customer.id: customer for customer in found}


def find_by_identity(session: Session, kind: str, value: str) -> CustomerIdentity | None:
    return session.scalar(_BY_IDENTITY, {"kind": kind, "value": normalise_identity(kind, value)})


# Every delivered SMS and every webhook asks: built once, its cache key with it.
_BY_IDENTITY = select(CustomerIdentity).where(
    CustomerIdentity.kind == bindparam("kind"), CustomerIdentity.value == bindparam("value")
)


def create_customer(
    session: Session,
    name: str = "",
    default_address: str = "",
    identities: dict[str, str] | None = None,
) -> Customer:
    customer = Customer(
        name=check_text(name, MAX_NAME, "name"),
        default_address=check_text(default_address, MAX_ADDRESS, "address"),
    )
    session.add(customer)
    session.flush()
    for kind, value in (identities or {}).items():
        add_identity(session, customer, kind, value)
    return customer


def add_identity(
    session: Session, customer: Customer, kind: str, value: str, *, verified: bool = False
) -> CustomerIdentity:
    normalised = normalise_identity(kind, value)
    existing = find_by_identity(session, kind, normalised)
    if existing is not None:
        if existing.customer_id != customer.id:
            raise DuplicateIdentity(f"That {kind} already belongs to another customer.")
        return existing
    identity = CustomerIdentity(customer=customer, kind=kind, value=normalised, verified=verified)
    session.add(identity)
    session.flush()
    return identity


def check_customer_scope(
    session: Session, customer_id: int, location_codes: Collection[str] | None
) -> None:
    """Refuse a caller limited to `location_codes` a customer who never ordered there.

    None means every location. A store sees the customers it has served, no others:
    naming anyone else (by id, phone or email) is refused with the same answer.
    """
    if location_codes is None or purchase_history(
        session, customer_id, 1, location_codes=location_codes
    ):
        return
    raise LocationAccessDenied(
        f"You can only see customers who ordered at {', '.join(sorted(location_codes))}.",
        customer_id=customer_id,
    )


def customer_for_identity(
    session: Session,
    kind: str,
    value: str,
    name: str = "",
    *,
    location_codes: Collection[str] | None = None,
) -> Customer:
    """The customer this phone / Telegram id / email belongs to, created on first contact.

    A caller limited to `location_codes` may create a customer, or find one who ordered
    at those locations; another store's customer is refused, not adopted.
    Two first messages racing from the same address both try to insert; the loser's
    savepoint rolls back on the unique constraint and it reads the winner's row.
    """
    existing = find_by_identity(session, kind, value)
    if existing is None:
        try:
            with session.begin_nested():
                return create_customer(session, name=name, identities={kind: value})
        except IntegrityError:
            existing = find_by_identity(session, kind, value)
            if existing is None:
                raise
    check_customer_scope(session, existing.customer_id, location_codes)
    return existing.customer


def merge_customers(session: Session, keep: Customer, other: Customer) -> Customer:
    """Make `other`'s identities and orders `keep`'s: one person, one history."""
    if keep.id == other.id:
        return keep
    for identity in list(other.identities):
        identity.customer_id = keep.id
    for order in session.scalars(select(Order).where(Order.customer_id == other.id)):
        order.customer_id = keep.id
    keep.name = keep.name or other.name
    keep.default_address = keep.default_address or other.default_address
    session.flush()
    return keep


def search_customers(
    session: Session, query: str, limit: int = 50, *, location_codes: Collection[str] | None = None
) -> list[Customer]:
    """By part of a name, email or phone number (in any format); newest first.

    `location_codes` keeps customers with an order at one of those locations (None: all).
    """
    query = query.strip()
    scope = []
    if location_codes is not None:
        ordered_here = select(Order.customer_id).where(
            Order.location_id.in_(location_ids(location_codes))
        )
        scope.append(Customer.id.in_(ordered_here))
    if not query:
        return list(
            session.scalars(
                select(Customer).where(*scope).order_by(Customer.id.desc()).limit(limit)
            )
        )
    # One indexed lookup per way of matching, their ids united: an OR of IN-subqueries
    # reads every customer instead (on PostgreSQL the contains lookups use trigram indexes).
    matches = [
        select(Customer.id).where(name_contains(query)),
        select(CustomerIdentity.customer_id).where(
            func.lower(CustomerIdentity.value).contains(query.lower())
        ),
    ]
    phone = typed_phone(query)
    digits = re.sub(r"\D", "", query)
    if phone is not None:  # a whole number, in any format: its identity, by equality
        matches.append(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == "phone", CustomerIdentity.value == phone
            )
        )
    elif len(digits) >= 4:  # the end of a number, or a part of one
        matches.append(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == "phone",
                func.lower(CustomerIdentity.value).contains(digits),
            )
        )
    return list(
        session.scalars(
            select(Customer)
            .where(Customer.id.in_(union(*matches)), *scope)
            .options(selectinload(Customer.identities))
            .order_by(Customer.id.desc())
            .limit(limit)
        )
    )


def purchase_history(
    session: Session,
    customer_id: int,
    limit: int = 50,
    *,
    location_codes: Collection[str] | None = None,
) -> list[Order]:
    """The customer's orders, newest first (only those at `location_codes` when given)."""
    scope = []
    if location_codes is not None:
        scope.append(Order.location_id.in_(location_ids(location_codes)))
    return list(
        session.scalars(
            select(Order)
            .where(Order.customer_id == customer_id, *scope)
            .options(selectinload(Order.lines))
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )
