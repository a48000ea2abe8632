"""The NLU catalogue built from the database, rebuilt only when what it reads changes.

Building a `CatalogIndex` takes a while on a big catalogue (20 s for 100,000 products),
so `bootstrap()` wires a `CatalogCache` into each database it makes, which keeps the
index and re-checks a cheap fingerprint (counts of rows and of active rows, and the
newest `updated_at`, which every insert and edit moves) at most every `check_seconds`.
When the fingerprint moves, the cache reads the columns the index is built from and
compares them with those it was built from (a digest): most edits of a product (its
price, its low-stock threshold, its description) change none of them, and then the
index is kept rather than built again in every worker. The cache keys its index by the
database's URL, so one cache can serve databases made again for the same URL (the
conversation stories make one per story).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.nlu import CatalogIndex, LocationEntry, ProductEntry
from infra.db import Database, wired
from orders.models import Location, Product

log = logging.getLogger(__name__)

Fingerprint = tuple
CATALOG_CACHE = "catalog_cache"  # the database wiring's key


@dataclass
class _Entry:
    fingerprint: Fingerprint
    checked_at: float
    digest: int
    index: CatalogIndex


def _fingerprint(session: Session) -> Fingerprint:
    def of(model: type[Product] | type[Location]):  # type: ignore[no-untyped-def]
        return session.execute(
            select(
                func.count(model.id),  # a deleted row moves no updated_at
                func.sum(case((model.active.is_(True), 1), else_=0)),
                func.max(model.updated_at),
            )
        ).one()

    return (*of(Product), *of(Location))


Catalogue = tuple[list[ProductEntry], list[LocationEntry]]


def read_catalogue(session: Session) -> Catalogue:
    """The active products and locations, as the index is built from them, by id (the
    index breaks some ties by a product's place)."""
    # Columns, not ORM objects: 100,000 loaded products would take a worker's memory up
    # by a hundred MB while the index is built, and a process rarely gives that back.
    rows = session.execute(
        select(
            Product.sku,
            Product.name,
            Product.aliases,
            Product.category,
            Product.variant_of,
            Product.size,
            Product.colour,
            Product.unit,
        )
        .where(Product.active.is_(True))
        .order_by(Product.id),
        execution_options={"yield_per": 5000},  # read in parts, not all rows at once
    )
    products = [
        ProductEntry(
            sku=sku,
            name=name,
            aliases=tuple(a for a in aliases.split("|") if a),
            category=category,
            variant_of=variant_of,
            size=size,
            colour=colour,
            unit=unit,
        )
        for sku, name, aliases, category, variant_of, size, colour, unit in rows
    ]
    locations = [
        LocationEntry(code=loc.code, name=loc.name, address=loc.address)
        for loc in session.scalars(
            select(Location).where(Location.active.is_(True)).order_by(Location.id)
        )
    ]
    return products, locations


def digest(catalogue: Catalogue) -> int:
    """What the index would be built from, as one number (the same within a process)."""
    products, locations = catalogue
    return hash((tuple(products), tuple(locations)))


def build_index(session: Session) -> CatalogIndex:
    return CatalogIndex(*read_catalogue(session))


class CatalogCache:
    """`background`: once a process has an index, a new one is built in a thread while
    the old one goes on answering (a big catalogue takes seconds to index; every turn of
    the process would wait meanwhile). The first index is built in the caller."""

    def __init__(self, check_seconds: float = 5.0, *, background: bool = False) -> None:
        self.check_seconds = check_seconds
        self.background = background
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._building: dict[str, threading.Thread] = {}
        self._checking: dict[str, threading.Lock] = {}

    def get(self, session: Session) -> CatalogIndex:
        key = session.get_bind().engine.url.render_as_string(hide_password=True)
        if (entry := self._fresh(key)) is not None:
            return entry.index
        with self._lock:
            checking = self._checking.setdefault(key, threading.Lock())
        # One thread checks and builds at a time: a worker's answering threads starting
        # together wait for one index rather than each building its own.
        with checking:
            if (entry := self._fresh(key)) is not None:
                return entry.index
            return self._check(session, key, self._entries.get(key))

    def _fresh(self, key: str) -> _Entry | None:
        """The entry, if it needs no check yet (or a new index is being built aside)."""
        entry = self._entries.get(key)
        if entry is not None and (
            time.monotonic() - entry.checked_at < self.check_seconds or key in self._building
        ):
            return entry
        return None

    def _check(self, session: Session, key: str, entry: _Entry | None) -> CatalogIndex:
        now = time.monotonic()
        fingerprint = _fingerprint(session)
        if entry is not None and entry.fingerprint == fingerprint:
            entry.checked_at = now
            return entry.index
        catalogue = read_catalogue(session)
        read = digest(catalogue)
        if entry is not None and entry.digest == read:  # an edit the index does not read
            entry.fingerprint, entry.checked_at = fingerprint, now
            return entry.index
        if entry is None or not self.background:
            return self._build(key, fingerprint, catalogue, read)
        with self._lock:
            builder = threading.Thread(
                target=self._build_aside,
                args=(key, fingerprint, catalogue, read),
                name="catalogue index",
                daemon=True,
            )
            self._building[key] = builder
        builder.start()
        return entry.index

    def _build(
        self, key: str, fingerprint: Fingerprint, catalogue: Catalogue, read: int
    ) -> CatalogIndex:
        index = CatalogIndex(*catalogue)
        with self._lock:
            self._entries[key] = _Entry(fingerprint, time.monotonic(), read, index)
        return index

    def _build_aside(
        self, key: str, fingerprint: Fingerprint, catalogue: Catalogue, read: int
    ) -> None:
        """`_build` in a thread. A failure (no memory for a second index) keeps the old
        index until the next check: else every turn after it would read the catalogue and
        start another build."""
        try:
            self._build(key, fingerprint, catalogue, read)
        except Exception:
            log.exception("building the catalogue index aside failed; the old one answers")
            with self._lock:
                self._entries[key].checked_at = time.monotonic()
        finally:
            with self._lock:
                del self._building[key]

    def wait(self) -> None:
        """Until no index is being built aside (tests, benches)."""
        for builder in list(self._building.values()):
            builder.join()


def catalog(session: Session) -> CatalogIndex:
    """The catalogue index of the session's database, from the cache wired into it."""
    cache: CatalogCache = wired(session, CATALOG_CACHE)
    return cache.get(session)


def warm(database: Database) -> None:
    """Build the database's catalogue index now (a worker starting), so that its first
    turn finds it built, or waits for this build rather than starting its own."""
    with database.reading() as session:
        catalog(session)
