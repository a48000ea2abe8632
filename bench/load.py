"""Load, on loopback: signed SMS and Telegram webhooks against gunicorn, then a stock spike.

Run from the repo root: ``python bench/load.py [--seconds 6] [--spike 1000] [--databases
sqlite,postgresql]``. For each database (a temp SQLite file; a scratch PostgreSQL
database made from ``BENCH_POSTGRES_URL`` and dropped afterwards) it starts
``gunicorn -w 2 -k gthread`` serving the real app plus one bare endpoint
(``bench.channels:bench_app()``, the same server and settings) and one
``python app.py worker``, which answers and delivers. A second process hosts the
Twilio and Telegram stand-ins (the replies' destination) and the clients, and measures:

1. bare: the bare Flask endpoint, closed loop;
2. mix: signed webhooks, closed loop, a realistic mix (tracking questions, whole
   ordering conversations, returns; SMS and Telegram): stored and acknowledged per
   second, latency, errors. First the web tier alone, with the worker stopped (as when
   the workers have hosts of their own and are busy), taking turns with the bare
   endpoint (`ROUNDS` each, so both see the same host); then the time until the worker,
   started again, has answered every message and delivered every reply, which gives
   the full-path rate; then the same mix again while the worker answers on the same
   two cores;
3. round trip: a tracking question until its answer reaches the provider's stand-in;
4. open loop: tracking questions at half the full-path rate, latency to the answer;
5. spike: N new customers order the same 50 units through the bot at once ("1
   aeropress for pickup downtown", then "yes"): orders placed, answers, 5xx.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import itertools
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # not bench/: bench/orders.py would shadow the orders package

from bench.channels import wait_until_up  # noqa: E402
from tests.standins.ports import free_port  # noqa: E402

WORKERS = 2
THREADS = 8
SEEDED = 100  # customers per channel with a delivered order (tracking and returns)
ROUNDS = 3  # turns the bare endpoint and the mix take
SPIKE_SKU, SPIKE_STORE, SPIKE_UNITS = "AERO", "DT", 50
TELEGRAM_SECRET = "bench-telegram-secret"
SCRIPTS = {
    "track": ["where is my order"],
    "order": ["2 colombian beans for pickup downtown", "yes"],
    "return": ["i want to return the mug", "it's chipped", "by mail", "yes"],
}
MIX = [("track", 6), ("order", 3), ("return", 1)]


def sms_phone(index: int) -> str:
    return f"+1555800{index:04d}"


def telegram_user(index: int) -> int:
    return 700_000 + index


# --- the server side (this process) -------------------------------------------------


def scratch_database(kind: str, workdir: Path) -> tuple[str, Callable[[], None]]:
    """A URL of an empty database, and how to drop it."""
    if kind == "sqlite":
        return f"sqlite:///{workdir}/bench.db", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    name = f"bench_load_{uuid.uuid4().hex[:8]}"
    # pre-ping: the server may have been restarted (a fault test) while the bench ran
    admin = create_engine(base, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


def seed(database_url: str, *, customers: bool = True) -> None:
    """Demo store, plenty of stock, customers with a delivered order, and the spike's 50
    units; only the demo store without `customers`."""
    from app import create_app
    from app import seed as seed_demo
    from infra import migrate
    from infra.db import Database
    from infra.settings import load_settings
    from orders import csv_import, fulfilment, ordering
    from orders.customers import create_customer
    from orders.events import Actor

    app = create_app(load_settings(database_url=database_url, secret_key="bench"))
    with contextlib.redirect_stdout(io.StringIO()):  # the demo prints CSR passwords
        seed_demo(app)
    database: Database = app.extensions["db"]
    migrate.upgrade(database)
    if not customers:
        database.dispose()
        return
    actor = Actor.system("bench")
    with database.transaction() as session:
        skus = ["COL-250", "MUG-WHT"]
        rows = [f"{sku},{where},100000" for sku in skus for where in ("WH", "DT", "RV")]
        rows += [f"{SPIKE_SKU},{where},0" for where in ("WH", "RV")]
        rows.append(f"{SPIKE_SKU},{SPIKE_STORE},{SPIKE_UNITS}")
        csv_import.import_stock(session, ("sku,location,quantity\n" + "\n".join(rows)).encode())
        for index in range(SEEDED):
            for kind, value in (
                ("phone", sms_phone(index)),
                ("telegram", str(telegram_user(index))),
            ):
                customer = create_customer(
                    session, f"Bench {kind} {index}", f"{index} Bench Road", {kind: value}
                )
                order = ordering.place_order(
                    session, customer, {"MUG-WHT": 1}, method="delivery", actor=actor
                )
                fulfilment.ship(
                    session, order, carrier="UPS", tracking_number=f"1Z{index:08d}", actor=actor
                )
                fulfilment.mark_delivered(session, order, actor=actor)
    database.dispose()


class Server:
    """gunicorn (2 workers) and one `python app.py worker`, which can be stopped and started."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.url = env, f"http://127.0.0.1:{port}"
        self.web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-k", "gthread",
             "--threads", str(THREADS), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
             "bench.channels:bench_app()"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        name = f"bench-load-worker-{port}.log"
        self.log = open(Path(tempfile.gettempdir()) / name, "ab")  # noqa: SIM115
        self.worker: subprocess.Popen | None = None
        self.start_worker()

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(
            [sys.executable, "app.py", "worker"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=self.log,
        )

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.terminate()
            self.worker.wait(timeout=30)
            self.worker = None

    def close(self) -> None:
        self.stop_worker()
        self.web.terminate()
        self.web.wait(timeout=30)
        self.log.close()


@contextlib.contextmanager
def serving(env: dict[str, str], port: int) -> Iterator[Server]:
    server = Server(env, port)
    try:
        wait_until_up(server.url)
        yield server
    finally:
        server.close()


class Backlog:
    """Counts, in the database, what is not yet answered or not yet delivered."""

    def __init__(self, database_url: str) -> None:
        from infra.db import Database

        self.database = Database(database_url)

    def remaining(self) -> tuple[int, int]:
        from sqlalchemy import func, select

        from conversations.models import Message, OutboxMessage

        with self.database.transaction() as session:
            unhandled = session.scalar(
                select(func.count()).where(Message.direction == "in", Message.handled_at.is_(None))
            )
            unsent = session.scalar(
                select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
            )
        return unhandled or 0, unsent or 0

    def drain(self, timeout: float) -> float:
        """Seconds until nothing is left to answer or deliver."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.remaining() == (0, 0):
                return time.monotonic() - started
            time.sleep(0.1)
        raise RuntimeError(f"backlog not drained in {timeout:.0f} s: {self.remaining()}")

    def last_message_id(self) -> int:
        from sqlalchemy import func, select

        from conversations.models import Message

        with self.database.transaction() as session:
            return session.scalar(select(func.max(Message.id))) or 0

    def stages(self, after: int) -> dict[str, list[float]]:
        """Where the time went, in ms, for each message stored after message `after`:
        stored -> answered (the worker's turn, and any wait for it), and answered ->
        its first reply accepted by the provider (the delivery claim and the send)."""
        from sqlalchemy import select

        from conversations.models import Message, OutboxMessage

        with self.database.transaction() as session:
            inbound = session.execute(
                select(Message.id, Message.conversation_id, Message.created_at, Message.handled_at)
                .where(Message.id > after, Message.direction == "in")
                .order_by(Message.id)
            ).all()
            sent = session.execute(
                select(OutboxMessage.conversation_id, OutboxMessage.message_id)
                .add_columns(OutboxMessage.sent_at)
                .where(OutboxMessage.message_id > after)
                .order_by(OutboxMessage.id)
            ).all()
        replies: dict[int, list[tuple[int, object]]] = defaultdict(list)
        for conversation_id, message_id, sent_at in sent:
            replies[conversation_id].append((message_id, sent_at))
        stages: dict[str, list[float]] = {"answered": [], "sent": []}
        for message_id, conversation_id, stored_at, answered_at in inbound:
            first = next((at for m, at in replies[conversation_id] if m > message_id), None)
            if answered_at is None or first is None:
                continue
            stages["answered"].append((answered_at - stored_at).total_seconds() * 1000)
            stages["sent"].append((first - answered_at).total_seconds() * 1000)
        return stages

    def spike_outcome(self, phones: list[str]) -> tuple[int, int, int]:
        """(orders holding the spike's item, units ordered, customers with both answers)."""
        from sqlalchemy import func, select

        from conversations.models import Conversation, Message
        from orders.models import Order, OrderLine, Product

        with self.database.transaction() as session:
            orders, units = session.execute(
                select(
                    func.count(func.distinct(Order.id)),
                    func.coalesce(func.sum(OrderLine.quantity), 0),
                )
                .join(OrderLine, OrderLine.order_id == Order.id)
                .join(Product, Product.id == OrderLine.product_id)
                .where(Product.sku == SPIKE_SKU, Order.status != "cancelled")
            ).one()
            answered = session.execute(
                select(Conversation.address, func.count(Message.id))
                .join(Message, Message.conversation_id == Conversation.id)
                .where(Conversation.address.in_(phones), Message.direction == "out")
                .group_by(Conversation.address)
            ).all()
        return orders, int(units), sum(1 for _, replies in answered if replies >= 2)

    def close(self) -> None:
        self.database.dispose()


# --- the client side (a second process) ---------------------------------------------


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    server_errors: int = 0
    elapsed: float = 0.0
    unmeasured: int = 0  # sent after the timed phase, to end the scripts it left halfway
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def merge(self, other: Sample) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.server_errors += other.server_errors
        self.elapsed += other.elapsed
        self.unmeasured += other.unmeasured
        for kind, count in other.by_kind.items():
            self.by_kind[kind] += count

    def add(self, status: int, latency: float) -> None:
        if status >= 500:
            self.server_errors += 1
        if status >= 400:
            self.errors += 1
        else:
            self.latencies.append(latency)

    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentiles(self) -> tuple[float, float, float]:
        """p50, p95 and p99 in ms."""
        p50, p95, p99 = percentiles(self.latencies)
        return p50 * 1000, p95 * 1000, p99 * 1000


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 of `values`; NaN when there are too few to tell."""
    if len(values) < 2:
        return (float("nan"),) * 3
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


class Replies:
    """Arrival times of replies at the stand-ins, by address (phone or Telegram chat id)."""

    def __init__(self, twilio, telegram) -> None:  # type: ignore[no-untyped-def]
        self.twilio, self.telegram = twilio, telegram
        self._seen = {"sms": 0, "telegram": 0}
        self._arrived: dict[str, list[float]] = defaultdict(list)
        self._changed = threading.Condition()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while True:
            sms = self.twilio.messages_since(self._seen["sms"])
            telegram = self.telegram.sent_messages_since(self._seen["telegram"])
            now = time.monotonic()
            with self._changed:
                for message in sms:
                    self._arrived[message.to].append(now)
                for message in telegram:
                    self._arrived[str(message["chat"]["id"])].append(now)
                self._seen["sms"] += len(sms)
                self._seen["telegram"] += len(telegram)
                self._changed.notify_all()
            time.sleep(0.002)

    def count(self, address: str) -> int:
        with self._changed:
            return len(self._arrived[address])

    def wait(self, address: str, count: int, timeout: float) -> float | None:
        """When the `count`-th reply to `address` arrived, or None after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._arrived[address]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)
            return self._arrived[address][count - 1]


class Client:
    """Signs and posts webhooks the way Twilio and Telegram do."""

    def __init__(self, url: str, twilio, telegram) -> None:  # type: ignore[no-untyped-def]
        self.url, self.twilio, self.telegram = url, twilio, telegram
        self.replies = Replies(twilio, telegram)
        self._local = threading.local()

    @property
    def http(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def bare(self) -> requests.Response:
        return self.http.get(self.url + "/bench/bare", timeout=60)

    def sms(self, phone: str, text: str) -> requests.Response:
        from tests.standins.signing import twilio_headers, twilio_inbound_sms

        url = self.url + "/webhooks/twilio/sms"
        form = twilio_inbound_sms(
            account_sid=self.twilio.account_sid, from_=phone, to=self.twilio.from_number, body=text
        )
        headers = twilio_headers(self.twilio.auth_token, url, form)
        return self.post(url, data=form, headers=headers)

    def telegram_message(self, user_id: int, text: str) -> requests.Response:
        from tests.standins import telegram_updates as updates

        update = updates.message_update(text, sender=updates.user(user_id, f"User{user_id}"))
        return self.post(
            self.url + "/webhooks/telegram",
            json=update,
            headers=updates.webhook_headers(TELEGRAM_SECRET),
        )

    def post(self, url: str, **kwargs: object) -> requests.Response:
        """POST, once more on a fresh connection if the kept-alive one was closed under
        us (gunicorn closes idle ones after 2 s), as the providers retry."""
        try:
            return self.http.post(url, timeout=60, **kwargs)  # type: ignore[arg-type]
        except requests.ConnectionError:
            self._local.session = requests.Session()
            return self.http.post(url, timeout=60, **kwargs)  # type: ignore[arg-type]

    def send(self, channel: str, address: str, text: str) -> requests.Response:
        if channel == "sms":
            return self.sms(address, text)
        return self.telegram_message(int(address), text)

    def answered_at(self, address: str, seen: int) -> float | None:
        """When the answer (the reply after the `seen` earlier ones) reached the stand-in."""
        return self.replies.wait(address, seen + 1, timeout=30)


def closed_loop(seconds: float, clients: int, request: Callable[[int], tuple[int, str]]) -> Sample:
    """`clients` threads calling request(thread) until time is up."""
    sample = Sample()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def run(thread: int) -> None:
        while time.monotonic() < stop:
            started = time.monotonic()
            status, kind = request(thread)
            with lock:
                sample.add(status, time.monotonic() - started)
                sample.by_kind[kind] += 1

    started = time.monotonic()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    sample.elapsed = time.monotonic() - started
    return sample


def mix_request(
    client: Client, clients: int
) -> tuple[Callable[[int], tuple[int, str]], Callable[[], int]]:
    """Each thread plays its own seeded customers through whole scripts, in turn.

    Returns the request function and `finish`, which sends (and counts) what is left of every
    script when a timed phase ends, so no customer is left halfway through a flow
    for the next phase to trip over (a real customer does not come back with a new
    request in the middle of the old one while a load test waits).
    """
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    queues: list[list[tuple[str, str, str]]] = [[] for _ in range(clients)]
    playing = [""] * clients
    current = [""] * clients  # whom each thread is playing (its last message may be in flight)
    returned: set[str] = set()
    rng = random.Random(7)
    customers = itertools.cycle(range(SEEDED))
    lock = threading.Lock()

    def next_message(thread: int) -> tuple[str, str, str]:
        if not queues[thread]:
            with lock:
                # A person writes one conversation at a time: skip customers another
                # thread is still playing, or their scripts would interleave.
                busy = {address for other, address in enumerate(current) if other != thread}
                while True:
                    index = next(customers)
                    channel = rng.choice(("sms", "telegram"))
                    address = sms_phone(index) if channel == "sms" else str(telegram_user(index))
                    if address not in busy:
                        break
                kind = rng.choice(kinds)
                if kind == "return":
                    kind = "track" if address in returned else kind  # one mug each
                    returned.add(address)
                queues[thread] = [(channel, address, text) for text in SCRIPTS[kind]]
                current[thread] = address
            playing[thread] = kind
        return queues[thread].pop(0)

    def request(thread: int) -> tuple[int, str]:
        channel, address, text = next_message(thread)
        return client.send(channel, address, text).status_code, f"{channel} {playing[thread]}"

    def finish() -> int:
        sent = 0
        for queue in queues:
            while queue:
                client.send(*queue.pop(0))
                sent += 1
        return sent

    return request, finish


def round_trip(client: Client, seconds: float, clients: int) -> Sample:
    """Tracking questions, each waited for until its answer reached the provider."""
    addresses = itertools.cycle(
        [("sms", sms_phone(i)) for i in range(SEEDED)]
        + [("telegram", str(telegram_user(i))) for i in range(SEEDED)]
    )
    lock = threading.Lock()

    def request(thread: int) -> tuple[int, str]:
        with lock:
            channel, address = next(addresses)
        seen = client.replies.count(address)
        response = client.send(channel, address, SCRIPTS["track"][0])
        if response.status_code >= 400:
            return response.status_code, channel
        if client.answered_at(address, seen) is None:
            print(f"no answer in 30 s: {channel} {address}", file=sys.stderr)
            return 599, channel  # counted as an error: no answer
        return 200, channel

    return closed_loop(seconds, clients, request)


def open_loop(client: Client, rate: float, seconds: float) -> Sample:
    """SMS tracking questions sent on a fixed schedule; latency from the scheduled time to
    the answer, so a slow server cannot slow the senders down (no coordinated omission)."""
    sample = Sample()
    lock = threading.Lock()
    count = max(1, int(rate * seconds))
    start = time.monotonic() + 0.2
    phones = [sms_phone(i) for i in range(SEEDED)]

    def one(number: int) -> None:
        due = start + number / rate
        time.sleep(max(0.0, due - time.monotonic()))
        phone = phones[number % len(phones)]
        seen = client.replies.count(phone)
        response = client.sms(phone, SCRIPTS["track"][0])
        answered = client.answered_at(phone, seen)
        with lock:
            status = response.status_code if answered is not None else 599
            sample.add(status, (answered or time.monotonic()) - due)

    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(one, range(count)))
    sample.elapsed = seconds
    return sample


def spike(client: Client, customers: int) -> dict[str, object]:
    """`customers` new numbers ask for the spike item at once, then all say yes at once."""
    phones = [f"+1555900{i:04d}" for i in range(customers)]
    result: dict[str, object] = {"phones": phones}
    counting = threading.Lock()
    # The stand-ins live on across databases: count this run's replies only.
    before = {phone: client.replies.count(phone) for phone in phones}
    with ThreadPoolExecutor(max_workers=200) as pool:
        for step, text in enumerate(["1 aeropress for pickup downtown", "yes"], start=1):
            sample = Sample()
            started = time.monotonic()

            def send(phone: str, text: str = text, sample: Sample = sample) -> None:
                sent = time.monotonic()
                response = client.sms(phone, text)
                with counting:
                    sample.add(response.status_code, time.monotonic() - sent)

            list(pool.map(send, phones))
            acked = time.monotonic() - started
            # Every answer arrives at the stand-in; wait for all of them.
            deadline = time.monotonic() + 120
            unanswered = phones
            while unanswered and time.monotonic() < deadline:
                unanswered = [p for p in phones if client.replies.count(p) < before[p] + step]
                time.sleep(0.2)
            sample.elapsed = acked
            result[f"step{step}"] = {
                "sample": sample,
                "acked_in": acked,
                "answered_in": time.monotonic() - started,
                "unanswered": len(unanswered),
            }
    return result


def client_main(connection: Connection) -> None:
    """The load generator process: stand-ins, clients, and the phases the parent asks for."""
    # Its own garbage collections, walking every reply it has recorded, would be counted
    # as the server's latency. It lives minutes and reference counting frees its garbage.
    gc.disable()
    from tests.standins.telegram_server import TelegramStandin
    from tests.standins.twilio_server import TwilioStandin

    twilio, telegram = TwilioStandin().start(), TelegramStandin().start()
    connection.send({**twilio.settings(), **telegram.settings(TELEGRAM_SECRET)})
    client = Client("", twilio, telegram)
    players: dict[str, tuple[Callable[[int], tuple[int, str]], Callable[[], int]]] = {}
    while True:
        command, args = connection.recv()
        if command == "stop":
            break
        if command == "url":
            client.url = args["url"]
            connection.send(None)
        elif command == "bare":
            connection.send(
                closed_loop(
                    args["seconds"], args["clients"], lambda _: (client.bare().status_code, "bare")
                )
            )
        elif command == "mix":
            # One player per server, so warm-up and measurement share who returned what.
            if client.url not in players:
                players[client.url] = mix_request(client, args["clients"])
            request, finish = players[client.url]
            sample = closed_loop(args["seconds"], args["clients"], request)
            sample.unmeasured = finish()
            connection.send(sample)
        elif command == "round_trip":
            connection.send(round_trip(client, args["seconds"], args["clients"]))
        elif command == "open_loop":
            connection.send(open_loop(client, args["rate"], args["seconds"]))
        elif command == "spike":
            connection.send(spike(client, args["customers"]))
    twilio.stop()
    telegram.stop()


# --- the report -----------------------------------------------------------------------


def stage_line(label: str, milliseconds: list[float]) -> str:
    if len(milliseconds) < 2:
        return f"| {label:<44} | (too few messages to tell)"
    p50, p95, p99 = percentiles(milliseconds)
    return f"| {label:<44} | {'':>8} | {p50:7.1f} | {p95:7.1f} | {p99:7.1f} |"


def line(label: str, sample: Sample) -> str:
    p50, p95, p99 = sample.percentiles()
    return (
        f"| {label:<44} | {sample.rate():8.1f} | {p50:7.1f} | {p95:7.1f} | {p99:7.1f} "
        f"| {sample.errors:4d} | {sample.server_errors:3d} |"
    )


HEADER = (
    f"| {'measure':<44} | {'msgs/s':>8} | {'p50 ms':>7} | {'p95 ms':>7} | {'p99 ms':>7} "
    f"| {'err':>4} | {'5xx':>3} |\n"
    + "|".join(["", "-" * 46, "-" * 10, "-" * 9, "-" * 9, "-" * 9, "-" * 6, "-" * 5, ""])
)


def run(
    kind: str, args: argparse.Namespace, conn: Connection, provider_env: dict[str, str]
) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    database_url, drop = scratch_database(kind, workdir)
    port = free_port()
    env = {
        **os.environ,
        **provider_env,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-secret",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        # A few hundred seeded customers stand for many: each writes far more than a
        # real one would, and the per-sender limit (an abuse guard) would skip them.
        "SENDER_ANSWERS_PER_MINUTE": "0",
    }
    backlog = None
    try:
        began = time.monotonic()
        seed(database_url)
        backlog = Backlog(database_url)
        with serving(env, port) as server:
            ready = time.monotonic() - began
            print(f"\n## {kind}: gunicorn -w {WORKERS} -k gthread --threads {THREADS} + one "
                  f"`app.py worker`; {args.clients} clients; ready in {ready:.0f} s")  # fmt: skip
            conn.send(("url", {"url": server.url}))
            conn.recv()
            ask = lambda command, **kw: (conn.send((command, kw)), conn.recv())[1]  # noqa: E731
            ask("bare", seconds=1, clients=args.clients)  # warm up
            ask("mix", seconds=1, clients=args.clients)
            backlog.drain(120)
            # The web tier alone: the worker is stopped, so answering waits (as when the
            # workers run on hosts of their own and are busy); then it answers the backlog.
            # Bare and mix take turns, so a host that drifts in speed skews neither.
            server.stop_worker()
            bare, intake = Sample(), Sample()
            for _ in range(ROUNDS):
                bare.merge(ask("bare", seconds=args.seconds / ROUNDS, clients=args.clients))
                intake.merge(ask("mix", seconds=args.seconds / ROUNDS, clients=args.clients))
            server.start_worker()
            drain = backlog.drain(300)
            handled = len(intake.latencies) + intake.unmeasured
            full_rate = handled / (intake.elapsed + drain)
            # The same while the worker answers on the same two cores.
            shared = ask("mix", seconds=args.seconds, clients=args.clients)
            backlog.drain(300)
            trip = ask("round_trip", seconds=args.seconds, clients=4)
            backlog.drain(60)
            target = full_rate / 2
            before_steady = backlog.last_message_id()
            steady = ask("open_loop", rate=target, seconds=args.seconds)
            backlog.drain(60)
            stages = backlog.stages(before_steady)
            print(HEADER)
            print(line("bare Flask endpoint (same server)", bare))
            print(line("signed webhooks, mix: stored and acknowledged", intake))
            print(line("  the same, worker answering on the same cores", shared))
            print(line("round trip: tracking question -> answer at provider", trip))
            print(line(f"tracking question, open loop at {target:.1f}/s (50%)", steady))
            print(stage_line("  of which stored -> answered by the worker", stages["answered"]))
            print(stage_line("  of which answered -> reply taken by provider", stages["sent"]))
            ratio, shared_ratio = intake.rate() / bare.rate(), shared.rate() / bare.rate()
            print(f"\nratio acknowledged / bare: {ratio:.3f} "
                  f"(worker answering on the same cores: {shared_ratio:.3f})")  # fmt: skip
            print(f"mix handled and delivered: {handled} messages in "
                  f"{intake.elapsed:.1f} s + {drain:.1f} s to answer and deliver them = "
                  f"{full_rate:.1f} msgs/s full path (ratio to bare "
                  f"{full_rate / bare.rate():.3f})")  # fmt: skip
            print("mix sent: " + ", ".join(f"{k} {v}" for k, v in sorted(intake.by_kind.items())))
            outcome = ask("spike", customers=args.spike)
            orders, units, answered = backlog.spike_outcome(outcome["phones"])
            print(f"\nspike: {args.spike} customers, {SPIKE_UNITS} x {SPIKE_SKU} at {SPIKE_STORE}")
            for step in ("step1", "step2"):
                s = outcome[step]
                p50, _, p99 = s["sample"].percentiles()
                print(f"  {step}: acknowledged all in {s['acked_in']:.1f} s, every answer "
                      f"in {s['answered_in']:.1f} s, unanswered "
                      f"{s['unanswered']}, ack p50 {p50:.0f} ms p99 {p99:.0f} ms, errors "
                      f"{s['sample'].errors}, 5xx {s['sample'].server_errors}")  # fmt: skip
            print(f"  orders holding {SPIKE_SKU}: {orders}, units {units} (expected exactly "
                  f"{min(SPIKE_UNITS, args.spike)}); both answers: {answered}/{args.spike} "
                  "customers")  # fmt: skip
    finally:
        if backlog is not None:
            backlog.close()
        drop()


def run_sync(kind: str, args: argparse.Namespace) -> None:
    """Acknowledgements only, under sync workers with wrk (see bench/ack.py)."""
    from bench import ack

    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    database_url, drop = scratch_database(kind, workdir)
    try:
        seed(database_url, customers=False)  # its customers write first in the warm-up
        totals = ack.measure(kind, database_url, args.seconds, ROUNDS, dict(os.environ))
        ack.report(kind, totals, "wrk" if shutil.which("wrk") else "Python clients")
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--spike", type=int, default=1000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--workers",
        choices=("gthread", "sync"),
        default="gthread",
        help="gthread: the whole bench below; sync: acknowledgements only, the method of "
        "issue #17 (gunicorn's sync workers, wrk, 8 connections; see bench/ack.py)",
    )
    args = parser.parse_args()
    if args.workers == "sync":
        for kind in args.databases.split(","):
            run_sync(kind, args)
        return
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    generator = context.Process(target=client_main, args=(child,))
    generator.start()
    try:
        provider_env = parent.recv()
        for kind in args.databases.split(","):
            run(kind, args, parent, provider_env)
    finally:
        parent.send(("stop", {}))
        generator.join(timeout=30)


if __name__ == "__main__":
    main()
