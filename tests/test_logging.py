"""Secrets never reach the log, even with the root logger at DEBUG."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from channels import telegram
from conversations.models import OutboxMessage
from tests.standins.telegram_server import TelegramStandin


def test_sending_on_telegram_logs_no_bot_token(
    app: Flask, telegram_server: TelegramStandin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    settings = app.extensions["settings"].model_copy(
        update={
            "telegram_bot_token": telegram_server.token,
            "telegram_api_base_url": telegram_server.base_url,
        }
    )
    row = OutboxMessage(to_address="4242", body="hello", payload={})
    telegram.send(row, settings)
    assert telegram_server.sent_messages
    assert telegram_server.token.split(":")[1] not in caplog.text
