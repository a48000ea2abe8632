"""Webhooks acknowledge fast: answered inline when a handler is free and quick, else by REST."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

import bot.engine
from bot.replies import Reply
from channels import handling, intake
from channels.inbound import InboundMessage
from tests.channels_support import deliver_all, inbound_messages, outbox
from tests.standins.signing import twilio_headers, twilio_inbound_sms

URL = "http://localhost/webhooks/twilio/sms"

# The stand-ins and the channel fixtures (until tests/conftest.py loads them for all).


@pytest.fixture
def app(app_factory, twilio_server):  # type: ignore[no-untyped-def]
    return app_factory(twilio_server.settings())


class SlowBot:
    """Answers "echo: TEXT"; a text starting with "slow" waits until `release()`."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.heard: list[str] = []

    def respond(self, session, conversation, text, *, message_id, verified, settings):  # type: ignore[no-untyped-def]
        if text.startswith("slow"):
            assert self.gate.wait(10), "the test never released the bot"
        self.heard.append(text)
        return [Reply(f"echo: {text}")]

    def release(self) -> None:
        self.gate.set()


class Blocker:
    """A job that keeps a handler thread busy (outside any transaction) until released."""

    def __init__(self) -> None:
        self.gate = threading.Event()

    def run(self) -> None:
        self.gate.wait(10)


@pytest.fixture
def slow_bot(monkeypatch: pytest.MonkeyPatch) -> SlowBot:
    bot_ = SlowBot()
    monkeypatch.setattr(bot.engine, "respond", bot_.respond)
    return bot_


@pytest.fixture
def one_handler(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """One handler thread and a short wait, so slowness and saturation are easy to reach."""

    def install(backlog: int = 0, budget: float = 0.3) -> handling.HandlerPool:
        pool = handling.HandlerPool(threads=1, backlog=backlog)
        monkeypatch.setattr(handling, "_pool", pool)
        monkeypatch.setattr(handling, "BUDGET_SECONDS", budget)
        return pool

    return install


def post_sms(app, twilio_server, body: str, phone: str):  # type: ignore[no-untyped-def]
    form = twilio_inbound_sms(
        account_sid=twilio_server.account_sid, from_=phone, to=twilio_server.from_number, body=body
    )
    headers = twilio_headers(twilio_server.auth_token, URL, form)
    return app.test_client().post("/webhooks/twilio/sms", data=form, headers=headers)


def test_reply_later_than_the_budget_goes_out_by_rest(app, twilio_server, slow_bot, one_handler):  # type: ignore[no-untyped-def]
    one_handler()
    response = post_sms(app, twilio_server, "slow question", "+15551230001")
    assert response.status_code == 200
    assert "<Message>" not in response.get_data(as_text=True)  # acknowledged, no answer yet
    slow_bot.release()
    [sent] = wait_for_rest(app, twilio_server, 1)
    assert (sent.to, sent.body) == ("+15551230001", "echo: slow question")
    [row] = outbox(app.extensions["db"])
    assert row.status == "sent" and row.provider_id == sent.sid  # not counted as inline


def test_busy_handlers_acknowledge_at_once_and_answer_later(
    app, twilio_server, slow_bot, one_handler
):  # type: ignore[no-untyped-def]
    blocker = Blocker()
    one_handler(backlog=10).submit(blocker)
    response = post_sms(app, twilio_server, "quick one", "+15551230002")
    assert response.status_code == 200
    assert "<Message>" not in response.get_data(as_text=True)
    [stored] = inbound_messages(app.extensions["db"])
    assert stored.text == "quick one" and stored.handled_at is None  # queued behind the blocker
    blocker.gate.set()
    [sent] = wait_for_rest(app, twilio_server, 1)
    assert (sent.to, sent.body) == ("+15551230002", "echo: quick one")


def test_a_full_queue_leaves_the_message_to_the_sweep(app, twilio_server, slow_bot, one_handler):  # type: ignore[no-untyped-def]
    blocker = Blocker()
    one_handler(backlog=0).submit(blocker)
    response = post_sms(app, twilio_server, "refused for now", "+15551230002")
    assert response.status_code == 200 and "<Message>" not in response.get_data(as_text=True)
    blocker.gate.set()
    database, settings = app.extensions["db"], app.extensions["settings"]
    [stored] = inbound_messages(database)
    assert stored.handled_at is None  # stored and acknowledged, never queued
    assert intake.handle_stranded(database, settings, older_than=timedelta(0)) == 1
    [sent] = wait_for_rest(app, twilio_server, 1)
    assert (sent.to, sent.body) == ("+15551230002", "echo: refused for now")


def test_quick_reply_with_a_free_handler_is_inline(app, twilio_server, slow_bot, one_handler):  # type: ignore[no-untyped-def]
    one_handler(budget=10)
    response = post_sms(app, twilio_server, "hello", "+15551230001")
    assert "<Message>echo: hello</Message>" in response.get_data(as_text=True)
    deliver_all(app)
    assert twilio_server.messages == []


def test_offer_is_settled_once() -> None:
    taken = handling.InlineOffer()
    assert taken.take() and not taken.withdraw()
    withdrawn = handling.InlineOffer()
    assert withdrawn.withdraw() and not withdrawn.take()


def test_messages_of_one_conversation_are_answered_in_order(app, slow_bot) -> None:  # type: ignore[no-untyped-def]
    database, settings = app.extensions["db"], app.extensions["settings"]

    def sms(text: str, sid: str) -> InboundMessage:
        phone = "+15551230001"
        return InboundMessage("sms", phone, text, sid, identity=("phone", phone))

    first, _, _ = intake.store(database, sms("first", "SM1"))
    second, _, _ = intake.store(database, sms("second", "SM2"))
    intake.handle(database, settings, second)  # the later message's handler ran first
    assert slow_bot.heard == ["first", "second"]
    assert intake.handle(database, settings, first) == []
    assert slow_bot.heard == ["first", "second"]
    assert [row.body for row in outbox(database)] == ["echo: first", "echo: second"]


def wait_for_rest(app, twilio_server, count: int):  # type: ignore[no-untyped-def]
    """Run the delivery worker until the stand-in has `count` messages (handling is async)."""
    for _ in range(100):
        deliver_all(app)
        if len(twilio_server.messages) >= count:
            return twilio_server.messages
        threading.Event().wait(0.05)
    raise AssertionError(f"{len(twilio_server.messages)} of {count} messages arrived")
