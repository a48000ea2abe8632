"""A real `python app.py worker` killed with SIGKILL while it holds outbox rows.

The rows it claimed stay leased until the lease (OUTBOX_LEASE_SECONDS, short here)
runs out; then a second worker takes them over and delivers every message once, in
order per conversation: also the one Twilio had taken from the first worker, whose
answer never reached it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from conversations.models import OutboxMessage
from conversations.opening import open_conversation
from conversations.outbox import enqueue
from infra.db import utcnow
from orders.customers import create_customer
from tests.channels_support import app_processes, count, outbox

LEASE_SECONDS = 3
CUSTOMERS = 25
IN_ORDER = 5  # replies to one customer, which must arrive in this order


@pytest.fixture
def app(app_factory, twilio_server):  # type: ignore[no-untyped-def]
    return app_factory(twilio_server.settings())


@pytest.fixture
def start_worker(db_url: str, twilio_server) -> Iterator[Callable[[], subprocess.Popen]]:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        **twilio_server.settings(),
        "DATABASE_URL": db_url,
        "SECRET_KEY": "test-secret",
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "OUTBOX_BACKOFF_SECONDS": "0",
    }
    with app_processes(env) as spawn:
        yield lambda: spawn("worker")


def queue(app: Flask) -> list[tuple[str, str]]:
    """(address, body) of every reply, in the order each customer must get them."""
    expected = []
    with app.extensions["db"].transaction() as session:
        for index in range(CUSTOMERS):
            address = f"+1555123{index:04d}"
            conversation = open_conversation(session, "sms", address, create_customer(session))
            for part in range(IN_ORDER if index == 0 else 1):
                body = f"reply {part} to customer {index}"
                enqueue(session, conversation, body)
                expected.append((address, body))
    return expected


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.parametrize("taken_by_twilio", [False, True], ids=["hung_before", "hung_after"])
def test_rows_of_a_killed_worker_are_taken_over_after_the_lease(
    app, twilio_server, start_worker, taken_by_twilio
) -> None:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    expected = queue(app)
    # The first send hangs, the worker mid-batch: before Twilio takes the message, or
    # after (its answer is held back until after the kill).
    if taken_by_twilio:
        twilio_server.delay_next(8)
    else:
        twilio_server.stall_next(20)
    first = start_worker()
    twilio_server.wait_until_holding(1, timeout=60)  # the first send is hanging at Twilio
    held = {row.id for row in outbox(database) if row.status == "sending"}
    assert len(held) > 1, "the worker was killed before it had claimed a batch"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert len(twilio_server.messages) == (1 if taken_by_twilio else 0)

    leases = {row.id: row.locked_until for row in outbox(database) if row.id in held}
    sent_before = len(twilio_server.messages)
    second = start_worker()
    # Not before the lease runs out: then all of them, each once. Looked at once the
    # second worker is sending the rows the first never claimed, if that is in time.
    twilio_server.wait_for_messages(sent_before + 1, timeout=60)
    now_leased = {row.id: row.locked_until for row in outbox(database) if row.id in held}
    if utcnow() < min(leases.values()):
        assert now_leased == leases, "the second worker took rows whose lease had not run out"
    unfinished = OutboxMessage.status.in_(("pending", "sending"))
    wait_for(lambda: count(database, OutboxMessage, unfinished) == 0, 40, "delivery")
    assert second.poll() is None  # still serving

    rows = outbox(database)
    assert {row.status for row in rows} == {"sent"}
    assert all(row.attempts >= 2 for row in rows if row.id in held)
    got = [(sms.to, sms.body) for sms in twilio_server.messages]
    assert sorted(got) == sorted(expected)  # every reply, none twice
    first_customer = expected[0][0]
    assert [b for a, b in got if a == first_customer] == [
        b for a, b in expected if a == first_customer
    ]
