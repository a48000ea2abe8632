"""Telegram, end to end: secret-checked webhook in, Bot API (the stand-in) out."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from channels import telegram
from conversations.models import Message
from entrypoints import worker
from orders.models import CustomerIdentity
from tests.channels_support import (
    answer_waiting,
    count,
    deliver_all,
    inbound_messages,
    outbox,
    send_once,
)
from tests.standins import telegram_updates as updates

SECRET = "standin-webhook-secret"

# The stand-ins and the channel fixtures (until tests/conftest.py loads them for all).


@pytest.fixture
def app(app_factory, telegram_server):  # type: ignore[no-untyped-def]
    return app_factory(telegram_server.settings(SECRET))


def post_update(app, update, secret=SECRET):  # type: ignore[no-untyped-def]
    """Post the update as Telegram does, then answer what it stored, as a worker would."""
    response = app.test_client().post(
        "/webhooks/telegram", json=update, headers={updates.SECRET_HEADER: secret}
    )
    answer_waiting(app)
    return response


def test_message_is_stored_answered_and_delivered(app, telegram_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    assert post_update(app, updates.message_update("where is my order")).status_code == 200
    deliver_all(app)
    [sent] = telegram_server.sent_messages
    assert sent["chat"]["id"] == updates.DEFAULT_USER_ID
    assert sent["text"] == "echo: where is my order"
    with app.extensions["db"].transaction() as session:
        identity = session.scalar(select(CustomerIdentity))
        assert (identity.kind, identity.value) == ("telegram", str(updates.DEFAULT_USER_ID))


@pytest.mark.parametrize("kind", sorted(updates.SHARES))
def test_shares_and_media_get_one_polite_i_can_only_read_text(
    app, telegram_server, echo_bot, kind
) -> None:  # type: ignore[no-untyped-def]
    assert post_update(app, updates.share_update(kind)).status_code == 200
    deliver_all(app)
    [sent] = telegram_server.sent_messages
    assert "only read text" in sent["text"]
    assert echo_bot == []  # no help text, no offer to link a shared contact's phone


@pytest.mark.parametrize("secret", ["", "wrong-secret", SECRET[:-1]])
def test_wrong_or_missing_secret_is_refused(app, echo_bot, secret) -> None:  # type: ignore[no-untyped-def]
    assert post_update(app, updates.message_update("hi"), secret=secret).status_code == 403
    assert count(app.extensions["db"], Message) == 0


def test_same_update_twice_is_processed_once(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    update = updates.message_update("track 10001")
    assert post_update(app, update).status_code == 200
    assert post_update(app, update).status_code == 200
    assert echo_bot == ["track 10001"]


def test_choices_become_buttons_and_a_press_is_an_answer(app, telegram_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    post_update(app, updates.message_update("ask me"))
    deliver_all(app)
    [question] = telegram_server.sent_messages
    buttons = question["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in buttons] == [["Yes", "No"]]
    press = updates.callback_query_update("Yes", bot_message=question)
    response = post_update(app, press)
    assert response.status_code == 200
    assert echo_bot == ["ask me", "Yes"]
    # the spinner is stopped by a Bot API call in our webhook response: no extra request
    assert response.get_json() == {
        "method": "answerCallbackQuery",
        "callback_query_id": press["callback_query"]["id"],
    }


def test_start_help_and_edited_messages(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    post_update(app, updates.message_update("/start"))
    post_update(app, updates.message_update("/help"))
    post_update(app, updates.edited_message_update("track 10002", message_id=77))
    assert echo_bot == ["hello", "help", "track 10002"]
    texts = [m.text for m in inbound_messages(app.extensions["db"])]
    assert texts == ["/start", "/help", "track 10002"]


@pytest.mark.parametrize(
    "body", [b"not json", b'["a list"]', b'{"update_id": "x"}', b'{"update_id": 5, "message": 3}']
)
def test_malformed_updates_are_refused(app, body) -> None:  # type: ignore[no-untyped-def]
    response = app.test_client().post(
        "/webhooks/telegram",
        data=body,
        headers={updates.SECRET_HEADER: SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert count(app.extensions["db"], Message) == 0


def test_invalid_utf8_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    body = b'{"update_id": 1, "message": {"text": "\xff"}}'
    response = app.test_client().post(
        "/webhooks/telegram", data=body, headers={updates.SECRET_HEADER: SECRET}
    )
    assert response.status_code == 400


def test_429_waits_the_retry_after_then_delivers(app, telegram_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    post_update(app, updates.message_update("hi"))
    telegram_server.fail_next(1, status=429, retry_after=7)
    database = app.extensions["db"]
    send_once(app)
    [row] = outbox(database)
    assert row.status == "pending"
    wait = (row.next_attempt_at - row.created_at).total_seconds()
    assert 6 <= wait <= 9
    assert send_once(app) == 0  # not before the retry-after
    with database.transaction() as session:
        session.merge(row).next_attempt_at = row.created_at
    deliver_all(app)
    assert outbox(database)[0].status == "sent"
    assert len(telegram_server.sent_messages) == 1


def test_403_blocked_marks_the_identity_unreachable(app, telegram_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    post_update(app, updates.message_update("hi"))
    telegram_server.fail_next(1, status=403)
    deliver_all(app)
    [row] = outbox(app.extensions["db"])
    assert row.status == "dead" and "blocked" in row.last_error
    with app.extensions["db"].transaction() as session:
        assert session.scalar(select(CustomerIdentity.unreachable)) is True


def test_server_errors_and_outage_are_retried(app, telegram_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    post_update(app, updates.message_update("hi"))
    telegram_server.fail_next(1, status=500)
    database = app.extensions["db"]
    send_once(app)
    assert outbox(database)[0].status == "pending"
    telegram_server.stop()
    send_once(app)
    assert outbox(database)[0].status == "pending"
    telegram_server.start()
    deliver_all(app)
    assert outbox(database)[0].status == "sent"


def test_long_polling_reads_updates(app, telegram_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    telegram_server.push_update(updates.message_update("polled hello"))
    stop = worker.start(app.extensions["wiring"])  # as `telegram poll`
    thread = threading.Thread(
        target=telegram.poll,
        args=(app.extensions["db"], app.extensions["settings"], stop),
        daemon=True,
    )
    thread.start()
    try:
        for _ in range(100):
            if echo_bot:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        telegram_server.push_update(updates.message_update("wake the long poll"))
        thread.join(timeout=10)
    assert echo_bot[0] == "polled hello"


def test_set_webhook_command(app_factory, telegram_server) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(telegram_server.settings(SECRET), public_base_url="https://shop.example")
    result = CliRunner().invoke(app.cli, ["telegram", "set-webhook"])
    assert result.exit_code == 0, result.output
    assert telegram_server.webhook == {
        "url": "https://shop.example/webhooks/telegram",
        "secret_token": SECRET,
        "allowed_updates": ["message", "edited_message", "callback_query", "my_chat_member"],
    }
