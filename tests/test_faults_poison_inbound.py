"""A stored customer message whose handling raises (outside the bot) is a poison message.

It is retried a bounded number of times with backoff, then dead-lettered: its
conversation moves on to later messages, the customer is told once that a person will
look at it, and CSRs see it beside the outbox's dead letters and can retry it.
"""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from bot import answering
from conversations import intake, linking
from conversations.inbound import InboundMessage
from conversations.texts import say
from entrypoints import worker
from infra.db import Database
from tests.channels_support import answer_waiting, inbound_messages, outbox
from tests.handoff_support import agent, login, post
from tests.standins.signing import twilio_headers, twilio_inbound_sms

PHONE = "+15551230001"
SORRY = say("channels.inbound_failed")


@pytest.fixture
def app(app_factory, twilio_server):  # type: ignore[no-untyped-def]
    return app_factory(twilio_server.settings(), inbound_max_attempts=3, inbound_backoff_seconds=0)


class Poison:
    """Routing raises, before the bot is asked, on a text with "poison" in it, until cured."""

    def __init__(self) -> None:
        self.tries: list[str] = []
        self.cured = False


@pytest.fixture
def poison(monkeypatch: pytest.MonkeyPatch, echo_bot) -> Poison:  # type: ignore[no-untyped-def]
    real = linking.handle
    state = Poison()

    def handle(session, settings, conversation, text, *, identity_proven):  # type: ignore[no-untyped-def]
        if "poison" in text and not state.cured:
            state.tries.append(text)
            raise UnicodeEncodeError("utf-8", text, 0, 1, "surrogates not allowed")
        return real(session, settings, conversation, text, identity_proven=identity_proven)

    monkeypatch.setattr(linking, "handle", handle)
    return state


def store(database: Database, text: str, sid: str) -> int:
    _, conversation_id, _ = intake.store(
        database, InboundMessage("sms", PHONE, text, sid, identity=("phone", PHONE))
    )
    return conversation_id


def test_a_poison_message_is_dead_lettered_and_the_conversation_moves_on(app, poison) -> None:  # type: ignore[no-untyped-def]
    database, settings = app.extensions["db"], app.extensions["settings"]
    conversation_id = store(database, "poison pill", "SM1")
    store(database, "hello", "SM2")
    first = answering.answer_conversation(database, settings, conversation_id)
    assert first.handled == 0 and first.retry_at is not None
    bad, later = inbound_messages(database)
    assert (bad.attempts, bad.handled_at, later.handled_at) == (1, None, None)  # in order
    assert "UnicodeEncodeError" in bad.last_error
    for _ in range(2):
        answering.answer_conversation(database, settings, conversation_id)
    bad, later = inbound_messages(database)
    assert bad.attempts == 3 and bad.dead_at is not None and bad.handled_at is not None
    assert later.handled_at is not None and later.dead_at is None
    assert [row.body for row in outbox(database)] == [SORRY, "echo: hello"]
    assert len(poison.tries) == 3  # bounded: no more tries
    assert answer_waiting(app) == 0 and len(poison.tries) == 3


def test_the_database_failing_is_not_counted_against_the_message(
    app, echo_bot, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A dropped connection says nothing about the message: the whole turn is tried again
    later, as before, and the message never becomes a dead letter for it."""
    database, settings = app.extensions["db"], app.extensions["settings"]

    def connection_lost(session, settings, conversation, text, *, identity_proven):  # type: ignore[no-untyped-def]
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(linking, "handle", connection_lost)
    conversation_id = store(database, "hello", "SM1")
    for _ in range(5):
        with pytest.raises(OperationalError):
            answering.answer_conversation(database, settings, conversation_id)
    [message] = inbound_messages(database)
    assert (message.attempts, message.dead_at, message.handled_at) == (0, None, None)
    monkeypatch.undo()
    assert answer_waiting(app) == 1


def test_a_failed_message_waits_out_its_backoff(app_factory, twilio_server, poison) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(twilio_server.settings(), inbound_max_attempts=3, inbound_backoff_seconds=60)
    database, settings = app.extensions["db"], app.extensions["settings"]
    conversation_id = store(database, "poison pill", "SM1")
    answering.answer_conversation(database, settings, conversation_id)
    again = answering.answer_conversation(database, settings, conversation_id)
    assert again.handled == 0 and len(poison.tries) == 1  # not tried before it is due
    [bad] = inbound_messages(database)
    assert (bad.attempts, bad.dead_at) == (1, None)
    assert 30 <= (again.retry_at - bad.created_at).total_seconds() <= 61


def test_a_running_worker_dead_letters_it_and_answers_the_next(app, twilio_server, poison) -> None:  # type: ignore[no-untyped-def]
    stop = worker.start(app.extensions["wiring"])
    try:
        post_sms(app, twilio_server, "poison pill")
        post_sms(app, twilio_server, "hello")
        twilio_server.wait_for_messages(2, timeout=15)
        time.sleep(0.5)  # long enough for any further try or notice to show
    finally:
        stop.set()
    assert [m.body for m in twilio_server.messages] == [SORRY, "echo: hello"]
    assert len(poison.tries) == 3


def test_csrs_see_inbound_dead_letters_and_retry_them_and_the_customer_is_told_once(
    app, poison, client
) -> None:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    conversation_id = store(database, "poison <b>pill</b>", "SM1")
    run_until_dead(app, conversation_id)
    with database.sessions() as session:
        agent(session, "csr@example.com")
    assert login(client, "csr@example.com").status_code == 302
    page = client.get("/csr/dead-letters").get_data(as_text=True)
    assert "poison &lt;b&gt;pill&lt;/b&gt;" in page and "UnicodeEncodeError" in page
    [bad] = inbound_messages(database)
    assert f'data-message="{bad.id}"' in page
    post(client, f"/csr/dead-letters/messages/{bad.id}/retry", page="/csr/dead-letters")
    [bad] = inbound_messages(database)
    assert (bad.dead_at, bad.handled_at, bad.attempts) == (None, None, 0)
    run_until_dead(app, conversation_id)
    assert [row.body for row in outbox(database)] == [SORRY]  # told once, not per dead letter
    poison.cured = True
    post(client, f"/csr/dead-letters/messages/{bad.id}/retry", page="/csr/dead-letters")
    assert answer_waiting(app) == 1
    assert [row.body for row in outbox(database)] == [SORRY, "echo: poison <b>pill</b>"]


def test_retrying_a_message_that_is_not_dead_changes_nothing(app, client) -> None:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    store(database, "hello", "SM1")
    with database.sessions() as session:
        agent(session, "csr@example.com")
    login(client, "csr@example.com")
    [waiting] = inbound_messages(database)
    response = post(
        client, f"/csr/dead-letters/messages/{waiting.id}/retry", page="/csr/dead-letters"
    )
    assert response.status_code == 302
    assert "not a dead letter" in client.get("/csr/dead-letters").get_data(as_text=True)
    [same] = inbound_messages(database)
    assert (same.handled_at, same.attempts) == (None, 0)


def run_until_dead(app: Flask, conversation_id: int, tries: int = 10) -> None:
    database, settings = app.extensions["db"], app.extensions["settings"]
    for _ in range(tries):
        answering.answer_conversation(database, settings, conversation_id)
        if all(m.dead_at for m in inbound_messages(database)):
            return
    raise AssertionError(f"not dead-lettered after {tries} tries")


def post_sms(app: Flask, twilio_server, body: str):  # type: ignore[no-untyped-def]
    url = "http://localhost/webhooks/twilio/sms"
    form = twilio_inbound_sms(
        account_sid=twilio_server.account_sid, from_=PHONE, to=twilio_server.from_number, body=body
    )
    response = app.test_client().post(
        "/webhooks/twilio/sms",
        data=form,
        headers=twilio_headers(twilio_server.auth_token, url, form),
    )
    assert response.status_code == 200
