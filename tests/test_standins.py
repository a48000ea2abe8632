"""The stand-ins speak the providers' wire formats: driven here by the real clients."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import json
import re
import smtplib
import threading
import time
from collections.abc import Coroutine, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
import requests
import telegram
from imap_tools import MailBoxUnencrypted
from telegram.error import Conflict, Forbidden, NetworkError, RetryAfter
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from werkzeug.wrappers import Request, Response

from tests.standins import http_server, signing, telegram_updates
from tests.standins.dovecot import DovecotStandin
from tests.standins.http_server import HttpServer
from tests.standins.smtp_server import SmtpStandin
from tests.standins.telegram_server import TelegramStandin
from tests.standins.twilio_server import TwilioStandin, make_twilio_client

CUSTOMER = "+15551230001"


# Twilio ----------------------------------------------------------------------------


def test_twilio_client_sends_through_the_standin(twilio_server: TwilioStandin) -> None:
    client = make_twilio_client(
        twilio_server.account_sid, twilio_server.auth_token, twilio_server.url
    )
    message = client.messages.create(
        to=CUSTOMER,
        from_=twilio_server.from_number,
        body="Your order #10042 has shipped",
        status_callback="https://shop.example/webhooks/twilio/status",
    )
    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert message.status == "queued"
    assert message.num_segments == "1"
    assert message.account_sid == twilio_server.account_sid
    [sent] = twilio_server.messages
    assert (sent.sid, sent.to, sent.from_, sent.body) == (
        message.sid,
        CUSTOMER,
        twilio_server.from_number,
        "Your order #10042 has shipped",
    )
    assert sent.status_callback == "https://shop.example/webhooks/twilio/status"


def test_twilio_messaging_service_send_is_accepted(twilio_server: TwilioStandin) -> None:
    client = make_twilio_client(
        twilio_server.account_sid, twilio_server.auth_token, twilio_server.url
    )
    message = client.messages.create(to=CUSTOMER, messaging_service_sid="MG" + "1" * 32, body="hi")
    assert message.status == "accepted"
    assert twilio_server.messages[0].messaging_service_sid == "MG" + "1" * 32


@pytest.mark.parametrize(
    ("inject", "status", "code"),
    [
        ({"code": 21610}, 400, 21610),
        ({"code": 21211}, 400, 21211),
        ({"status": 503}, 503, 20503),
        ({"status": 500}, 500, 20500),
    ],
)
def test_twilio_injected_errors_raise_twilio_rest_exception(
    twilio_server: TwilioStandin, inject: dict, status: int, code: int
) -> None:
    client = make_twilio_client(
        twilio_server.account_sid, twilio_server.auth_token, twilio_server.url
    )
    twilio_server.fail_next(1, **inject)
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=CUSTOMER, from_=twilio_server.from_number, body="hi")
    assert (raised.value.status, raised.value.code) == (status, code)
    assert twilio_server.messages == []
    client.messages.create(to=CUSTOMER, from_=twilio_server.from_number, body="hi")
    assert len(twilio_server.messages) == 1


def test_twilio_validates_like_twilio(twilio_server: TwilioStandin) -> None:
    client = make_twilio_client(
        twilio_server.account_sid, twilio_server.auth_token, twilio_server.url
    )
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to="12345", from_=twilio_server.from_number, body="hi")
    assert (raised.value.status, raised.value.code) == (400, 21211)
    twilio_server.reject_recipient(CUSTOMER)
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=CUSTOMER, from_=twilio_server.from_number, body="hi")
    assert raised.value.code == 21610
    wrong = make_twilio_client(twilio_server.account_sid, "wrong-token", twilio_server.url)
    with pytest.raises(TwilioRestException) as raised:
        wrong.messages.create(to=CUSTOMER, from_=twilio_server.from_number, body="hi")
    assert (raised.value.status, raised.value.code) == (401, 20003)


def test_twilio_slow_answer_times_out_after_sending(twilio_server: TwilioStandin) -> None:
    client = make_twilio_client(
        twilio_server.account_sid, twilio_server.auth_token, twilio_server.url, timeout=0.2
    )
    twilio_server.delay_next(1.0)
    with pytest.raises(requests.exceptions.Timeout):
        client.messages.create(to=CUSTOMER, from_=twilio_server.from_number, body="hi")
    assert len(twilio_server.messages) == 1  # sent, though the client never heard


def test_twilio_outage_refuses_then_recovers_on_same_url(twilio_server: TwilioStandin) -> None:
    client = make_twilio_client(
        twilio_server.account_sid, twilio_server.auth_token, twilio_server.url
    )
    url = twilio_server.url
    client.messages.create(to=CUSTOMER, from_=twilio_server.from_number, body="one")
    twilio_server.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        client.messages.create(to=CUSTOMER, from_=twilio_server.from_number, body="lost")
    twilio_server.start()
    assert twilio_server.url == url
    client.messages.create(to=CUSTOMER, from_=twilio_server.from_number, body="two")
    assert [m.body for m in twilio_server.messages] == ["one", "two"]


def test_an_outage_never_acts_on_a_request_it_will_not_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A request read just as the outage begins: answered in full, or never acted on.

    Acting on it and then cutting the connection would make the client's retry a
    second send, a duplicate of the stand-in's making in the delivery fault tests.
    """
    acted_on: list[str] = []
    request_read, request_done = threading.Event(), threading.Event()
    read_then_dispatch = http_server._RequestHandler._dispatch

    def dispatch_late(handler: http_server._RequestHandler) -> None:
        request_read.set()
        time.sleep(0.3)  # stop() begins meanwhile
        try:
            read_then_dispatch(handler)
        finally:
            request_done.set()

    monkeypatch.setattr(http_server._RequestHandler, "_dispatch", dispatch_late)
    server = HttpServer(lambda request: acted_on.append(request.path) or Response("ok"))
    server.start()
    answers: list[int] = []

    def call() -> None:
        with contextlib.suppress(requests.exceptions.ConnectionError):
            answers.append(requests.post(f"{server.url}/send", data="x", timeout=5).status_code)

    caller = threading.Thread(target=call)
    caller.start()
    assert request_read.wait(5)
    server.stop()
    caller.join()
    assert request_done.wait(5)
    assert len(acted_on) == len(answers)


def test_twilio_lists_messages_sent_newest_first(twilio_server: TwilioStandin) -> None:
    client = make_twilio_client(
        twilio_server.account_sid, twilio_server.auth_token, twilio_server.url
    )
    for body in ("one", "two", "three"):
        client.messages.create(to=CUSTOMER, from_=twilio_server.from_number, body=body)
    client.messages.create(to="+15551239999", from_=twilio_server.from_number, body="other")
    listed = client.messages.list(to=CUSTOMER, limit=2)
    assert [m.body for m in listed] == ["three", "two"]
    assert listed[0].sid == twilio_server.messages[2].sid
    assert listed[0].date_created is not None
    assert len(client.messages.list()) == 4


def test_twilio_status_callback_is_signed(twilio_server: TwilioStandin) -> None:
    received: list[dict] = []

    def webhook(request: Request) -> Response:
        validator = RequestValidator(twilio_server.auth_token)
        signature = request.headers.get(signing.TWILIO_SIGNATURE_HEADER, "")
        if not validator.validate(request.url, request.form.to_dict(), signature):
            return Response(status=403)
        received.append(request.form.to_dict())
        return Response(status=204)

    receiver = HttpServer(webhook)
    receiver.start()
    try:
        client = make_twilio_client(
            twilio_server.account_sid, twilio_server.auth_token, twilio_server.url
        )
        message = client.messages.create(
            to=CUSTOMER,
            from_=twilio_server.from_number,
            body="hi",
            status_callback=f"{receiver.url}/webhooks/twilio/status",
        )
        response = twilio_server.send_status_callback(message.sid, "undelivered", 30003)
    finally:
        receiver.stop()
    assert response.status_code == 204
    assert received[0]["MessageStatus"] == "undelivered"
    assert received[0]["ErrorCode"] == "30003"
    assert received[0]["MessageSid"] == message.sid


# Signing helpers -------------------------------------------------------------------


def test_twilio_inbound_sms_form_validates() -> None:
    url = "https://shop.example/webhooks/twilio/sms"
    form = signing.twilio_inbound_sms(
        account_sid="AC" + "2" * 32,
        from_=CUSTOMER,
        to="+15005550006",
        body="where is my order",
        media=[("https://api.twilio.com/media/ME1", "image/jpeg")],
    )
    headers = signing.twilio_headers("token", url, form)
    validator = RequestValidator("token")
    assert validator.validate(url, form, headers[signing.TWILIO_SIGNATURE_HEADER])
    assert not validator.validate(url, {**form, "Body": "tampered"}, headers["X-Twilio-Signature"])
    assert form["MessageSid"].startswith("MM")
    assert (form["NumMedia"], form["MediaContentType0"]) == ("1", "image/jpeg")


def test_mailgun_inbound_form_is_signed() -> None:
    form = signing.mailgun_inbound(
        signing_key="key-123",
        sender="ada@example.com",
        recipient="orders@shop.example",
        subject="Re: Order #10042",
        body_plain="Can I change the address?\n\n> quoted",
        stripped_text="Can I change the address?",
        message_id="<reply-1@example.com>",
        in_reply_to="<order-10042@shop.example>",
        references="<order-10042@shop.example>",
    )
    expected = signing.mailgun_signature("key-123", form["timestamp"], form["token"])
    assert form["signature"] == expected
    headers = dict(json.loads(form["message-headers"]))
    assert headers["In-Reply-To"] == "<order-10042@shop.example>"
    assert form["Message-Id"] == "<reply-1@example.com>"


# Telegram --------------------------------------------------------------------------


class LoopThread:
    """One event loop in its own thread, shared by every call (as the app runs its Bot)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


@pytest.fixture
def bot(telegram_server: TelegramStandin) -> Iterator[tuple[telegram.Bot, LoopThread]]:
    loop = LoopThread()
    bot = telegram.Bot(telegram_server.token, base_url=telegram_server.base_url)
    loop.run(bot.initialize())
    yield bot, loop
    loop.run(bot.shutdown())
    loop.close()


def test_telegram_bot_sends_over_kept_alive_connection(
    telegram_server: TelegramStandin, bot: tuple[telegram.Bot, LoopThread]
) -> None:
    tg, loop = bot
    before = telegram_server.connections_accepted
    markup = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("Yes", callback_data="confirm:10042")]]
    )
    sent = [
        loop.run(tg.send_message(chat_id=424242, text=f"msg {n}", reply_markup=markup))
        for n in range(3)
    ]
    assert [m.text for m in sent] == ["msg 0", "msg 1", "msg 2"]
    assert sent[0].chat.id == 424242
    assert sent[0].reply_markup == markup
    assert telegram_server.sent_messages[0]["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "Yes",
        "callback_data": "confirm:10042",
    }
    assert telegram_server.connections_accepted - before <= 1


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_telegram_429_raises_retry_after(
    telegram_server: TelegramStandin, bot: tuple[telegram.Bot, LoopThread]
) -> None:
    tg, loop = bot
    telegram_server.fail_next(status=429, retry_after=2)
    with pytest.raises(RetryAfter) as raised:
        loop.run(tg.send_message(chat_id=1, text="hi"))
    retry_after = raised.value.retry_after
    if isinstance(retry_after, dtm.timedelta):
        retry_after = retry_after.total_seconds()
    assert retry_after == 2
    assert loop.run(tg.send_message(chat_id=1, text="hi")).text == "hi"


def test_telegram_403_and_500(
    telegram_server: TelegramStandin, bot: tuple[telegram.Bot, LoopThread]
) -> None:
    tg, loop = bot
    telegram_server.fail_next(status=403)
    with pytest.raises(Forbidden, match="blocked by the user"):
        loop.run(tg.send_message(chat_id=1, text="hi"))
    telegram_server.fail_next(status=500)
    with pytest.raises(NetworkError):
        loop.run(tg.send_message(chat_id=1, text="hi"))
    assert telegram_server.sent_messages == []


def test_telegram_get_updates_long_polls_pushed_updates(
    telegram_server: TelegramStandin, bot: tuple[telegram.Bot, LoopThread]
) -> None:
    tg, loop = bot
    first = telegram_updates.message_update("hello")
    telegram_server.push_update(first)
    [update] = loop.run(tg.get_updates(timeout=5))
    assert update.message.text == "hello"
    later = telegram_updates.message_update("/start")
    threading.Timer(0.2, telegram_server.push_update, [later]).start()
    [update] = loop.run(tg.get_updates(offset=first["update_id"] + 1, timeout=5))
    assert update.update_id == later["update_id"]
    assert loop.run(tg.get_updates(offset=later["update_id"] + 1, timeout=0)) == ()


def test_telegram_webhook_registration(
    telegram_server: TelegramStandin, bot: tuple[telegram.Bot, LoopThread]
) -> None:
    tg, loop = bot
    url = "https://shop.example/webhooks/telegram"
    assert loop.run(
        tg.set_webhook(url, secret_token="s3cret", allowed_updates=["message", "callback_query"])
    )
    assert telegram_server.webhook == {
        "url": url,
        "secret_token": "s3cret",
        "allowed_updates": ["message", "callback_query"],
    }
    info = loop.run(tg.get_webhook_info())
    assert (info.url, info.allowed_updates) == (url, ("message", "callback_query"))
    with pytest.raises(Conflict):
        loop.run(tg.get_updates())
    assert loop.run(tg.delete_webhook())
    assert telegram_server.webhook is None


def test_telegram_callback_answer_and_edits(
    telegram_server: TelegramStandin, bot: tuple[telegram.Bot, LoopThread]
) -> None:
    tg, loop = bot
    markup = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("Cancel order", callback_data="cancel:10042")]]
    )
    sent = loop.run(tg.send_message(chat_id=424242, text="Cancel #10042?", reply_markup=markup))
    payload = telegram_updates.callback_query_update(
        "cancel:10042", bot_message=telegram_server.sent_messages[0]
    )
    query = telegram.Update.de_json(payload, tg).callback_query
    assert loop.run(tg.answer_callback_query(query.id, text="Cancelled"))
    edited = loop.run(
        tg.edit_message_text("Order #10042 cancelled", chat_id=424242, message_id=sent.message_id)
    )
    assert (edited.text, edited.reply_markup) == ("Order #10042 cancelled", None)
    with pytest.raises(telegram.error.BadRequest, match="not modified"):
        loop.run(tg.edit_message_reply_markup(chat_id=424242, message_id=sent.message_id))
    assert telegram_server.calls_to("answerCallbackQuery")[0]["text"] == "Cancelled"


def test_telegram_outage_and_recovery(
    telegram_server: TelegramStandin, bot: tuple[telegram.Bot, LoopThread]
) -> None:
    tg, loop = bot
    loop.run(tg.send_message(chat_id=1, text="before"))
    telegram_server.stop()
    with pytest.raises(NetworkError):
        loop.run(tg.send_message(chat_id=1, text="lost"))
    telegram_server.start()
    assert loop.run(tg.send_message(chat_id=1, text="after")).text == "after"


def test_telegram_update_builders_parse_as_updates() -> None:
    tg = telegram.Bot("1:x")
    update = telegram.Update.de_json(telegram_updates.message_update("where is #10042?"), tg)
    assert (update.message.text, update.effective_user.id) == ("where is #10042?", 424242)
    edited = telegram.Update.de_json(
        telegram_updates.edited_message_update("where is #10043?", message_id=7), tg
    )
    assert (edited.edited_message.message_id, edited.edited_message.text) == (7, "where is #10043?")
    assert telegram_updates.webhook_headers("s")["X-Telegram-Bot-Api-Secret-Token"] == "s"


# SMTP ------------------------------------------------------------------------------


def _email(subject: str = "Order #10042 confirmed") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "orders@shop.example"
    message["To"] = "ada@example.com"
    message["Subject"] = subject
    message.set_content("Thanks for your order.")
    return message


def test_smtp_collects_sent_mail(smtp_server: SmtpStandin) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as smtp:
        smtp.login(smtp_server.user, smtp_server.password)
        smtp.send_message(_email())
    [mail] = smtp_server.wait_for_messages(1)
    assert mail.rcpt_tos == ("ada@example.com",)
    assert mail.message["Subject"] == "Order #10042 confirmed"
    assert mail.message.get_content().strip() == "Thanks for your order."
    assert mail.authenticated_as == smtp_server.user


@pytest.mark.parametrize("code", [451, 550])
def test_smtp_rejections(smtp_server: SmtpStandin, code: int) -> None:
    smtp_server.reject_next(1, code=code)
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as smtp:
        with pytest.raises(smtplib.SMTPDataError) as raised:
            smtp.send_message(_email())
        assert raised.value.smtp_code == code
        smtp.send_message(_email())
    assert len(smtp_server.messages) == 1


def test_smtp_outage(smtp_server: SmtpStandin) -> None:
    smtp_server.stop()
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP(smtp_server.host, smtp_server.port)
    smtp_server.start()
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as smtp:
        smtp.send_message(_email())
    assert len(smtp_server.messages) == 1


# Dovecot IMAP ----------------------------------------------------------------------


def _raw(subject: str, message_id: str) -> bytes:
    return (
        f"From: Ada <ada@example.com>\r\nTo: orders@shop.example\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n\r\nWhere is my order?\r\n"
    ).encode()


def test_imap_fetch_and_uidvalidity(imap_server: DovecotStandin) -> None:
    uid = imap_server.deliver(_raw("Order #10042", "<m1@example.com>"))
    with MailBoxUnencrypted(imap_server.host, imap_server.port).login(
        imap_server.user, imap_server.password
    ) as mailbox:
        [message] = mailbox.fetch()
        assert (message.uid, message.subject) == (str(uid), "Order #10042")
        assert message.headers["message-id"] == ("<m1@example.com>",)
        validity = mailbox.folder.status("INBOX")["UIDVALIDITY"]
    assert validity == imap_server.uidvalidity()
    changed = imap_server.change_uidvalidity()
    with MailBoxUnencrypted(imap_server.host, imap_server.port).login(
        imap_server.user, imap_server.password
    ) as mailbox:
        assert mailbox.folder.status("INBOX")["UIDVALIDITY"] == changed != validity


def test_imap_idle_wakes_on_delivery(imap_server: DovecotStandin) -> None:
    with MailBoxUnencrypted(imap_server.host, imap_server.port).login(
        imap_server.user, imap_server.password
    ) as mailbox:
        threading.Timer(0.3, imap_server.deliver, [_raw("hi", "<m2@example.com>")]).start()
        responses = mailbox.idle.wait(timeout=10)
        assert any(b"EXISTS" in line for line in responses)
        assert [m.subject for m in mailbox.fetch()] == ["hi"]


def test_imap_outage_keeps_mail(imap_server: DovecotStandin) -> None:
    imap_server.deliver(_raw("kept", "<m3@example.com>"))
    imap_server.stop()
    with pytest.raises(ConnectionRefusedError):
        MailBoxUnencrypted(imap_server.host, imap_server.port)
    imap_server.start()
    with MailBoxUnencrypted(imap_server.host, imap_server.port).login(
        imap_server.user, imap_server.password
    ) as mailbox:
        assert [m.subject for m in mailbox.fetch()] == ["kept"]
