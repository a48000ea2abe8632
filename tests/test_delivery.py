"""The delivery worker: leases, order per conversation, backoff, dead letters, many workers."""

from __future__ import annotations

import threading

import pytest

from conversations import delivery
from conversations.opening import open_conversation
from conversations.outbox import enqueue
from infra import retry_backoff
from infra.clock import ManualClock
from infra.db import Database
from orders.customers import create_customer
from tests.channels_support import outbox, send_once, senders_with

# The stand-ins and the channel fixtures (until tests/conftest.py loads them for all).


@pytest.fixture
def clock() -> ManualClock:
    """The apps' clock: a lease runs out when a test moves it on."""
    return ManualClock()


@pytest.fixture
def app(app_factory):  # type: ignore[no-untyped-def]
    return app_factory(outbox_max_attempts=3)


def queue(database: Database, texts: list[str], address: str = "web-1") -> None:
    with database.transaction() as session:
        conversation = open_conversation(session, "web", address, create_customer(session))
        for text in texts:
            enqueue(session, conversation, text)


def test_rows_of_one_conversation_go_out_in_order(app) -> None:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    queue(database, ["one", "two"], "a")
    queue(database, ["other"], "b")
    with database.transaction() as session:
        first = delivery.claim(session, limit=10)
    assert [row.body for row in first] == ["one", "other"]  # "two" waits for "one"


def test_a_dead_workers_lease_expires_and_another_takes_over(app, clock) -> None:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    queue(database, ["hello"])
    with database.transaction() as session:
        assert len(delivery.claim(session, limit=10)) == 1  # this worker is then killed
    assert send_once(app) == 0  # leased: nobody else touches it
    clock.advance(seconds=app.extensions["settings"].outbox_lease_seconds + 1)
    assert send_once(app) == 1
    [row] = outbox(database)
    assert (row.status, row.attempts) == ("sent", 2)


def test_failures_back_off_then_become_dead_letters(app) -> None:  # type: ignore[no-untyped-def]
    database, settings = app.extensions["db"], app.extensions["settings"]
    queue(database, ["hello"])

    def failing(row, settings):  # type: ignore[no-untyped-def]
        raise delivery.DeliveryError("provider down")

    for _ in range(5):
        delivery.run_once(database, settings, senders_with(web=failing))
    [row] = outbox(database)
    assert (row.status, row.attempts, row.last_error) == ("dead", 3, "provider down")


def test_backoff_grows_exponentially_with_jitter() -> None:
    for attempts, ceiling in [(1, 5), (2, 10), (5, 80), (30, retry_backoff.BACKOFF_CAP_SECONDS)]:
        delays = [retry_backoff.backoff_seconds(attempts, 5) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1


def test_many_workers_claim_each_row_once(app) -> None:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    for index in range(40):
        queue(database, [f"message {index}"], f"visitor-{index}")
    claimed: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        while True:
            with database.transaction() as session:
                rows = delivery.claim(session, limit=3)
            if not rows:
                return
            with lock:
                claimed.extend(row.id for row in rows)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted({row.id for row in outbox(database)})
