"""A send that may have gone out is never repeated; one known not to have gone out is.

Each provider stand-in takes a message and hangs up before answering (the answer lost
on the way back): that row becomes a dead letter with its error, sent once. A refused
connection or an error answer (5xx, 4xx for SMTP) is retried until it goes through.
"""

from __future__ import annotations

import pytest
from flask import Flask

from conversations.opening import open_conversation
from conversations.outbox import enqueue
from orders.customers import create_customer
from tests.channels_support import deliver_all, outbox, send_once, senders_with


@pytest.fixture
def app(app_factory, telegram_server, smtp_server):  # type: ignore[no-untyped-def]
    return app_factory(telegram_server.settings(), smtp_server.settings())


def queue_reply(app: Flask, channel: str, address: str, text: str = "Your order shipped.") -> None:
    with app.extensions["db"].transaction() as session:
        conversation = open_conversation(session, channel, address, create_customer(session))
        enqueue(session, conversation, text)


def test_telegram_taken_then_hung_up_is_a_dead_letter_not_a_second_send(
    app, telegram_server
) -> None:  # type: ignore[no-untyped-def]
    queue_reply(app, "telegram", "4001")
    telegram_server.hang_up_next()
    send_once(app)
    deliver_all(app)
    assert [m["text"] for m in telegram_server.sent_messages] == ["Your order shipped."]
    [row] = outbox(app.extensions["db"])
    assert (row.status, row.attempts) == ("dead", 1)
    assert "may have" in row.last_error or "RemoteProtocolError" in row.last_error


@pytest.mark.parametrize("status", [500, 429])
def test_telegram_error_answer_is_retried(app, telegram_server, status: int) -> None:  # type: ignore[no-untyped-def]
    queue_reply(app, "telegram", "4002")
    telegram_server.fail_next(1, status=status, retry_after=0)
    send_once(app)
    [row] = outbox(app.extensions["db"])
    assert (row.status, row.attempts) == ("pending", 1), row.last_error
    deliver_all(app)
    assert [m["text"] for m in telegram_server.sent_messages] == ["Your order shipped."]
    [row] = outbox(app.extensions["db"])
    assert (row.status, row.attempts) == ("sent", 2)


def test_telegram_not_reachable_is_retried(app, telegram_server) -> None:  # type: ignore[no-untyped-def]
    queue_reply(app, "telegram", "4003")
    outage_is_retried(app, telegram_server, attempts=1)
    assert len(telegram_server.sent_messages) == 1


def test_email_taken_then_hung_up_is_a_dead_letter_not_a_second_send(app, smtp_server) -> None:  # type: ignore[no-untyped-def]
    queue_reply(app, "email", "jo@example.com")
    smtp_server.hang_up_next()
    send_once(app)
    deliver_all(app)
    assert len(smtp_server.messages) == 1
    [row] = outbox(app.extensions["db"])
    assert (row.status, row.attempts) == ("dead", 1)
    assert "may have been taken" in row.last_error


def test_email_temporary_refusal_and_no_server_are_retried(app, smtp_server) -> None:  # type: ignore[no-untyped-def]
    queue_reply(app, "email", "jo@example.com")
    smtp_server.reject_next(1, code=451)
    send_once(app)
    [row] = outbox(app.extensions["db"])
    assert (row.status, row.attempts) == ("pending", 1), row.last_error
    outage_is_retried(app, smtp_server, attempts=2)
    assert len(smtp_server.messages) == 1


def outage_is_retried(app: Flask, standin, *, attempts: int) -> None:  # type: ignore[no-untyped-def]
    """A try while `standin` is down leaves the row pending; once it is back, it is sent."""
    standin.stop()
    send_once(app)
    [row] = outbox(app.extensions["db"])
    assert (row.status, row.attempts) == ("pending", attempts), row.last_error
    standin.start()
    deliver_all(app)
    assert outbox(app.extensions["db"])[0].status == "sent"


def test_an_unexpected_failure_is_dead_lettered_at_once_with_its_error(app_factory) -> None:  # type: ignore[no-untyped-def]
    calls = []

    def broken(row, settings):  # type: ignore[no-untyped-def]
        calls.append(row.id)
        raise KeyError("chat_id")  # a bug after the provider may have taken it

    app = app_factory(senders=senders_with(web=broken))
    queue_reply(app, "web", "visitor-1")
    deliver_all(app)
    [row] = outbox(app.extensions["db"])
    assert (row.status, row.attempts, len(calls)) == ("dead", 1, 1)
    assert row.last_error == "KeyError: 'chat_id'"
