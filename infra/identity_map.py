"""Rows a session has loaded, found again by a natural key without a statement.

A query for rows the session already holds returns the very objects of its identity map,
with the attributes they already have (SQLAlchemy does not overwrite loaded attributes
unless asked to): so where those objects can be found by their key in memory, the query
gives nothing new and costs a statement. A bot turn looks up the same products by SKU and
the same order by number two or three times; the first look `remember`s them in the
session (its identity map alone holds objects weakly: they would be gone by the second
look), later ones find them with `recall`.

Only what is still true is recalled: an object no longer in the session (a new order
undone by a rollback) or whose key or `needed` attributes are no longer loaded (expired by
a rollback) is left out, and the caller asks the database as before. What the session
remembers goes with it: a session is one request's or one bot turn's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")
_HELD = "identity_map.held"


def remember(session: Session, key: str, instances: Iterable[T]) -> list[T]:
    """Hold `instances` in the session, found again by their `key` attribute; returns them."""
    held: dict = session.info.setdefault(_HELD, {})
    instances = list(instances)
    for instance in instances:
        held[type(instance), key, instance.__dict__.get(key)] = instance
    return instances


def recall(
    session: Session, cls: type[T], key: str, values: Iterable[Any], needed: tuple[str, ...] = ()
) -> dict[Any, T]:
    """The remembered objects of `cls` whose `key` is one of `values`, by that value: those
    still in the session, not being deleted, with `key` and every `needed` attribute loaded
    (so reading them runs no statement)."""
    held: dict = session.info.get(_HELD) or {}
    found: dict[Any, T] = {}
    for value in values:
        instance = held.get((cls, key, value))
        if (
            instance is not None
            and instance.__dict__.get(key) == value
            and all(name in instance.__dict__ for name in needed)
            and instance in session
            and instance not in session.deleted
        ):
            found[value] = instance
    return found
