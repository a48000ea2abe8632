"""SMTP, Twilio and the Bot API down, slow or failing for a while, with a real worker running.

After they recover everything is delivered: every message once, in order per
conversation, none left pending or dead. An outage that cuts connections mid-send may
catch a message in flight, whose fate we cannot know (Telegram and email cannot be
asked): that one is a dead letter, never a second send.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask

from conversations.models import OutboxMessage
from conversations.opening import open_conversation
from conversations.outbox import enqueue
from entrypoints import worker
from orders.customers import create_customer
from tests.channels_support import count, outbox

PER_CONVERSATION = 4
ADDRESSES = {
    "sms": ["+15551230001", "+15551230002", "+15551230003"],
    "telegram": ["4001", "4002", "4003"],
    "email": ["a@example.com", "b@example.com", "c@example.com"],
}
SETTLE_SECONDS = 40


@pytest.fixture
def app(app_factory, twilio_server, telegram_server, smtp_server):  # type: ignore[no-untyped-def]
    return app_factory(
        twilio_server.settings(),
        telegram_server.settings(),
        smtp_server.settings(),
        outbox_max_attempts=50,  # the outage must not turn them into dead letters
        outbox_backoff_seconds=1,  # nor 50 instant retries within it
    )


@pytest.fixture
def running_worker(app: Flask) -> Iterator[None]:
    stop = worker.start(app.extensions["wiring"])
    yield
    stop.set()


def queue_everything(app: Flask) -> dict[tuple[str, str], list[str]]:
    """PER_CONVERSATION replies for each address; returns what each should receive, in order."""
    expected: dict[tuple[str, str], list[str]] = {}
    with app.extensions["db"].transaction() as session:
        for channel, addresses in ADDRESSES.items():
            for address in addresses:
                conversation = open_conversation(
                    session, channel, address, create_customer(session)
                )
                texts = [f"{channel} {address} part {n}" for n in range(PER_CONVERSATION)]
                for text in texts:
                    enqueue(session, conversation, text)
                expected[(channel, address)] = texts
    return expected


def received(twilio_server, telegram_server, smtp_server) -> dict[tuple[str, str], list[str]]:  # type: ignore[no-untyped-def]
    got: dict[tuple[str, str], list[str]] = {}
    for sms in twilio_server.messages:
        got.setdefault(("sms", sms.to), []).append(sms.body)
    for message in telegram_server.sent_messages:
        got.setdefault(("telegram", str(message["chat"]["id"])), []).append(message["text"])
    for mail in smtp_server.messages:
        body = mail.message.get_body(("plain",)).get_content().strip()
        got.setdefault(("email", mail.rcpt_tos[0]), []).append(body)
    return got


def wait_until_settled(app: Flask) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    unfinished = OutboxMessage.status.in_(("pending", "sending"))
    while count(app.extensions["db"], OutboxMessage, unfinished) and time.monotonic() < deadline:
        time.sleep(0.2)


def assert_delivered_once_in_order(app, expected, *standins) -> None:  # type: ignore[no-untyped-def]
    assert {row.status for row in outbox(app.extensions["db"])} == {"sent"}
    assert received(*standins) == expected


def test_all_three_down_then_back(
    app, running_worker, twilio_server, telegram_server, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    for standin in (twilio_server, telegram_server, smtp_server):
        standin.stop()
    expected = queue_everything(app)
    time.sleep(2)  # the worker tries, fails and backs off meanwhile
    assert received(twilio_server, telegram_server, smtp_server) == {}
    for standin in (twilio_server, telegram_server, smtp_server):
        standin.start()
    wait_until_settled(app)
    assert_delivered_once_in_order(app, expected, twilio_server, telegram_server, smtp_server)


def test_errors_rate_limits_and_slowness_for_a_while(
    app, running_worker, twilio_server, telegram_server, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    twilio_server.fail_next(3, status=503)
    twilio_server.fail_next(2, status=429)
    twilio_server.delay_next(0.3, count=4)  # slow, but inside the client's timeout
    telegram_server.fail_next(3, status=429, retry_after=1)
    telegram_server.fail_next(2, status=500)
    smtp_server.reject_next(4, code=451)
    expected = queue_everything(app)
    wait_until_settled(app)
    assert_delivered_once_in_order(app, expected, twilio_server, telegram_server, smtp_server)
    assert max(row.attempts for row in outbox(app.extensions["db"])) > 1


def test_twilio_answering_after_our_timeout_for_a_while(
    app, running_worker, twilio_server, telegram_server, smtp_server, short_send_timeout
) -> None:  # type: ignore[no-untyped-def]
    twilio_server.delay_next(1.0, count=3)  # taken, but the answer comes too late
    expected = queue_everything(app)
    wait_until_settled(app)
    assert_delivered_once_in_order(app, expected, twilio_server, telegram_server, smtp_server)
    assert max(row.attempts for row in outbox(app.extensions["db"]) if row.channel == "sms") > 1


def assert_each_sent_once_or_dead(app, expected, *standins) -> None:  # type: ignore[no-untyped-def]
    """Every message arrived once, in order, except dead letters, which never arrived."""
    rows = outbox(app.extensions["db"])
    assert {row.status for row in rows} <= {"sent", "dead"}
    dead = {(row.channel, row.to_address, row.body) for row in rows if row.status == "dead"}
    kept = {
        key: [text for text in texts if (*key, text) not in dead] for key, texts in expected.items()
    }
    assert received(*standins) == {key: texts for key, texts in kept.items() if texts}


def test_an_outage_in_the_middle_of_a_burst(
    app, running_worker, twilio_server, telegram_server, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    expected = queue_everything(app)
    twilio_server.wait_for_messages(1, timeout=10)
    for standin in (twilio_server, telegram_server, smtp_server):
        standin.stop()  # cuts kept-alive connections too, mid-burst
    time.sleep(1.5)
    for standin in (twilio_server, telegram_server, smtp_server):
        standin.start()
    wait_until_settled(app)
    assert_each_sent_once_or_dead(app, expected, twilio_server, telegram_server, smtp_server)
