"""The world a story starts in: a fresh database with its catalog, then its `given` block.

Each story gets a database of its own. On SQLite that is a copy of a template per
catalog (migrated and loaded once); on PostgreSQL every table is emptied and the
catalog is loaded again. The catalog goes in through the CSV importers that
`python app.py import` uses, and the customers, orders, returns and stock levels of
`given` through the domain's own service functions, so every story starts from a
state the product itself could have reached.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session

from bot.catalog_cache import CatalogCache
from conversations.staff_models import Handoff
from entrypoints import schema
from infra.db import Database, dispose_engine, make_engine, utcnow
from orders import csv_import, customers, fulfilment, inventory, ordering, returns
from orders.events import Actor
from orders.models import Customer, Order, Return
from tests.conversations.stories import NEW_CUSTOMER, GivenOrder, GivenReturn, Story

ROOT = Path(__file__).resolve().parents[2]
CATALOG_DIRS = {
    "demo": ROOT / "orders" / "demo",
    "apparel": ROOT / "examples" / "apparel",
    "hardware": ROOT / "examples" / "hardware",
    "grocery": ROOT / "examples" / "grocery",
}
SETUP = Actor.system("story")
STAFF = Actor.csr("staff@stories.example")
# A story's stranger texts from this number (and the web chat has no identity at all).
STRANGER_PHONE = "+15555559999"


def load_catalog(session: Session, catalog: str) -> None:
    """Locations, products and stock from the catalog's CSV files."""
    folder = CATALOG_DIRS[catalog]
    csv_import.import_locations(session, (folder / "locations.csv").read_bytes())
    csv_import.import_catalog(session, (folder / "catalog.csv").read_bytes())
    csv_import.import_stock(session, (folder / "stock.csv").read_bytes(), actor="story")


class StoryDatabases:
    """Fresh databases for stories, from one migrated empty database (`base_url`).

    SQLite: one loaded template file per catalog in `workdir`, copied for each story to
    a file per catalog (the bot's catalogue cache, `catalog_cache`, shared by every
    story's wiring, keeps an index per database URL; one URL per catalog keeps it right
    and spares each story building its catalog's index again). PostgreSQL: the same
    database for every story, emptied and reloaded, reached under one URL per catalog
    for the same reason. The first load of a catalog goes through the importers; its
    rows are kept and put back for the next story, which takes milliseconds where the
    importers take seconds.

    Every story of a catalog shares one engine (`engine`): a worker process answers all
    its conversations with one, whose statement caches are warm after its first turns;
    an engine per story would make every story's first turn compile its statements
    anew, which no running worker does. Each story still closes the engine's
    connections (the SQLite file under them is replaced); `close` disposes the engines.
    """

    def __init__(self, base_url: str, workdir: Path) -> None:
        self.base_url = base_url
        self.workdir = workdir
        self.is_sqlite = base_url.startswith("sqlite")
        self._templates: dict[str, Path] = {}
        self._rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self._engines: dict[str, Engine] = {}
        self.catalog_cache = CatalogCache()

    def engine(self, url: str) -> Engine:
        """The engine every story on `url` (one per catalog) shares."""
        if url not in self._engines:
            self._engines[url] = make_engine(url)
        return self._engines[url]

    def close(self) -> None:
        for engine in self._engines.values():
            dispose_engine(engine)
        self._engines.clear()

    def fresh(self, catalog: str) -> str:
        """The URL of a database holding only `catalog`, nothing else."""
        if self.is_sqlite:
            copy = self.workdir / f"story-{catalog}.db"
            for leftover in self.workdir.glob(f"story-{catalog}.db*"):
                leftover.unlink()
            shutil.copy(self._template(catalog), copy)
            return f"sqlite:///{copy}"
        url = (
            make_url(self.base_url)
            .update_query_dict({"application_name": f"stories-{catalog}"})
            .render_as_string(hide_password=False)
        )
        engine = self.engine(url)
        with engine.begin() as connection:
            _empty(connection)
            for table in TABLES:
                if rows := self._rows.get(catalog, {}).get(table.name):
                    connection.execute(table.insert(), rows)
            _restart_ids(connection)
        if catalog not in self._rows:
            _load(url, catalog)
            with engine.connect() as connection:
                self._rows[catalog] = {
                    table.name: [dict(row) for row in connection.execute(select(table)).mappings()]
                    for table in TABLES
                }
        return url

    def _template(self, catalog: str) -> Path:
        if catalog not in self._templates:
            template = self.workdir / f"template-{catalog}.db"
            shutil.copy(make_url(self.base_url).database or "", template)
            _load(f"sqlite:///{template}", catalog)
            self._templates[catalog] = template
        return self._templates[catalog]


TABLES = schema.metadata.sorted_tables


def _empty(connection: Connection) -> None:
    for table in reversed(TABLES):
        connection.execute(table.delete())


def _restart_ids(connection: Connection) -> None:
    """Each table's id sequence on from its highest id, as after a fresh load."""
    for table in TABLES:
        if "id" not in table.c:
            continue
        sequence = connection.scalar(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
        )
        if sequence:
            highest = connection.scalar(select(func.max(table.c.id))) or 0
            connection.execute(
                text("SELECT setval(:sequence, :next, false)"),
                {"sequence": sequence, "next": highest + 1},
            )


def _load(url: str, catalog: str) -> None:
    database = Database(url)
    try:
        with database.transaction() as session:
            load_catalog(session, catalog)
    finally:
        database.dispose()


@dataclass(frozen=True)
class Snapshot:
    """What a given order looked like before the conversation."""

    status: str
    items: dict[str, int]
    fulfilment: str
    address: str

    @classmethod
    def of(cls, order: Order) -> Snapshot:
        return cls(order.status, active_items(order), fulfilment_of(order), order.address)


def active_items(order: Order) -> dict[str, int]:
    """SKU -> quantity still ordered (not cancelled)."""
    return {line.sku: line.active_quantity for line in order.lines if line.active_quantity}


def fulfilment_of(order: Order) -> str:
    if order.fulfillment_method == "pickup":
        return f"pickup at {order.location.code}"
    return "delivery"


@dataclass
class World:
    """What `given` made: order refs to ids, who is speaking, and where new rows start."""

    orders: dict[str, int] = field(default_factory=dict)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    speaker_name: str = ""
    speaker_identity: tuple[str, str] | None = None
    last_order_id: int = 0
    last_return_id: int = 0
    last_handoff_id: int = 0


def build(session: Session, story: Story) -> World:
    """Apply the story's `given` block; flushes, the caller commits."""
    world = World()
    for level in story.given.stock:
        product = ordering.get_product(session, level.sku)
        location = inventory.get_location(session, level.location)
        inventory.set_on_hand(session, product.id, location.id, level.on_hand, "story")
    people: dict[str, Customer] = {}
    for given in story.given.customers:
        person = customers.create_customer(session, given.name, given.address, given.identities)
        people[given.name] = person
        for order_spec in given.orders:
            order = _order(session, person, order_spec)
            world.orders[order_spec.ref] = order.id
            world.snapshots[order_spec.ref] = Snapshot.of(order)
    if story.speaker != NEW_CUSTOMER:
        speaker = people[story.speaker]
        world.speaker_name = speaker.name
        world.speaker_identity = _identity_for(story, speaker)
    elif story.channel != "web":
        kind = "email" if story.channel == "email" else "phone"
        value = "stranger@stories.example" if kind == "email" else STRANGER_PHONE
        world.speaker_identity = (kind, value)
    session.flush()
    world.last_order_id = session.scalar(select(func.max(Order.id))) or 0
    world.last_return_id = session.scalar(select(func.max(Return.id))) or 0
    world.last_handoff_id = session.scalar(select(func.max(Handoff.id))) or 0
    return world


def _identity_for(story: Story, speaker: Customer) -> tuple[str, str]:
    """The identity the speaker writes from on the story's channel."""
    wanted = {"sms": "phone", "console": "phone", "telegram": "telegram", "email": "email"}
    kind = wanted.get(story.channel)
    found = next((i for i in speaker.identities if i.kind == kind), None)
    if found is None:
        raise ValueError(f"{story.name}: {speaker.name} has no {kind} to use {story.channel}")
    return found.kind, found.value


def _order(session: Session, person: Customer, spec: GivenOrder) -> Order:
    order = ordering.place_order(
        session,
        person,
        spec.items,
        method="pickup" if spec.pickup else "delivery",
        address=spec.address,
        pickup_location_code=spec.pickup,
        actor=SETUP,
    )
    status = spec.status
    if status == "processing":
        fulfilment.mark_processing(session, order, actor=STAFF)
    if status in ("ready_for_pickup", "picked_up"):
        fulfilment.mark_ready_for_pickup(session, order, actor=STAFF)
    if status == "picked_up":
        fulfilment.mark_picked_up(session, order, order.pickup_code, actor=STAFF)
    if status in ("shipped", "delivered"):
        tracking = spec.tracking or f"1ZSTORY{order.number}"
        fulfilment.ship(session, order, carrier=spec.carrier, tracking_number=tracking, actor=STAFF)
    if status == "delivered":
        fulfilment.mark_delivered(session, order, actor=STAFF)
    if status == "cancelled":
        ordering.cancel_order(session, order, actor=SETUP, reason="changed mind")
    for ret in spec.returns:
        _return(session, order, ret)
    _backdate(order, spec.days_ago)
    return order


def _return(session: Session, order: Order, spec: GivenReturn) -> Return:
    ret = returns.request_return(
        session,
        order,
        spec.items,
        method=spec.method,
        location_code=spec.location,
        actor=SETUP,
        reason=spec.reason,
    )
    if spec.status in ("approved", "received", "refunded"):
        returns.approve_return(session, ret, actor=STAFF)
    if spec.status in ("received", "refunded"):
        where = spec.location or order.location.code
        returns.receive_return(session, ret, actor=STAFF, location_code=where)
    if spec.status == "refunded":
        returns.refund_return(session, ret, actor=STAFF)
    return ret


def _backdate(order: Order, days_ago: float) -> None:
    """Move the order's history back so that its latest step was `days_ago` days ago
    (earlier steps a few days before that)."""
    if not days_ago:
        return
    latest = utcnow() - timedelta(days=days_ago)
    earlier = latest - timedelta(days=2)
    order.placed_at = latest if order.status == "placed" else latest - timedelta(days=3)
    if order.ready_at:
        order.ready_at = latest if order.status == "ready_for_pickup" else earlier
    for shipment in order.shipments:
        shipment.shipped_at = latest if order.status == "shipped" else earlier
        if shipment.delivered_at:
            shipment.delivered_at = latest
    if order.fulfilled_at:
        order.fulfilled_at = latest if order.status == "picked_up" else earlier
    if order.delivered_at:
        order.delivered_at = latest
