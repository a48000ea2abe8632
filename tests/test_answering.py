"""Webhooks store and acknowledge; the workers' answering threads answer, in order, once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

import bot.engine
from bot import answering, dispatch
from bot.replies import Reply
from conversations import intake
from conversations.inbound import InboundMessage
from entrypoints import worker
from entrypoints.bootstrap import bootstrap
from tests.channels_support import answer_waiting, inbound_messages, outbox
from tests.standins.signing import twilio_headers, twilio_inbound_sms

URL = "http://localhost/webhooks/twilio/sms"


@pytest.fixture
def app(app_factory, twilio_server):  # type: ignore[no-untyped-def]
    return app_factory(twilio_server.settings())


class SlowBot:
    """Answers "echo: TEXT"; a text starting with "slow" waits until `release()`."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.heard: list[str] = []
        self.busy = 0
        self.most_busy = 0
        self._lock = threading.Lock()

    def respond(self, session, conversation, text, *, message_id, verified, settings):  # type: ignore[no-untyped-def]
        with self._lock:
            self.busy += 1
            self.most_busy = max(self.most_busy, self.busy)
        try:
            if text.startswith("slow"):
                assert self.gate.wait(10), "the test never released the bot"
            self.heard.append(text)
            return [Reply(f"echo: {text}")]
        finally:
            with self._lock:
                self.busy -= 1

    def release(self) -> None:
        self.gate.set()


@pytest.fixture
def slow_bot(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowBot]:
    bot_ = SlowBot()
    monkeypatch.setattr(bot.engine, "respond", bot_.respond)
    yield bot_
    bot_.release()  # never leave an answering thread waiting


@pytest.fixture
def running_worker(app) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """This process's answering and delivery threads, as `python app.py worker` runs them."""
    stop = worker.start(app.extensions["wiring"])
    yield
    stop.set()


def sms(text: str, sid: str, phone: str = "+15551230001") -> InboundMessage:
    return InboundMessage("sms", phone, text, sid, identity=("phone", phone))


def post_sms(app, twilio_server, body: str, phone: str):  # type: ignore[no-untyped-def]
    form = twilio_inbound_sms(
        account_sid=twilio_server.account_sid, from_=phone, to=twilio_server.from_number, body=body
    )
    headers = twilio_headers(twilio_server.auth_token, URL, form)
    return app.test_client().post("/webhooks/twilio/sms", data=form, headers=headers)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("not within the time allowed")
        time.sleep(0.02)


def test_webhook_stores_and_acknowledges_without_answering(app, twilio_server, slow_bot) -> None:  # type: ignore[no-untyped-def]
    response = post_sms(app, twilio_server, "where is my order", "+15551230001")
    assert response.status_code == 200
    assert "<Message>" not in response.get_data(as_text=True)  # empty TwiML: the worker answers
    [stored] = inbound_messages(app.extensions["db"])
    assert stored.text == "where is my order" and stored.handled_at is None
    assert slow_bot.heard == []


def test_a_running_worker_answers_through_the_rest_api(
    app, twilio_server, slow_bot, running_worker
) -> None:  # type: ignore[no-untyped-def]
    post_sms(app, twilio_server, "hello", "+15551230001")
    wait_until(lambda: len(twilio_server.messages) == 1)
    [sent] = twilio_server.messages
    assert (sent.to, sent.body) == ("+15551230001", "echo: hello")
    wait_until(lambda: outbox(app.extensions["db"])[0].status == "sent")  # after Twilio's answer
    assert outbox(app.extensions["db"])[0].provider_id == sent.sid


def test_a_slow_conversation_does_not_hold_up_others(
    app, twilio_server, slow_bot, running_worker
) -> None:  # type: ignore[no-untyped-def]
    if app.extensions["db"].is_sqlite:
        pytest.skip("SQLite has one writer: a bot turn holds it until it commits")
    post_sms(app, twilio_server, "slow question", "+15551230001")
    wait_until(lambda: slow_bot.busy == 1)
    post_sms(app, twilio_server, "quick one", "+15551230002")
    wait_until(lambda: len(twilio_server.messages) == 1)
    assert twilio_server.messages[0].body == "echo: quick one"
    slow_bot.release()
    wait_until(lambda: len(twilio_server.messages) == 2)


def test_one_customer_is_answered_one_message_at_a_time_in_order(
    app, twilio_server, slow_bot
) -> None:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    for number, text in enumerate(["slow first", "second", "third"]):
        intake.store(database, sms(text, f"SM{number}"))
    stop = worker.start(app.extensions["wiring"])
    try:
        wait_until(lambda: slow_bot.busy == 1)
        time.sleep(0.3)  # the other answering threads are free, yet must not take this customer
        assert slow_bot.heard == []
        slow_bot.release()
        wait_until(lambda: len(twilio_server.messages) == 3)
    finally:
        stop.set()
    assert slow_bot.heard == ["slow first", "second", "third"]
    bodies = [m.body for m in twilio_server.messages]
    assert bodies == ["echo: slow first", "echo: second", "echo: third"]
    assert slow_bot.most_busy == 1


def test_an_answer_that_fails_is_retried_after_a_pause(
    app, twilio_server, slow_bot, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    real = answering.answer_conversation
    failures = []

    def flaky(database, settings, conversation_id):  # type: ignore[no-untyped-def]
        if not failures:
            failures.append(conversation_id)
            raise RuntimeError("the database went away")
        return real(database, settings, conversation_id)

    monkeypatch.setattr(answering, "answer_conversation", flaky)
    monkeypatch.setattr(dispatch, "RETRY_FAILED_SECONDS", 0.3)
    stop = worker.start(app.extensions["wiring"])
    try:
        post_sms(app, twilio_server, "try again", "+15551230004")
        wait_until(lambda: len(twilio_server.messages) == 1)
    finally:
        stop.set()
    assert failures and twilio_server.messages[0].body == "echo: try again"
    [stored] = inbound_messages(app.extensions["db"])
    assert stored.handled_at is not None


def test_messages_of_one_conversation_are_answered_in_order(app, slow_bot) -> None:  # type: ignore[no-untyped-def]
    database, settings = app.extensions["db"], app.extensions["settings"]
    first, _, _ = intake.store(database, sms("first", "SM1"))
    second, _, _ = intake.store(database, sms("second", "SM2"))
    answering.handle(database, settings, second)  # the later message's handler ran first
    assert slow_bot.heard == ["first", "second"]
    answering.handle(database, settings, first)  # handled already: nothing more
    assert slow_bot.heard == ["first", "second"]
    assert [row.body for row in outbox(database)] == ["echo: first", "echo: second"]


def test_waiting_conversations_come_longest_waiting_first(app, slow_bot) -> None:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    _, early, _ = intake.store(database, sms("a", "SM1", "+15551230001"))
    _, late, _ = intake.store(database, sms("b", "SM2", "+15551230002"))
    intake.store(database, sms("c", "SM3", "+15551230001"))
    assert dispatch.waiting_conversations(database) == [early, late]
    assert answer_waiting(app) == 3
    assert dispatch.waiting_conversations(database) == []


def test_a_message_stored_by_another_process_wakes_the_worker(
    app, twilio_server, slow_bot, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """NOTIFY on PostgreSQL, the named pipe on SQLite."""
    monkeypatch.setattr(dispatch, "POLL_SECONDS", 30)  # only the wake-up can wake it
    stop = worker.start(app.extensions["wiring"])
    other_process = bootstrap(app.extensions["settings"])
    try:
        time.sleep(0.5)  # listening, and the dispatcher asleep in its (now long) wait
        # stored with the notification but without this process's in-memory wake-up
        intake.store(
            other_process.database, sms("wake up", "SM9"), wake=other_process.wakeups.inbound
        )
        wait_until(lambda: len(twilio_server.messages) == 1, timeout=5)
    finally:
        other_process.database.dispose()
        stop.set()
    assert twilio_server.messages[0].body == "echo: wake up"


def test_a_conversation_locked_by_another_worker_is_skipped(app, slow_bot) -> None:  # type: ignore[no-untyped-def]
    database, settings = app.extensions["db"], app.extensions["settings"]
    if database.is_sqlite:
        pytest.skip("SQLite runs one writer at a time: there is nothing to skip")
    _, conversation_id, _ = intake.store(database, sms("slow one", "SM1"))
    first = threading.Thread(
        target=answering.answer_conversation, args=(database, settings, conversation_id)
    )
    first.start()
    wait_until(lambda: slow_bot.busy == 1)
    other_process = bootstrap(settings).database
    try:
        assert answering.answer_conversation(other_process, settings, conversation_id).handled == 0
    finally:
        other_process.dispose()
    slow_bot.release()
    first.join(5)
    assert slow_bot.heard == ["slow one"]
