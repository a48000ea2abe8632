"""The same questions asked of the demo shop and of a big shop, on PostgreSQL.

    python bench/scale.py [--scale 1] [--reps 200] [--url postgresql+psycopg://…/db]
                          [--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Both shops start from the demo (`python app.py seed-demo`'s data and console); the big
one then gets `bench.bigshop`'s rows by COPY (1,000,000 orders at `--scale 1`). The big
shop goes into `--url` when given (an empty database; one that already holds a big shop
is measured again without generating it, after migrating it to head), else into a new
database on `--server`, dropped afterwards. The demo shop always goes into a new one.

Measured on each, `--reps` times after a short warm-up (the two shops take turns, five
rounds each, so a shared host's drift weighs on both alike), medians and p99 in ms:

- bot turns through the worker's own path (`conversations.intake.store`, then
  `bot.answering.answer_conversation`): a tracking question, and an order change ("make
  it 2 grinders", answered with a preview) with the "no" that leaves the order be, timed
  together, from the demo customer Jo Rivera, who has the same orders in both shops;
  and a tracking question from one of the big shop's customers;
- `/api/v1` through the Flask test client with a real token: orders by the customer's
  phone, name, order number, SKU, status (and the next page), by customer id; customer
  search by phone and name; a customer with their purchase history;
- the console, logged in as a CSR: the queue, a customer page, a search by name and one
  of the messages (a product's name, or words many customers say); the store pickup list;
  the pickup sweep (rolled back each time);
- once: `python app.py import catalog` of a 100,000-product CSV (new SKUs); and the
  memory of a process that serves only the API and console probes on the big shop.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # not bench/: bench/orders.py would shadow the orders package

import psycopg  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import create_engine, event, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import app as application  # noqa: E402
from api.auth import create_token  # noqa: E402
from bench import bigshop  # noqa: E402
from bot.answering import answer_conversation  # noqa: E402
from conversations import staff  # noqa: E402
from conversations.inbound import InboundMessage  # noqa: E402
from conversations.intake import store  # noqa: E402
from conversations.models import Conversation  # noqa: E402
from infra import heap  # noqa: E402
from infra.settings import load_settings  # noqa: E402
from orders import customers  # noqa: E402
from orders.demo import CUSTOMERS  # noqa: E402
from orders.models import Customer, Order, Product  # noqa: E402
from orders.stockops import sweep_uncollected_pickups  # noqa: E402

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
JO_PHONE = CUSTOMERS[0][2]["phone"]
CSR_EMAIL, CSR_PASSWORD = "bench@example.com", "bench password 17"
WARM_UP = 3
ROUNDS = 5
IMPORT_PRODUCTS = 100_000
# The targets (#17), per row; turns are judged against the demo instead.
API_P99_MS = 50
CONSOLE_P99_MS = 200
TURN_RATIO = 1.5
IMPORT_SECONDS = 60
MEMORY_MB = 300


@dataclass
class Row:
    name: str
    target: str
    times: list[float]  # seconds, one per repetition
    figure: float | None = None  # or one figure (MB, s) instead
    statements: int | None = None  # SQL statements one repetition sends

    def cells(self) -> str:
        if self.figure is not None:
            return f"{self.figure:,.1f}"
        ms = f"{statistics.median(self.times) * 1000:.1f} / {p99(self.times) * 1000:.1f}"
        return ms if self.statements is None else f"{ms} ({self.statements} st.)"


@dataclass
class Shop:
    """What a shop's questions are about: values picked from its own data."""

    phones: list[str]
    names: list[str]
    numbers: list[int]
    skus: list[str]
    customer_ids: list[int]
    store: str
    big_phone: str | None  # a generated customer's, for a second tracking turn
    said: list[str]  # words of a few conversations' messages (the console finds them)


def cycle(values: list) -> Callable[[int], object]:  # type: ignore[type-arg]
    return lambda i: values[i % len(values)]


def timed(reps: int, run: Callable[[int], object], first: int) -> list[float]:
    """Seconds of each run, repetitions first, first + 1, …"""
    times = []
    for i in range(first, first + reps):
        started = time.perf_counter()
        run(i)
        times.append(time.perf_counter() - started)
    return times


def p99(times: list[float]) -> float:
    return statistics.quantiles(times, n=100)[98] if len(times) > 1 else times[0]


@contextmanager
def new_database(server: str, prefix: str) -> Iterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def big_database(url: str | None, server: str) -> Iterator[str]:
    """`url` as it is, else a new database on `server`, dropped afterwards."""
    if url:
        yield url
        return
    with new_database(server, "scale_big") as made:
        yield made


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(url: str) -> Flask:
    """The real app on `url`, migrated and seeded with the demo when empty; the bot
    answers every message (no per-sender limit: one number asks hundreds of times)."""
    settings = load_settings(
        database_url=url, secret_key="bench", sender_answers_per_minute=1_000_000
    )
    app = application.create_app(settings)
    application.seed(app)
    return app


def fill_big_shop(app: Flask, url: str, scale: float) -> None:
    with app.extensions["db"].reading() as session:
        there = session.scalar(select(Product.id).where(Product.sku == bigshop.product_sku(0)))
        talked = session.scalar(
            select(Conversation.id).where(Conversation.address == bigshop.phone(0))
        )
    if there and not talked:  # generated before conversations were part of it
        print(f"big shop: adding its conversations at scale {scale}")
        with psycopg.connect(libpq(url)) as connection:
            bigshop.BigShop(connection, scale).add_conversations()
            connection.autocommit = True
            connection.execute("VACUUM ANALYZE conversations, messages")
    if there:
        print("big shop: already there, measuring it again")
        return
    print(f"big shop: generating at scale {scale}")
    started = time.monotonic()
    with psycopg.connect(libpq(url)) as connection:
        bigshop.BigShop(connection, scale).generate()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
    print(f"big shop: {time.monotonic() - started:.0f} s with VACUUM ANALYZE")


def shop_values(app: Flask, big: bool) -> Shop:
    """Values to ask about, spread over the shop (the demo has only its own)."""
    with app.extensions["db"].reading() as session:
        if not big:
            jo = customers.find_by_identity(session, "phone", JO_PHONE)
            assert jo is not None
            return Shop(
                phones=[JO_PHONE],
                names=["Jo Rivera"],
                numbers=list(session.scalars(select(Order.number))),
                skus=["ETH-250", "GRD-BURR", "MUG-WHT"],
                customer_ids=[jo.customer_id],
                store="DT",
                big_phone=None,
                said=["grinder", "where is my"],
            )
        count = session.scalar(select(Customer.id).order_by(Customer.id.desc()).limit(1)) or 0
        first = session.scalar(select(Customer.id).where(Customer.name == bigshop.customer_name(0)))
        assert first is not None
        picks = [i * 7919 % (count - first) for i in range(1, 51)]
        numbers = list(
            session.scalars(select(Order.number).order_by(Order.id.desc()).limit(50_000))
        )
        return Shop(
            phones=[bigshop.phone(i) for i in picks],
            names=[bigshop.customer_name(i) for i in picks],
            numbers=numbers[::1000],
            skus=[bigshop.product_sku(i * 1999) for i in range(1, 51)],
            customer_ids=[first + i for i in picks],
            store="L01",
            big_phone=bigshop.phone(picks[0]),
            # a product's name (in a few dozen messages) and what many customers say
            said=[bigshop.product_name(i * 1999).lower() for i in range(1, 26)]
            + ["arrived broken"],
        )


def bot_turn(app: Flask, phone: str) -> Callable[[str], None]:
    """Says `text` from `phone` by SMS and lets the bot answer, as the worker does."""
    database, settings = app.extensions["db"], app.extensions["settings"]

    def say(text: str) -> None:
        inbound = InboundMessage(
            channel="sms",
            address=phone,
            text=text,
            provider_id=f"bench-{uuid.uuid4().hex}",
            identity=("phone", phone),
        )
        _, conversation_id, _ = store(database, inbound)
        answer_conversation(database, settings, conversation_id)

    return say


def logged_in_console(app: Flask) -> FlaskClient:
    with app.extensions["db"].transaction() as session:
        if staff.find_user(session, CSR_EMAIL) is None:
            staff.save_user(session, CSR_EMAIL, CSR_PASSWORD, "admin", name="Bench")
    client = app.test_client()
    page = client.get("/csr/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    client.post(
        "/csr/login",
        data={"email": CSR_EMAIL, "password": CSR_PASSWORD, "csrf_token": token.group(1)},
    )
    return client


def getter(client: FlaskClient, headers: dict[str, str] | None = None) -> Callable[[str], object]:
    def get(path: str) -> object:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        return response

    return get


@dataclass
class Probe:
    app: Flask
    name: str
    target: str
    run: Callable[[int], object]  # the i-th repetition
    share: float = 1.0  # of --reps


def statements_sent(app: Flask, run: Callable[..., object]) -> int:
    """How many SQL statements `run` sends: a figure the host's load does not move."""
    engine = app.extensions["db"].engine
    sent = []

    def count(*_: object) -> None:
        sent.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(sent)


def probes(app: Flask, big: bool) -> list[Probe]:
    """Everything timed on one shop, ready to run."""
    shop = shop_values(app, big)
    database = app.extensions["db"]
    jo = bot_turn(app, JO_PHONE)

    def change(i: int) -> None:
        jo("make it 2 grinders")  # a preview and a question: it changes nothing
        jo("no")  # (timed too; it only answers "nothing changed")

    found = [
        Probe(app, "bot: tracking turn (Jo)", "turn", lambda i: jo("where is my order"), 0.5),
        Probe(app, "bot: change turn and 'no' (Jo)", "turn", change, 0.5),
    ]
    if shop.big_phone:
        other = bot_turn(app, shop.big_phone)
        found.append(
            Probe(
                app,
                "bot: tracking turn (big-shop customer)",
                "",
                lambda i: other("where is my order"),
            )
        )
    with database.transaction() as session:
        token = create_token(session, f"bench-{uuid.uuid4().hex[:8]}")
    api = getter(app.test_client(), {"Authorization": f"Bearer {token}"})
    phone, name = cycle(shop.phones), cycle(shop.names)
    number, sku, customer = cycle(shop.numbers), cycle(shop.skus), cycle(shop.customer_ids)
    said = cycle(shop.said)
    searches: list[tuple[str, Callable[[int], str]]] = [
        ("orders by phone", lambda i: f"/api/v1/orders?q={phone(i)}"),
        ("orders by name", lambda i: f"/api/v1/orders?q={name(i)}"),
        ("orders by number", lambda i: f"/api/v1/orders?q={number(i)}"),
        ("orders by SKU", lambda i: f"/api/v1/orders?sku={sku(i)}"),
        ("orders by status placed", lambda i: "/api/v1/orders?status=placed"),
        ("orders by status delivered", lambda i: "/api/v1/orders?status=delivered"),
        ("orders by customer id", lambda i: f"/api/v1/orders?customer={customer(i)}"),
        ("customers by phone", lambda i: f"/api/v1/customers?q={phone(i)}"),
        ("customers by name", lambda i: f"/api/v1/customers?q={name(i)}"),
        ("customer with history", lambda i: f"/api/v1/customers/{customer(i)}"),
    ]
    second = api("/api/v1/orders?status=delivered").get_json().get("next")  # type: ignore[attr-defined]
    if second:
        searches.append(("orders by status delivered, page 2", lambda i: second))
    found += [
        Probe(app, f"api: {label}", f"p99 <= {API_P99_MS}", lambda i, path=path: api(path(i)))
        for label, path in searches
    ]
    console = getter(logged_in_console(app))
    pages: list[tuple[str, Callable[[int], str]]] = [
        ("console: queue page", lambda i: "/csr/queue"),
        ("console: customer page", lambda i: f"/csr/customers/{customer(i)}"),
        ("console: search by name", lambda i: f"/csr/search?q={name(i)}"),
        ("console: search of messages", lambda i: f"/csr/search?q={said(i)}"),
        ("store: pickup list", lambda i: f"/csr/store/{shop.store}/pickups"),
    ]
    found += [
        Probe(app, label, f"p99 <= {CONSOLE_P99_MS}", lambda i, path=path: console(path(i)))
        for label, path in pages
    ]

    def sweep(i: int) -> None:
        with database.sessions() as session:
            sweep_uncollected_pickups(session, reminder_days=3, expiry_days=7)
            session.rollback()

    return [*found, Probe(app, "pickup sweep (rolled back)", "", sweep)]


BIG_TABLE_ROWS = 10_000  # a sequential scan of a table this size is a finding


def scans(app: Flask) -> list[str]:
    """Every distinct statement one repetition of each probe sends on this shop,
    EXPLAINed with its parameters: those whose plan reads a table of more than
    BIG_TABLE_ROWS rows (by the planner's statistics) with a sequential scan."""
    engine = app.extensions["db"].engine
    sent: dict[str, tuple[str, object]] = {}

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE", "DELETE")):
            sent.setdefault(statement, (statement, parameters))

    for probe in probes(app, True):
        timed(WARM_UP - 1, probe.run, 0)
        event.listen(engine, "before_cursor_execute", keep)
        try:
            probe.run(WARM_UP)
        finally:
            event.remove(engine, "before_cursor_execute", keep)
    with engine.connect() as connection:
        big = {
            name
            for (name,) in connection.execute(
                text("SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples > :rows"),
                {"rows": BIG_TABLE_ROWS},
            )
        }
        found, costs = [], []
        for statement, parameters in sent.values():
            explain = f"EXPLAIN (ANALYZE, BUFFERS) {statement}"
            plan = "\n".join(
                row[0]
                for row in connection.exec_driver_sql(explain, parameters)  # type: ignore[arg-type]
            )
            scanned = set(re.findall(r"Seq Scan on (\w+)", plan))
            if scanned & big:
                found.append(f"{statement}\n{plan}")
            buffers = re.search(r"Buffers: shared hit=(\d+)(?: read=(\d+))?", plan)
            spent = re.search(r"Execution Time: ([\d.]+) ms", plan)
            pages = sum(int(n) for n in buffers.groups() if n) if buffers else 0
            costs.append((pages, float(spent.group(1)) if spent else 0.0, statement))
        connection.rollback()
    print(f"explained {len(sent)} distinct statements; {len(found)} scan a big table")
    print("the most buffers (8 kB pages) one statement read, and its server time:")
    for pages, ms, statement in sorted(costs, reverse=True)[:12]:
        print(f"  {pages:>7} pages {ms:8.2f} ms  {' '.join(statement.split())[:150]}")
    return found


def measure(demo: Flask, big: Flask, reps: int) -> tuple[list[Row], list[Row]]:
    """Each probe on the demo and on the big shop in turns (ROUNDS each), so that a
    shared host's drift weighs on both sides of a comparison alike."""
    on_demo = {probe.name: probe for probe in probes(demo, False)}
    big_probes = probes(big, True)
    # As a started server does (app.py): what startup made is frozen, so a full
    # collection does not walk the catalogue and the mappers inside a request.
    heap.freeze_startup_objects()
    demo_rows, big_rows = [], []
    for probe in big_probes:
        twin = on_demo.get(probe.name)
        pairs = [(probe, Row(probe.name, probe.target, []), big_rows)]
        if twin is not None:
            pairs.insert(0, (twin, Row(twin.name, twin.target, []), demo_rows))
        per_round = max(int(reps * probe.share) // ROUNDS, 1)
        for one, row, _ in pairs:
            timed(WARM_UP - 1, one.run, 0)
            row.statements = statements_sent(one.app, lambda one=one: one.run(WARM_UP - 1))
        for round_ in range(ROUNDS):
            for one, row, _ in pairs:
                row.times += timed(per_round, one.run, WARM_UP + round_ * per_round)
        for _, row, rows in pairs:
            rows.append(row)
        print("  " + " | ".join(f"{row.name}: {row.cells()}" for _, row, _ in pairs), flush=True)
    return demo_rows, big_rows


def web_memory(url: str, reps: int) -> Row:
    """The RSS of a process that serves only web requests (the API and the console) on
    the big shop: this one also answered as the bot, whose catalogue index of the big
    shop's products belongs to the worker processes."""
    result = subprocess.run(
        [sys.executable, __file__, "--web-memory", "--url", url, "--reps", str(reps)],
        capture_output=True,
        text=True,
        check=True,
    )
    return Row(
        "web process memory, RSS (MB)", f"<= {MEMORY_MB}", [], float(result.stdout.split()[-1])
    )


def serve_web(url: str, reps: int) -> float:
    """Serve the API and console probes on `url` `reps` times each; this process's RSS."""
    app = make_app(url)
    for probe in probes(app, True):
        if not probe.name.startswith(("bot:", "pickup sweep")):
            timed(reps, probe.run, 0)
    return rss_mb()


def import_row(app: Flask) -> Row:
    label = f"import of {IMPORT_PRODUCTS:,} products (s)"
    return Row(label, f"<= {IMPORT_SECONDS}", [], import_catalog(app))


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else float("nan")


def import_catalog(app: Flask) -> float:
    """Seconds `python app.py import catalog FILE` takes for IMPORT_PRODUCTS new SKUs."""
    tag = uuid.uuid4().hex[:6].upper()
    lines = ["sku,name,price,category,aliases,description"]
    lines += [
        f"IMP-{tag}-{i:06d},Imported thing {i},{3 + i % 200}.50,Imports,thing {i},A thing."
        for i in range(IMPORT_PRODUCTS)
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".csv") as csv:
        csv.write("\n".join(lines) + "\n")
        csv.flush()
        started = time.perf_counter()
        result = app.test_cli_runner().invoke(args=["import", "catalog", csv.name])
        elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    return elapsed


def table(demo: list[Row], big: list[Row], scale: float) -> str:
    """Markdown: each measure on both shops, and whether the big shop meets its target."""
    by_name = {r.name: r for r in demo}
    lines = [
        f"| measure (ms: p50 / p99) | demo | big shop (scale {scale:g}) | target | met |",
        "|---|---|---|---|---|",
    ]
    for row in big:
        before = by_name.get(row.name)
        lines.append(
            f"| {row.name} | {before.cells() if before else '-'} | {row.cells()} | "
            f"{target_text(row, before)} | {verdict(row, before)} |"
        )
    return "\n".join(lines)


def target_text(row: Row, demo: Row | None) -> str:
    if row.target == "turn" and demo is not None:
        return f"p99 <= {TURN_RATIO}x demo ({p99(demo.times) * TURN_RATIO * 1000:.1f})"
    return row.target


def verdict(row: Row, demo: Row | None) -> str:
    if row.target == "turn" and demo is not None:
        limit = p99(demo.times) * TURN_RATIO
    elif match := re.search(r"<= (\d+)", row.target):
        limit = float(match.group(1)) / (1000 if row.figure is None else 1)
    else:
        return ""
    value = p99(row.times) if row.figure is None else row.figure
    return "yes" if value <= limit else "NO"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--url", help="the big shop's database (empty, or a big shop already)")
    parser.add_argument("--server", default=SERVER, help="where scratch databases are made")
    parser.add_argument("--no-import", action="store_true", help="skip the catalog import")
    parser.add_argument("--web-memory", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--explain",
        action="store_true",
        help="EXPLAIN every statement the probes send on --url; list sequential scans",
    )
    parser.add_argument(
        "--generate-only", action="store_true", help="fill --url with the big shop and stop"
    )
    args = parser.parse_args()
    if args.web_memory:
        print(f"{serve_web(args.url, args.reps):.1f}")
        return
    if args.explain:
        print("\n\n".join(scans(make_app(args.url))))
        return
    if args.generate_only:
        fill_big_shop(make_app(args.url), args.url, args.scale)
        return

    with (
        new_database(args.server, "scale_demo") as demo_url,
        big_database(args.url, args.server) as big_url,
    ):
        demo = make_app(demo_url)
        big = make_app(big_url)
        fill_big_shop(big, big_url, args.scale)
        print("measuring: demo | big shop, p50 / p99 ms (statements)")
        demo_rows, big_rows = measure(demo, big, args.reps)
        big_rows.append(web_memory(big_url, args.reps))
        if not args.no_import:
            demo_rows.append(import_row(demo))
            big_rows.append(import_row(big))
    print()
    print(table(demo_rows, big_rows, args.scale))


if __name__ == "__main__":
    main()
