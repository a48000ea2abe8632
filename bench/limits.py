"""What the abuse limits cost: counts per second, and the SMS gate's look-ups per second.

    python bench/limits.py [--seconds 3] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

- count, many subjects: one event counted in its own transaction, each thread for its
  own senders (a web chat message's check);
- count, 100 a transaction: the statement's own cost, without a commit each (as
  inside the answering transaction, which commits anyway);
- count, one subject: every thread on the same row (the shop-wide link-code limit);
- SMS gate: conversations.destinations.refusal for a known number (a read per SMS sent).
SQLite uses a temporary file; PostgreSQL a scratch database dropped afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.scratch import on_both_databases  # noqa: E402
from conversations import destinations  # noqa: E402
from entrypoints.bootstrap import bootstrap  # noqa: E402
from infra import migrate  # noqa: E402
from infra.rate_limits import Limit, count  # noqa: E402
from infra.settings import load_settings  # noqa: E402
from orders.customers import customer_for_identity  # noqa: E402

PHONE = "+14155550100"
LIMIT = Limit("bench", 1_000_000, 60)
THREADS = (1, 4)
BATCH = 100


def rate(seconds: float, threads: int, operation: Callable[[int, int], None]) -> float:
    """Operations per second, all threads together; operation(thread, n)."""
    done = [0] * threads
    stop = time.monotonic() + seconds

    def run(thread: int) -> None:
        for n in itertools.count():
            if time.monotonic() >= stop:
                return
            operation(thread, n)
            done[thread] += 1

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / seconds


def bench(label: str, url: str, seconds: float) -> list[tuple[str, str, int, float]]:
    settings = load_settings(database_url=url, twilio_from_number="+15005550006")
    database = bootstrap(settings).database  # counts read the wired clock
    migrate.upgrade(database)
    with database.transaction() as session:
        customer_for_identity(session, "phone", PHONE)

    def count_own(thread: int, n: int) -> None:
        with database.transaction(async_commit=True) as session:  # as web chat's check
            count(session, LIMIT, f"sender-{thread}-{n % 1000}")

    def count_in_turn(thread: int, n: int) -> None:
        with database.transaction() as session:
            for event in range(BATCH):
                count(session, LIMIT, f"sender-{thread}-{event}")

    def count_shared(thread: int, n: int) -> None:
        with database.transaction() as session:
            count(session, LIMIT, "shop")

    def gate(thread: int, n: int) -> None:
        with database.reading() as session:
            destinations.refusal(session, settings, "sms", PHONE)

    cases = (
        ("count, many subjects", count_own, 1),
        (f"count, {BATCH} a transaction", count_in_turn, BATCH),
        ("count, one subject", count_shared, 1),
        ("SMS gate", gate, 1),
    )
    try:
        return [
            (label, name, threads, events * rate(seconds, threads, operation))
            for name, operation, events in cases
            for threads in THREADS
        ]
    finally:
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    rows = on_both_databases(
        lambda label, url: bench(label, url, args.seconds), args.pg, "bench_limits"
    )
    print(f"\n{'database':<12}{'case':<28}{'threads':>8}{'per second':>12}{'ms each':>10}")
    for label, name, threads, per_second in rows:
        ms = 1000 * threads / per_second if per_second else float("nan")
        print(f"{label:<12}{name:<28}{threads:>8}{per_second:>12.0f}{ms:>10.2f}")


if __name__ == "__main__":
    main()
