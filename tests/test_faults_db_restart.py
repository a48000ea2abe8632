"""PostgreSQL restarted in the middle of webhook traffic; the app recovers by itself.

Telegram updates are posted over real HTTP to the app served in a thread, with the
worker running, while the (shared, local) PostgreSQL server restarts. Like Telegram,
the sender retries an update until it gets a 2xx. Afterwards the same process, not
restarted, answers again (SQLAlchemy replaces the stale connections), and every update
is stored once and answered once, in order per chat.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from conversations.models import Message, OutboxMessage
from entrypoints import worker
from tests.channels_support import count, serving
from tests.standins import telegram_updates as updates
from tests.standins.ports import free_port

SECRET = "standin-webhook-secret"
CHATS = 4
PER_CHAT = 12
RETRY_FOR_SECONDS = 60


@pytest.fixture
def app(app_factory, telegram_server):  # type: ignore[no-untyped-def]
    app = app_factory(telegram_server.settings(SECRET))
    if app.extensions["db"].is_sqlite:
        pytest.skip("restarts the PostgreSQL server; SQLite has no server to restart")
    if shutil.which("pg_ctlcluster") is None or shutil.which("pg_isready") is None:
        pytest.skip("pg_ctlcluster/pg_isready not installed")
    return app


def restart_postgres() -> None:
    """Restart the local cluster and wait until it accepts connections again."""
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        timeout=60,
        capture_output=True,
    )
    deadline = time.monotonic() + 60
    while subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False).returncode:
        assert time.monotonic() < deadline, "PostgreSQL did not come back"
        time.sleep(0.2)


def deliver_like_telegram(url: str, update: dict, outcomes: list[int]) -> None:
    """POST until a 2xx, as Telegram retries a webhook; records every status seen."""
    deadline = time.monotonic() + RETRY_FOR_SECONDS
    while time.monotonic() < deadline:
        try:
            status = requests.post(
                url, json=update, headers={updates.SECRET_HEADER: SECRET}, timeout=15
            ).status_code
        except requests.RequestException:
            status = 0
        outcomes.append(status)
        if 200 <= status < 300:
            return
        time.sleep(0.2)
    raise AssertionError(f"update {update['update_id']} never accepted: {outcomes[-5:]}")


def test_postgres_restart_mid_traffic(app, telegram_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    stop_worker = worker.start(app.extensions["wiring"])
    outcomes: list[int] = []
    sent: dict[int, list[str]] = {}
    try:
        with serving(app, free_port()) as base:
            url = f"{base}/webhooks/telegram"

            def chat(user_id: int) -> None:
                sender = updates.user(user_id=user_id, first_name=f"C{user_id}")
                for n in range(PER_CHAT):
                    text = f"chat {user_id} message {n}"
                    deliver_like_telegram(
                        url, updates.message_update(text, sender=sender), outcomes
                    )
                    sent.setdefault(user_id, []).append(text)
                    time.sleep(0.05)

            threads = [threading.Thread(target=chat, args=(5000 + i,)) for i in range(CHATS)]
            for thread in threads:
                thread.start()
            time.sleep(0.4)
            restart_postgres()
            for thread in threads:
                thread.join(RETRY_FOR_SECONDS + 30)
            assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
        # The worker answers what was stored while answering could not commit (it retries
        # a failed conversation after a pause) and delivers the replies.
        deadline = time.monotonic() + 30
        unfinished = OutboxMessage.status.in_(("pending", "sending"))
        unanswered = (Message.direction == "in", Message.handled_at.is_(None))
        while time.monotonic() < deadline and (
            count(database, OutboxMessage, unfinished) or count(database, Message, *unanswered)
        ):
            time.sleep(0.2)
    finally:
        stop_worker.set()

    assert count(database, Message, Message.direction == "in") == CHATS * PER_CHAT
    assert count(database, Message, Message.direction == "in", Message.handled_at.is_(None)) == 0
    answered: dict[int, list[str]] = {}
    for message in telegram_server.sent_messages:
        answered.setdefault(message["chat"]["id"], []).append(message["text"])
    assert answered == {user: [f"echo: {t}" for t in texts] for user, texts in sent.items()}
    assert all(status < 500 or status in (500, 503, 0) for status in outcomes)
