"""A big shop's data, written into a migrated PostgreSQL database with COPY.

At `scale` 1: 100,000 products, 50 locations with stock (each product at 5 of them),
200,000 customers (a phone each, an email for every second one), 1,000,000 orders with
1-3 lines (2,000,000 on average), two events and a charge each, 5,000,000 stock
movements, and 100,000 SMS conversations of 10 messages each (1,000,000 messages, all
answered) that name the shop's products and orders. Everything but the locations is
multiplied by `scale`.

The rows go in after whatever is there (the demo shop, seeded first), with ids after
the highest ones, so the demo's customers, orders and logins stay as they were and the
bench can ask the same questions of both shops. Most orders are old and finished; the
open ones are the last few days', as in a shop that has been trading for three years.
Values are random but seeded: two runs at one scale write the same shop.
"""

from __future__ import annotations

import random
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from orders.ordering import ORDER_NUMBER_OFFSET

CHUNK_ROWS = 50_000
NULL = r"\N"  # COPY's text format
YEARS = 3
FIRST = (  # noqa: SIM905 (a list literal of 50 names is 50 lines)
    "Ada Ben Cleo Dev Eli Fay Gus Hana Ivo Jae Kai Lena Milo Nia Omar Pia Quin Rosa Saul "
    "Tara Uma Vic Wes Xena Yuri Zoe Ana Bo Cy Dina Ezra Flo Gil Hugo Iris Jude Kira Liam "
    "Maya Nico Otto Pearl Rhea Sid Theo Ula Vera Will Yara Zed"
).split()
LAST = (  # noqa: SIM905
    "Abbott Baker Castillo Dunn Ellis Fischer Garcia Hughes Ibarra Jensen Kowalski Lopez "
    "Moreau Nakamura Okafor Petrov Quinn Rossi Schmidt Tanaka Ueda Vargas Wagner Xu Young "
    "Zimmer Almeida Bianchi Chowdhury Duarte Eriksen Fontaine Gallo Haddad Iwata Janssen "
    "Kim Lindqvist Mendes Novak Olsen Park Reyes Silva Torres Umar Volkov Walsh Yilmaz Zhou"
).split()
NOUNS = "Beans Mug Kettle Filter Grinder Scale Tumbler Press Dripper Tea Cup Jar".split()  # noqa: SIM905
ADJECTIVES = "Bold Bright Classic Dark Deep Fine Fresh Light Mellow Rich Smooth Wild".split()  # noqa: SIM905
# status, share in %, fulfilment method (None: either). Open orders are the last few
# days' (about 1,000 a day at scale 1): ~4,000, a few dozen per store.
STATUSES = (
    ("delivered", 61, "delivery"),
    ("picked_up", 29.6, "pickup"),
    ("cancelled", 6, None),
    ("returned", 3, "delivery"),
    ("placed", 0.15, None),
    ("processing", 0.1, None),
    ("shipped", 0.1, "delivery"),
    ("ready_for_pickup", 0.05, "pickup"),
)
LOCATIONS = 50
PICKUP_STORES = 40  # L01..L40 are pickup stores, L41..L50 warehouses
STOCK_PER_PRODUCT = 5
REMINDED_AFTER = 3 * 86400  # PICKUP_REMINDER_DAYS' default
STATUS_INDEX = {status: index for index, (status, _, _) in enumerate(STATUSES)}


def at(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Sizes:
    products: int
    customers: int
    orders: int
    movements: int
    conversations: int

    @property
    def messages(self) -> int:
        return self.conversations * MESSAGES_PER_CONVERSATION

    @classmethod
    def at_scale(cls, scale: float) -> Sizes:
        return cls(
            products=int(100_000 * scale),
            customers=int(200_000 * scale),
            orders=int(1_000_000 * scale),
            movements=int(5_000_000 * scale),
            conversations=int(100_000 * scale),
        )


def phone(index: int) -> str:
    """A distinct, well-formed US number per generated customer (+1 212 3xx xxxx)."""
    return f"+1212{3_000_000 + index:07d}"


def customer_name(index: int) -> str:
    return f"{FIRST[index % len(FIRST)]} {LAST[index // len(FIRST) % len(LAST)]}"


def product_sku(index: int) -> str:
    return f"BIG-{index:06d}"


def product_name(index: int) -> str:
    return f"{ADJECTIVES[index % 12]} {NOUNS[index // 12 % 12]} {index}"


class Writer:
    """COPYs generated rows into one table, chunk by chunk, with ids from `first_id`."""

    def __init__(self, connection: psycopg.Connection, table: str, columns: str) -> None:
        self.connection = connection
        self.table = table
        self.columns = columns
        self.first_id = (
            connection.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone() or [1]
        )[0]

    def write(self, rows: Iterator[str]) -> int:
        count = 0
        statement = f"COPY {self.table} ({self.columns}) FROM STDIN"
        with self.connection.cursor() as cursor, cursor.copy(statement) as copy:
            chunk: list[str] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) == CHUNK_ROWS:
                    copy.write("\n".join(chunk) + "\n")
                    count += len(chunk)
                    chunk = []
            if chunk:
                copy.write("\n".join(chunk) + "\n")
                count += len(chunk)
        self.connection.execute(
            f"SELECT setval(pg_get_serial_sequence('{self.table}', 'id'), "
            f"(SELECT max(id) FROM {self.table}))"
        )
        return count


class BigShop:
    """Writes the big shop; `generate()` returns rows written per table."""

    def __init__(self, connection: psycopg.Connection, scale: float, seed: int = 17) -> None:
        self.connection = connection
        self.sizes = Sizes.at_scale(scale)
        self.rng = random.Random(seed)
        self.now = time.time()
        self.location_ids: list[int] = []
        self.pickup_ids: list[int] = []
        self.prices: list[int] = []
        self.first_product = 0
        self.first_customer = 0
        self.first_order = 0

    def generate(self, report: Callable[[str], None] = print) -> dict[str, int]:
        steps: list[tuple[str, str, Callable[[int], Iterator[str]]]] = [
            ("locations", LOCATION_COLUMNS, self.locations),
            ("products", PRODUCT_COLUMNS, self.products),
            ("stock", "id, product_id, location_id, on_hand, reserved", self.stock),
            ("customers", "id, name, default_address, created_at", self.customers),
            ("customer_identities", IDENTITY_COLUMNS, self.identities),
            ("orders", ORDER_COLUMNS, self.orders),
            ("order_lines", LINE_COLUMNS, self.lines),
            ("order_events", EVENT_COLUMNS, self.events),
            ("payments", PAYMENT_COLUMNS, self.payments),
            ("stock_movements", MOVEMENT_COLUMNS, self.movements),
            *self.conversation_steps(),
        ]
        return self._write(steps, report)

    def conversation_steps(self) -> list[tuple[str, str, Callable[[int], Iterator[str]]]]:
        return [
            ("conversations", CONVERSATION_COLUMNS, self.conversations),
            ("messages", MESSAGE_COLUMNS, self.messages),
        ]

    def add_conversations(self, report: Callable[[str], None] = print) -> dict[str, int]:
        """Only the conversations and their messages, into a big shop generated before
        they were part of it (its customers, products and orders are read back)."""
        first = self.connection.execute(
            "SELECT customer_id FROM customer_identities WHERE kind = 'phone' AND value = %s",
            (phone(0),),
        ).fetchone()
        last_order = self.connection.execute("SELECT max(id) FROM orders").fetchone()
        assert first is not None and last_order is not None, "no big shop here"
        self.first_customer = first[0]
        self.first_order = last_order[0] - self.sizes.orders + 1
        return self._write(self.conversation_steps(), report)

    def _write(
        self,
        steps: list[tuple[str, str, Callable[[int], Iterator[str]]]],
        report: Callable[[str], None],
    ) -> dict[str, int]:
        written = {}
        for table, columns, rows in steps:
            started = time.monotonic()
            writer = Writer(self.connection, table, columns)
            written[table] = writer.write(rows(writer.first_id))
            self.connection.commit()
            report(f"  {table}: {written[table]:,} rows in {time.monotonic() - started:.1f} s")
        return written

    def locations(self, first: int) -> Iterator[str]:
        stamp = at(self.now)
        for i in range(LOCATIONS):
            pickup = i < PICKUP_STORES
            kind = "store" if pickup else "warehouse"
            self.location_ids.append(first + i)
            if pickup:
                self.pickup_ids.append(first + i)
            yield (
                f"{first + i}\tL{i + 1:02d}\tLocation {i + 1}\t{i + 1} Main Street\t{kind}\t"
                f"{'t' if pickup else 'f'}\tMon-Sat 8-18\t{200 + i}\tt\t{stamp}"
            )

    def products(self, first: int) -> Iterator[str]:
        self.first_product = first
        stamp = at(self.now)
        for i in range(self.sizes.products):
            price = self.rng.randrange(300, 20_000, 50)
            self.prices.append(price)
            yield (
                f"{first + i}\t{product_sku(i)}\t{product_name(i)}\t{price}\t"
                f"{NOUNS[i // 12 % 12]}\t\t\tt\t3\t{stamp}\t\t\t\t"
            )

    def stock(self, first: int) -> Iterator[str]:
        row = first
        for i in range(self.sizes.products):
            for location_id in self.rng.sample(self.location_ids, STOCK_PER_PRODUCT):
                on_hand = self.rng.randrange(200)
                yield f"{row}\t{self.first_product + i}\t{location_id}\t{on_hand}\t0"
                row += 1

    def customers(self, first: int) -> Iterator[str]:
        self.first_customer = first
        for i in range(self.sizes.customers):
            created = at(self.now - self.rng.random() * YEARS * 365 * 86400)
            yield f"{first + i}\t{customer_name(i)}\t{i} Long Road, Springfield\t{created}"

    def identities(self, first: int) -> Iterator[str]:
        row = first
        stamp = at(self.now - YEARS * 365 * 86400)
        for i in range(self.sizes.customers):
            customer = self.first_customer + i
            yield f"{row}\t{customer}\tphone\t{phone(i)}\tt\tf\tf\t{stamp}"
            row += 1
            if i % 2 == 0:
                yield f"{row}\t{customer}\temail\tc{i}@example.net\tt\tf\tf\t{stamp}"
                row += 1

    def _order_status(self) -> tuple[str, str]:
        status, _, method = self.rng.choices(STATUSES, weights=[s[1] for s in STATUSES])[0]
        return status, method or self.rng.choice(("delivery", "pickup"))

    def orders(self, first: int) -> Iterator[str]:
        self.first_order = first
        # per order, for its lines, events and payment: status (index in STATUSES), placed
        self.order_status = bytearray()
        self.order_placed = array("d")
        span = YEARS * 365 * 86400
        for i in range(self.sizes.orders):
            status, method = self._order_status()
            finished = status in ("delivered", "picked_up", "cancelled", "returned")
            age = self.rng.random() * span if finished else self.rng.random() * 5 * 86400
            placed = self.now - age
            self.order_status.append(STATUS_INDEX[status])
            self.order_placed.append(placed)
            pickup = method == "pickup"
            location = self.rng.choice(self.pickup_ids if pickup else self.location_ids)
            ready = at(placed + 3600) if status in ("ready_for_pickup", "picked_up") else NULL
            done = at(placed + 86400) if status in ("delivered", "picked_up", "returned") else NULL
            # the hourly sweep has reminded those ready for REMINDED_AFTER already
            reminded = (
                at(placed + 3600 + REMINDED_AFTER)
                if status == "ready_for_pickup" and age > 3600 + REMINDED_AFTER
                else NULL
            )
            address = "" if pickup else f"{i} Order Street, Springfield"
            code = f"{i % 1_000_000:06d}" if pickup else ""
            customer = self.first_customer + self.rng.randrange(self.sizes.customers)
            yield (
                f"{first + i}\t{ORDER_NUMBER_OFFSET + first + i}\t{customer}\t{status}\t{method}\t"
                f"{address}\t{location}\t{code}\tsms\t{at(placed)}\t{at(placed + 3600)}\t"
                f"{ready}\t{done}\t{done if method == 'delivery' else NULL}\t{reminded}"
            )

    def lines(self, first: int) -> Iterator[str]:
        row = first
        self.order_totals = array("q")
        for i, status in enumerate(self.statuses()):
            total = 0
            for _ in range(self.rng.randint(1, 3)):
                p = self.rng.randrange(self.sizes.products)
                quantity = self.rng.randint(1, 3)
                cancelled = quantity if status == "cancelled" else 0
                fulfilled = quantity if status in ("delivered", "picked_up", "returned") else 0
                returned = quantity if status == "returned" else 0
                price = self.prices[p]
                total += price * (quantity - cancelled)
                yield (
                    f"{row}\t{self.first_order + i}\t{self.first_product + p}\t{product_sku(p)}\t"
                    f"{product_name(p)}\t{price}\t{quantity}\t{cancelled}\t{fulfilled}\t{returned}"
                )
                row += 1
            self.order_totals.append(total)

    def statuses(self) -> Iterator[str]:
        return (STATUSES[index][0] for index in self.order_status)

    def events(self, first: int) -> Iterator[str]:
        row = first
        for i, (status, placed) in enumerate(zip(self.statuses(), self.order_placed, strict=True)):
            order = self.first_order + i
            yield f"{row}\t{order}\tplaced\tcustomer\t\tsms\t\\N\t{{}}\t{at(placed)}"
            yield f"{row + 1}\t{order}\t{status}\tsystem\t\t\t\\N\t{{}}\t{at(placed + 86400)}"
            row += 2

    def payments(self, first: int) -> Iterator[str]:
        row = first
        for i, (status, placed) in enumerate(zip(self.statuses(), self.order_placed, strict=True)):
            if status == "cancelled":
                continue
            order = self.first_order + i
            number = ORDER_NUMBER_OFFSET + order
            yield (
                f"{row}\t{order}\t{self.order_totals[i]}\tcharge\torder {number}"
                f"\t\\N\t{at(placed)}\tdone\t\t0\t\\N\t\\N\t"
            )
            row += 1

    def movements(self, first: int) -> Iterator[str]:
        span = YEARS * 365 * 86400
        # 5,000,000 rows: times from a pool (20-minute steps), the costly part otherwise
        stamps = [at(self.now - k * span / 65536) for k in range(65536)]
        rand, products, orders = self.rng.random, self.sizes.products, self.sizes.orders
        locations = self.location_ids
        for i in range(self.sizes.movements):
            restock = i % 5 == 0
            order = NULL if restock else self.first_order + int(rand() * orders)
            delta = 10 + int(rand() * 40) if restock else -1 - int(rand() * 3)
            yield (
                f"{first + i}\t{self.first_product + int(rand() * products)}\t"
                f"{locations[int(rand() * len(locations))]}\t{delta}\t"
                f"{'restock' if restock else 'sale'}\tbench\t{order}\t\t"
                f"{stamps[int(rand() * len(stamps))]}"
            )

    def conversations(self, first: int) -> Iterator[str]:
        """An SMS conversation for every second customer, up to `sizes.conversations`."""
        self.first_conversation = first
        self.conversation_started = array("d")
        span = YEARS * 365 * 86400
        for i in range(self.sizes.conversations):
            customer = 2 * i % self.sizes.customers
            started = self.now - self.rng.random() * span
            self.conversation_started.append(started)
            last = at(started + MESSAGES_PER_CONVERSATION * 60)
            yield (
                f"{first + i}\t{self.first_customer + customer}\tsms\t{phone(customer)}\tbot\t{{}}"
                f"\t{at(started)}\t{last}"
            )

    def messages(self, first: int) -> Iterator[str]:
        """Each conversation's messages: a customer's question and the bot's answer, in
        turns a minute apart, about the shop's own products and orders, all handled."""
        row = first
        for i, started in enumerate(self.conversation_started):
            conversation = self.first_conversation + i
            for turn in range(MESSAGES_PER_CONVERSATION // 2):
                asked, answered = self._exchange()
                stamp, later = at(started + turn * 120), at(started + turn * 120 + 60)
                for direction, author, text, when in (
                    ("in", "customer", asked, stamp),
                    ("out", "bot", answered, later),
                ):
                    yield (
                        f"{row}\t{conversation}\t{direction}\t{author}\t\tsms\t{NULL}\t{text}"
                        f"\t{{}}\t{when}\t{when}\t0\t\t{NULL}\t{NULL}"
                    )
                    row += 1

    def _exchange(self) -> tuple[str, str]:
        p = self.rng.randrange(self.sizes.products)
        product = product_name(p).lower()
        number = ORDER_NUMBER_OFFSET + self.first_order + self.rng.randrange(self.sizes.orders)
        asked, answered = self.rng.choice(EXCHANGES)
        values = {"product": product, "number": number, "count": self.rng.randint(1, 4)}
        return asked.format(**values), answered.format(**values)


# What customers ask and the bot answers, with a product and an order of the shop's own.
EXCHANGES = (
    ("where is my order #{number}", "Order #{number} is on its way: it left the warehouse today."),
    ("can i get {count} {product} for pickup", "Added {count} x {product}. Anything else?"),
    ("is the {product} in stock?", "Yes, the {product} is in stock at 3 stores."),
    ("the {product} arrived broken", "Sorry about that! I have started a return for it."),
    ("cancel order #{number} please", "Order #{number} is cancelled; the refund follows."),
    ("thanks!", "You're welcome. Anything else I can help with?"),
)
MESSAGES_PER_CONVERSATION = 10

LOCATION_COLUMNS = "id, code, name, address, kind, pickup, hours, priority, active, updated_at"
PRODUCT_COLUMNS = (
    "id, sku, name, price, category, aliases, description, active, low_stock_threshold, "
    "updated_at, variant_of, size, colour, unit"
)
IDENTITY_COLUMNS = "id, customer_id, kind, value, verified, opted_out, unreachable, created_at"
ORDER_COLUMNS = (
    "id, number, customer_id, status, fulfillment_method, address, location_id, pickup_code, "
    "channel, placed_at, updated_at, ready_at, fulfilled_at, delivered_at, pickup_reminded_at"
)
LINE_COLUMNS = (
    "id, order_id, product_id, sku, name, unit_price, quantity, quantity_cancelled, "
    "quantity_fulfilled, quantity_returned"
)
EVENT_COLUMNS = "id, order_id, type, actor_kind, actor_id, channel, message_id, details, at"
PAYMENT_COLUMNS = (
    "id, order_id, amount, kind, reference, return_id, at, state, reason, attempts, "
    "next_attempt_at, locked_until, last_error"
)
MOVEMENT_COLUMNS = "id, product_id, location_id, delta, reason, actor, order_id, note, at"
CONVERSATION_COLUMNS = "id, customer_id, channel, address, mode, state, created_at, last_message_at"
MESSAGE_COLUMNS = (
    "id, conversation_id, direction, author, author_id, channel, provider_id, text, payload, "
    "created_at, handled_at, attempts, last_error, next_attempt_at, dead_at"
)
