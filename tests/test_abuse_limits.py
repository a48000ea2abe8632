"""Attacks on what costs the shop money or floods its people, and the limits that stop them.

Issue 12: SMS pumping through "link my phone" (from the web chat, without limit, to
any country, to STOPped numbers), and floods of web chat messages, handoffs and
webhook messages. Each test is the attack as it was made, through the real routes,
with Twilio and Telegram replaced by the stand-ins.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from conversations import delivery
from conversations import handoffs as queue
from conversations.models import Message, OutboxMessage
from conversations.outbox import enqueue
from conversations.staff_models import Handoff
from conversations.texts import say
from infra.clock import ManualClock
from infra.db import Database
from infra.rate_limits import Limit, RateCounter, count
from infra.settings import load_settings
from tests.channels_support import answer_waiting, deliver_all, outbox
from tests.standins import telegram_updates as updates
from tests.standins.signing import twilio_headers, twilio_inbound_sms

SECRET = "standin-webhook-secret"
CUSTOMER = "+15551230001"
TARGET = "+14155550100"  # a valid US mobile-range number, the shop's own country
SMS_URL = "http://localhost/webhooks/twilio/sms"


@pytest.fixture
def clock() -> ManualClock:
    """Every count of a test in the same windows: a minute's edge in mid-test would start
    the counts afresh (the burst fixed windows allow, see rate_limits) and flake. The
    apps' wiring runs on this clock, which stands still unless a test moves it."""
    return ManualClock()


@pytest.fixture
def app(app_factory, twilio_server, telegram_server, smtp_server):  # type: ignore[no-untyped-def]
    return app_factory(
        twilio_server.settings(), telegram_server.settings(SECRET), smtp_server.settings()
    )


def post_sms(app, twilio_server, body: str, from_: str = CUSTOMER):  # type: ignore[no-untyped-def]
    """A signed Twilio webhook, then the answering a worker would do."""
    form = twilio_inbound_sms(
        account_sid=twilio_server.account_sid, from_=from_, to=twilio_server.from_number, body=body
    )
    headers = twilio_headers(twilio_server.auth_token, SMS_URL, form)
    response = app.test_client().post("/webhooks/twilio/sms", data=form, headers=headers)
    assert response.status_code == 200
    answer_waiting(app)


def post_telegram(app, text: str) -> None:  # type: ignore[no-untyped-def]
    response = app.test_client().post(
        "/webhooks/telegram",
        json=updates.message_update(text),
        headers={updates.SECRET_HEADER: SECRET},
    )
    assert response.status_code == 200
    answer_waiting(app)


class WebVisitor:
    """One browser session on /chat (its chat token once it has one), from one client address."""

    def __init__(self, app, address: str = "203.0.113.7") -> None:  # type: ignore[no-untyped-def]
        self.client = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = address
        self.token: str | None = None

    def say(self, text: str):  # type: ignore[no-untyped-def]
        headers = {"X-Chat-Token": self.token} if self.token else {}
        response = self.client.post("/chat/messages", json={"text": text}, headers=headers)
        self.token = (response.get_json() or {}).get("token") or self.token
        return response


def replies_to(database: Database, address: str) -> list[str]:
    with database.transaction() as session:
        return list(
            session.scalars(
                select(OutboxMessage.body)
                .where(OutboxMessage.to_address == address)
                .order_by(OutboxMessage.id)
            )
        )


def sms_sent_to(app, twilio_server, number: str) -> list[str]:  # type: ignore[no-untyped-def]
    deliver_all(app, rounds=50)  # a conversation's messages go out one per round
    return [m.body for m in twilio_server.messages if m.to == number]


# Link codes: who may ask, how many, where they may go ----------------------------------


def test_web_chat_cannot_make_the_shop_text_codes(app, twilio_server, smtp_server) -> None:  # type: ignore[no-untyped-def]
    visitor = WebVisitor(app)
    asks = [f"link my phone {TARGET}", "link my email jo@example.com"]
    asks += ["link my phone +882123456789"] * 38  # the attack: 40 in a row
    answers = [visitor.say(text) for text in asks]
    deliver_all(app)
    assert twilio_server.messages == [] and smtp_server.messages == []
    assert outbox_channels(app) == {"web"}  # nothing queued for SMS or email either
    refusal = say("channels.link_needs_identity")
    assert all(refusal in texts(a) for a in answers[:20])
    assert all(a.status_code == 429 for a in answers[20:])


def outbox_channels(app) -> set[str]:  # type: ignore[no-untyped-def]
    return {row.channel for row in outbox(app.extensions["db"])}


def test_codes_to_one_number_stop_at_the_per_address_limit(app, twilio_server) -> None:  # type: ignore[no-untyped-def]
    senders = [f"+1555123000{i}" for i in range(1, 6)]  # five proven phones, one target
    for sender in senders:
        post_sms(app, twilio_server, f"link my phone {TARGET}", from_=sender)
    assert len(sms_sent_to(app, twilio_server, TARGET)) == 3  # LINK_CODES_PER_ADDRESS_PER_HOUR
    database = app.extensions["db"]
    for sender in senders[:3]:
        assert replies_to(database, sender) == [say("channels.link_code_sent", address=TARGET)]
    for sender in senders[3:]:
        assert replies_to(database, sender) == [say("limits.link_codes")]


def test_codes_asked_by_one_conversation_stop_at_its_limit(app, twilio_server) -> None:  # type: ignore[no-untyped-def]
    targets = [f"+1415555010{i}" for i in range(5)]
    for target in targets:
        post_sms(app, twilio_server, f"link my phone {target}")
    deliver_all(app)
    assert {m.to for m in twilio_server.messages} == {CUSTOMER, *targets[:3]}
    assert replies_to(app.extensions["db"], CUSTOMER)[3:] == [say("limits.link_codes")] * 2


def test_telegram_users_are_limited_too(app, twilio_server) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        post_telegram(app, f"link my phone +1415555020{i}")
    deliver_all(app)
    assert len(twilio_server.messages) == 3  # LINK_CODES_PER_HOUR


def test_codes_stop_at_the_shop_limit(app_factory, twilio_server) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(twilio_server.settings(), link_codes_per_shop_per_hour=4)
    for i in range(6):
        post_sms(app, twilio_server, f"link my phone +1415555030{i}", from_=f"+1555123001{i}")
    deliver_all(app)
    assert len([m for m in twilio_server.messages if m.to.startswith("+1415")]) == 4


@pytest.mark.parametrize(
    "number",
    [
        "+882123456789",  # international networks
        "+447400123456",  # another country (GB)
        "+18765550100",  # Jamaica: +1, but not the US
        "+19005550100",  # US premium rate
    ],
)
def test_codes_only_to_numbers_in_the_allowed_countries(app, twilio_server, number) -> None:  # type: ignore[no-untyped-def]
    post_sms(app, twilio_server, f"link my phone {number}")
    assert sms_sent_to(app, twilio_server, number) == []
    [answer] = replies_to(app.extensions["db"], CUSTOMER)
    assert answer == say("channels.link_not_sendable", address=number, countries="US")


def test_allowed_countries_are_a_setting(app_factory, twilio_server) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(twilio_server.settings(), sms_allowed_countries=("US", "GB"))
    post_sms(app, twilio_server, "link my phone +447400123456")
    assert len(sms_sent_to(app, twilio_server, "+447400123456")) == 1
    with pytest.raises(ValueError, match="UK"):
        load_settings_with(SMS_ALLOWED_COUNTRIES="US,UK")


def load_settings_with(**env: str):  # type: ignore[no-untyped-def]
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return load_settings()


def test_no_code_to_a_number_that_said_stop(app, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    post_sms(app, twilio_server, "STOP", from_=TARGET)
    post_sms(app, twilio_server, f"link my phone {TARGET}")
    assert sms_sent_to(app, twilio_server, TARGET) == []
    assert replies_to(app.extensions["db"], CUSTOMER) == [
        say("channels.link_opted_out", address=TARGET)
    ]


# The gate every SMS passes, whoever queued it ------------------------------------------


def queue_sms(app, number: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """What a CSR reply or any other caller does: queue a message on the number's conversation."""
    from conversations.opening import open_conversation
    from orders.customers import customer_for_identity

    with app.extensions["db"].transaction() as session:
        customer = customer_for_identity(session, "phone", number)
        enqueue(session, open_conversation(session, "sms", number, customer), text, author="csr")


def test_a_stopped_number_gets_no_sms_from_anyone(app, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    post_sms(app, twilio_server, "STOP")
    queue_sms(app, CUSTOMER, "A CSR writes anyway")
    assert sms_sent_to(app, twilio_server, CUSTOMER) == []
    [row] = outbox(app.extensions["db"])
    assert row.status == "dead" and "opted out (STOP)" in row.last_error


@pytest.mark.parametrize("number", ["+447400123456", "+882123456789", "+19005550100"])
def test_no_sms_outside_the_allowed_countries_from_anyone(app, twilio_server, number) -> None:  # type: ignore[no-untyped-def]
    queue_sms(app, number, "Your order shipped.")
    assert sms_sent_to(app, twilio_server, number) == []
    [row] = outbox(app.extensions["db"])
    assert row.status == "dead" and number in row.last_error


SHOP_WHATSAPP = "+14155238886"


def post_whatsapp(app, twilio_server, body: str, from_: str = CUSTOMER) -> None:  # type: ignore[no-untyped-def]
    form = twilio_inbound_sms(
        account_sid=twilio_server.account_sid,
        from_="whatsapp:" + from_,
        to="whatsapp:" + SHOP_WHATSAPP,
        body=body,
    )
    headers = twilio_headers(twilio_server.auth_token, SMS_URL, form)
    assert app.test_client().post("/webhooks/twilio/sms", data=form, headers=headers).status_code
    answer_waiting(app)


@pytest.fixture
def whatsapp_app(app_factory, twilio_server):  # type: ignore[no-untyped-def]
    return app_factory(twilio_server.settings(), twilio_whatsapp_from=SHOP_WHATSAPP)


@pytest.mark.parametrize("number", ["+447400123456", "+882123456789"])
def test_no_whatsapp_outside_the_allowed_countries(
    whatsapp_app, twilio_server, echo_bot, number
) -> None:  # type: ignore[no-untyped-def]
    post_whatsapp(whatsapp_app, twilio_server, "hi", from_=number)  # their window is open
    deliver_all(whatsapp_app)
    assert twilio_server.messages == []
    [row] = outbox(whatsapp_app.extensions["db"])
    assert (row.channel, row.status) == ("whatsapp", "dead") and number in row.last_error


def test_stop_by_sms_stops_whatsapp_too(whatsapp_app, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    post_whatsapp(whatsapp_app, twilio_server, "hi")
    deliver_all(whatsapp_app)
    post_sms(whatsapp_app, twilio_server, "STOP")
    post_whatsapp(whatsapp_app, twilio_server, "still there?")
    deliver_all(whatsapp_app)
    assert [m.body for m in twilio_server.messages] == ["echo: hi"]


def test_a_whatsapp_flood_is_answered_at_most_n_a_minute(
    whatsapp_app, twilio_server, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    for i in range(25):
        post_whatsapp(whatsapp_app, twilio_server, f"message {i}")
    assert stored_inbound(whatsapp_app) == 25 and len(echo_bot) == 20


def test_retrying_a_refused_sms_refuses_it_again(app, twilio_server) -> None:  # type: ignore[no-untyped-def]
    queue_sms(app, "+447400123456", "Your order shipped.")
    deliver_all(app)
    database = app.extensions["db"]
    with database.transaction() as session:
        delivery.retry_dead(session, outbox(database)[0].id)
    deliver_all(app)
    assert outbox(database)[0].status == "dead" and twilio_server.messages == []


# Web chat: messages per session and per client, open handoffs per client ---------------


def test_a_flood_from_one_session_gets_a_friendly_slow_down(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    visitor = WebVisitor(app)
    answers = [visitor.say(f"message {i}") for i in range(150)]
    assert [a.status_code for a in answers] == [201] * 20 + [429] * 130
    assert answers[-1].get_json()["error"]["message"] == say("limits.chat_slow_down")
    assert len(echo_bot) == 20  # the bot never saw the rest, and nothing was stored for them
    assert stored_inbound(app) == 20


def stored_inbound(app) -> int:  # type: ignore[no-untyped-def]
    with app.extensions["db"].transaction() as session:
        return session.scalar(select(func.count()).where(Message.direction == "in"))


def test_a_flood_from_one_address_across_sessions_is_limited(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    answers = [WebVisitor(app).say("hi") for _ in range(70)]  # a new session each time
    assert [a.status_code for a in answers] == [201] * 60 + [429] * 10
    assert WebVisitor(app, address="198.51.100.9").say("hi").status_code == 201
    # one IPv6 subscriber is one client, whatever address of its /64 it takes
    v6 = [WebVisitor(app, address=f"2001:db8:1:2::{i:x}").say("hi") for i in range(61)]
    assert v6[-1].status_code == 429


def test_an_ipv4_client_is_one_client_however_its_address_is_written(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(60):
        assert WebVisitor(app, address="203.0.113.7").say("hi").status_code == 201
    assert WebVisitor(app, address="::ffff:203.0.113.7").say("hi").status_code == 429


def test_open_handoffs_are_capped_per_client_address(app_factory, twilio_server) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(twilio_server.settings(), chat_messages_per_minute_per_ip=1000)
    answers = [WebVisitor(app).say("talk to a person") for _ in range(100)]
    assert all(a.status_code == 201 for a in answers)
    database = app.extensions["db"]
    assert open_handoffs(database) == 3  # CHAT_OPEN_HANDOFFS_PER_IP
    busy = say("limits.handoffs_busy")
    assert sum(busy in texts(a) for a in answers) == 97
    assert WebVisitor(app, address="198.51.100.9").say("talk to a person").status_code == 201
    assert open_handoffs(database) == 4  # another client is not held back
    with database.transaction() as session:  # a CSR closes one: room for one more
        queue.resolve(queue.SqlHandoffs(session), session.scalars(select(Handoff)).first(), None)
    WebVisitor(app).say("talk to a person")
    assert open_handoffs(database) == 4


def test_the_handoff_cap_holds_when_sessions_ask_at_the_same_moment(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(chat_messages_per_minute_per_ip=1000)
    visitors = [WebVisitor(app) for _ in range(8)]
    start = threading.Barrier(len(visitors))

    def ask(visitor: WebVisitor) -> None:
        start.wait()
        visitor.say("talk to a person")

    threads = [threading.Thread(target=ask, args=(v,)) for v in visitors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert open_handoffs(app.extensions["db"]) == 3


def texts(answer) -> list[str]:  # type: ignore[no-untyped-def]
    return [m["text"] for m in answer.get_json()["messages"]]


def open_handoffs(database: Database) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).where(Handoff.status.in_(queue.OPEN_STATUSES)))


# Webhooks: every message stored, at most N a minute answered ---------------------------


def test_an_sms_flood_is_stored_but_answered_at_most_n_a_minute(
    app, twilio_server, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    for i in range(30):
        post_sms(app, twilio_server, f"message {i}")
    assert stored_inbound(app) == 30  # nothing lost
    assert len(echo_bot) == 20  # SENDER_ANSWERS_PER_MINUTE
    sent = sms_sent_to(app, twilio_server, CUSTOMER)
    assert sent == [f"echo: message {i}" for i in range(20)] + [say("limits.slow_down")]


def test_a_telegram_flood_is_stored_but_answered_at_most_n_a_minute(
    app, telegram_server, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    for i in range(25):
        post_telegram(app, f"message {i}")
    assert stored_inbound(app) == 25 and len(echo_bot) == 20
    deliver_all(app, rounds=50)
    assert telegram_server.sent_messages[-1]["text"] == say("limits.slow_down")
    assert len(telegram_server.sent_messages) == 21


def test_stop_is_honoured_even_over_the_limit(app, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    for i in range(25):
        post_sms(app, twilio_server, f"message {i}")
    post_sms(app, twilio_server, "STOP")
    queue_sms(app, CUSTOMER, "after stop")
    assert "after stop" not in sms_sent_to(app, twilio_server, CUSTOMER)


# The counter itself ---------------------------------------------------------------------


def test_a_window_starts_afresh_and_old_windows_are_forgotten(db: Database) -> None:
    limit = Limit("test", 2, 60)
    with db.transaction() as session:
        assert [count(session, limit, "a", now=1000.0 + i) for i in range(3)] == [1, 2, 3]
        assert count(session, limit, "a", now=1060.0) == 1  # the next minute
        assert count(session, limit, "b", now=1000.0 + 90_000) == 1  # a day on: a is dropped
        assert session.scalar(select(func.count()).select_from(RateCounter)) == 1


def test_processes_counting_at_once_share_one_count(db_url: str) -> None:
    """Four engines (as four gunicorn workers or hosts would have), 50 events each at
    once: every total from 1 to 200 is handed out exactly once."""
    limit = Limit("shared", 150, 3600)
    totals: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        database = Database(db_url)
        try:
            for _ in range(50):
                with database.transaction() as session:
                    total = count(session, limit, "one key", now=7200.0)
                with lock:
                    totals.append(total)
        finally:
            database.dispose()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(totals) == list(range(1, 201))


def test_settings_turn_a_limit_off_with_zero(app_factory, echo_bot) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(chat_messages_per_minute=0, chat_messages_per_minute_per_ip=0)
    visitor = WebVisitor(app)
    assert all(visitor.say(f"m{i}").status_code == 201 for i in range(30))
