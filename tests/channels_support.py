"""Shared set-up for the channel tests: an app wired to the stand-ins, and a predictable bot.

Loaded as a pytest plugin by tests/conftest.py, beside the stand-ins' own fixtures.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

import bot.engine
import channels
from app import create_app
from bot import answering, dispatch
from bot.replies import Reply
from channels import sms
from conversations import delivery
from conversations.delivery import Sender, Senders
from conversations.models import Message, OutboxMessage
from entrypoints.bootstrap import bootstrap
from infra.clock import Clock, SystemClock
from infra.db import Database
from infra.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
SETTING_NAMES = {
    "TWILIO_ACCOUNT_SID": "twilio_account_sid",
    "TWILIO_AUTH_TOKEN": "twilio_auth_token",
    "TWILIO_FROM_NUMBER": "twilio_from_number",
    "TWILIO_API_BASE_URL": "twilio_api_base_url",
    "TELEGRAM_BOT_TOKEN": "telegram_bot_token",
    "TELEGRAM_WEBHOOK_SECRET": "telegram_webhook_secret",
    "TELEGRAM_API_BASE_URL": "telegram_api_base_url",
    "SMTP_HOST": "smtp_host",
    "SMTP_PORT": "smtp_port",
    "SMTP_USER": "smtp_user",
    "SMTP_PASSWORD": "smtp_password",
    "SMTP_SECURITY": "smtp_security",
    "EMAIL_FROM": "email_from",
    "IMAP_HOST": "imap_host",
    "IMAP_PORT": "imap_port",
    "IMAP_USER": "imap_user",
    "IMAP_PASSWORD": "imap_password",
    "IMAP_SECURITY": "imap_security",
    "IMAP_FOLDER": "imap_folder",
}
INT_SETTINGS = {"smtp_port", "imap_port"}


def settings_from(env: dict[str, str]) -> dict[str, object]:
    """A stand-in's environment variables as load_settings() keyword overrides."""
    values: dict[str, object] = {}
    for name, value in env.items():
        key = SETTING_NAMES[name]
        values[key] = int(value) if key in INT_SETTINGS else value
    return values


def make_app(
    db_url: str,
    *envs: dict[str, str],
    senders: Senders | None = None,
    clock: Clock | None = None,
    **overrides: object,
) -> Flask:
    """An app on the stand-ins' settings; with `senders`, those send its outbox; with
    `clock`, it runs on that clock."""
    values: dict[str, object] = {}
    for env in envs:
        values.update(settings_from(env))
    values.update(overrides)
    values.setdefault("outbox_backoff_seconds", 0)  # retries due at once, unless a test says
    settings = load_settings(database_url=db_url, secret_key="test-secret", **values)
    app = create_app(wiring=bootstrap(settings, senders=senders, clock=clock))
    app.config["TESTING"] = True
    return app


class Heard(list):
    """The texts the echo bot was given; `.verified` the matching verified flags."""

    def __init__(self) -> None:
        super().__init__()
        self.verified: list[bool] = []


@pytest.fixture
def echo_bot(monkeypatch: pytest.MonkeyPatch) -> Heard:
    """Replace the dialogue engine with an echo; returns the texts it was given."""
    heard = Heard()

    def respond(session, conversation, text, *, message_id, verified, settings):  # type: ignore[no-untyped-def]
        heard.append(text)
        heard.verified.append(verified)
        if text.startswith("long"):
            return [Reply(" ".join(f"Sentence number {i} is here." for i in range(60)))]
        if text.startswith("ask"):
            return [Reply("Cancel order #10001?", choices=["Yes", "No"])]
        return [Reply(f"echo: {text}")]

    monkeypatch.setattr(bot.engine, "respond", respond)
    return heard


def answer_waiting(app: Flask) -> int:
    """Do the answering threads' job here and now; how many messages were answered."""
    database, settings = app.extensions["db"], app.extensions["settings"]
    answered = 0
    while conversations := dispatch.waiting_conversations(database):
        answered_now = sum(
            answering.answer_conversation(database, settings, conversation_id).handled
            for conversation_id in conversations
        )
        if not answered_now:
            break  # what is left is locked by another process
        answered += answered_now
    return answered


def senders_with(**send: Sender) -> Senders:
    """The channels' senders, with the given channels' in place of theirs (a broken one);
    WhatsApp's on the system clock."""
    registered = channels.senders(SystemClock())
    return dataclasses.replace(registered, send={**registered.send, **send})


def send_once(app: Flask) -> int:
    """One round of the delivery worker, with the app's wiring; how many rows it tried."""
    wiring = app.extensions["wiring"]
    return delivery.run_once(wiring.database, wiring.settings, wiring.senders)


def deliver_all(app: Flask, rounds: int = 10) -> None:
    """Do a worker's job: answer what is waiting, then deliver until nothing is due
    (retries are due at once in tests)."""
    answer_waiting(app)
    for _ in range(rounds):
        if send_once(app) == 0:
            return


def count(database: Database, model: type, *where: object) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def outbox(database: Database) -> list[OutboxMessage]:
    with database.transaction() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def inbound_messages(database: Database) -> list[Message]:
    with database.transaction() as session:
        return list(
            session.scalars(select(Message).where(Message.direction == "in").order_by(Message.id))
        )


def outbound_messages(database: Database) -> list[Message]:
    with database.transaction() as session:
        return list(
            session.scalars(select(Message).where(Message.direction == "out").order_by(Message.id))
        )


@contextmanager
def app_processes(
    env: dict[str, str], output: Path | None = None
) -> Iterator[Callable[..., subprocess.Popen]]:
    """`start(*args)` runs `python app.py ARGS` with `env`, its output appended to `output`
    (or dropped); on exit every one still running is terminated (killed after 10 s)."""
    started: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        with ExitStack() as files:
            log = files.enter_context(open(output, "ab")) if output else subprocess.DEVNULL
            process = subprocess.Popen(
                [sys.executable, "app.py", *args], cwd=ROOT, env=env, stdout=log, stderr=log
            )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@contextmanager
def serving(app: Flask, port: int) -> Iterator[str]:
    """Serve the app on 127.0.0.1:port in a thread (providers call back to it)."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def short_send_timeout(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Twilio clients that give up waiting for an answer after half a second."""
    monkeypatch.setattr(sms, "SEND_TIMEOUT_SECONDS", 0.5)
    sms._client.cache_clear()  # clients are built once per account; build them anew
    yield
    sms._client.cache_clear()


@pytest.fixture
def app_factory(db_url: str, clock: Clock) -> Iterator[Callable[..., Flask]]:
    """Apps on this test's database and clock (the `clock` fixture)."""
    apps: list[Flask] = []

    def build(*envs: dict[str, str], **overrides: object) -> Flask:
        app = make_app(db_url, *envs, clock=clock, **overrides)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["db"].dispose()
