"""How soon a CSR's reply reaches an open web chat, and what open chats cost the site,
under gunicorn's sync workers and its threaded ones.

Run from the repo root: ``python bench/webchat.py [--chats 4] [--replies 12] [--databases
sqlite postgresql]`` (PostgreSQL at BENCH_POSTGRES_URL, as bench/load.py).
For each server, `gunicorn -w 2` serving the real app on a new database, it opens
`--chats` chats that poll as the widget does (a long poll; after an empty answer that
came at once, again in 3 s), then:
- writes `--replies` CSR replies into one of them at random moments and prints how long
  each took to reach the chat (p50, max);
- meanwhile asks GET /healthz every 0.2 s and prints its latency (p50, max): what the
  open chats leave of the site for everyone else.
Servers: `sync` (gunicorn's default: the chat answers at once, pages ask every 3 s),
`gthread` (8 threads a worker: the chat waits for news), and `gthread, 1 thread`, which
is what waiting for news on sync workers would be.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # not bench/: bench/orders.py would shadow the orders package

from bench.channels import wait_until_up  # noqa: E402
from bench.load import scratch_database  # noqa: E402
from conversations.models import Conversation  # noqa: E402
from conversations.outbox import enqueue  # noqa: E402
from infra.db import Database  # noqa: E402
from tests.standins.ports import free_port  # noqa: E402

SERVERS = {
    "sync": ["-k", "sync"],
    "gthread": ["-k", "gthread", "--threads", "8"],
    "gthread, 1 thread": ["-k", "gthread", "--threads", "1"],
}
PROBE_TIMEOUT_SECONDS = 5.0
SHORT_POLL_SECONDS = 3.0  # what the widget waits after an empty answer that came at once


class Chat(threading.Thread):
    """One visitor's page: polls as widget.js does and notes when each message arrived."""

    def __init__(self, url: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.stop = url, stop
        first = requests.post(f"{url}/chat/messages", json={"text": "hi"}, timeout=30).json()
        self.token = first["token"]
        self.last = first["messages"][-1]["id"]
        self.arrived: dict[str, float] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                answer = requests.get(
                    f"{self.url}/chat/messages?wait=1&after={self.last}",
                    headers={"X-Chat-Token": self.token},
                    timeout=60,
                ).json()
            except requests.RequestException:  # an overloaded or stopped server
                self.stop.wait(1)
                continue

            for message in answer["messages"]:
                self.arrived[message["text"]] = time.monotonic()
                self.last = message["id"]
            if not answer["messages"] and time.monotonic() - started < 1:
                self.stop.wait(SHORT_POLL_SECONDS)


def reply_as_csr(database: Database, conversation_id: int, text: str) -> float:
    with database.transaction() as session:
        enqueue(session, session.get(Conversation, conversation_id), text, author="csr")
    return time.monotonic()


def measure(name: str, worker_args: list[str], database_url: str, chats: int, replies: int) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-webchat"}
    command = [sys.executable, "-m", "gunicorn", "-w", "2", *worker_args]
    server = subprocess.Popen(
        [*command, "-b", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stop = threading.Event()
    database = Database(database_url)
    try:
        wait_until_up(url)
        open_chats = [Chat(url, stop) for _ in range(chats)]
        with database.reading() as session:
            watched = session.scalar(
                select(Conversation.id)
                .where(Conversation.channel == "web")
                .order_by(Conversation.id.desc())
            )
        for chat in open_chats:
            chat.start()
        health: list[float] = []

        def probe() -> None:
            while not stop.is_set():
                started = time.monotonic()
                with contextlib.suppress(requests.Timeout):
                    requests.get(url + "/healthz", timeout=PROBE_TIMEOUT_SECONDS)
                health.append(time.monotonic() - started)
                stop.wait(0.2)

        threading.Thread(target=probe, daemon=True).start()
        sent: dict[str, float] = {}
        for number in range(replies):
            time.sleep(random.uniform(0.5, 2.5))
            text = f"reply {number}"
            sent[text] = reply_as_csr(database, watched, text)
        time.sleep(SHORT_POLL_SECONDS + 1)
        stop.set()
        latest = open_chats[-1].arrived  # the last chat opened is the watched conversation
        delays = [latest[text] - at for text, at in sent.items() if text in latest]
        late = sum(1 for seconds in health if seconds >= PROBE_TIMEOUT_SECONDS)
        print(
            f"{name:18} replies reached the chat: {len(delays)}/{replies}"
            + (
                f", p50 {statistics.median(delays):.2f} s, max {max(delays):.2f} s"
                if delays
                else ""
            )
            + f";  /healthz: p50 {statistics.median(health) * 1000:.0f} ms,"
            f" {late}/{len(health)} over {PROBE_TIMEOUT_SECONDS:.0f} s"
        )
    finally:
        stop.set()
        server.kill()  # not a graceful stop: it would wait for the chats' open polls
        server.wait()
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=4)
    parser.add_argument("--replies", type=int, default=12)
    parser.add_argument(
        "--databases", nargs="+", default=["sqlite"], choices=["sqlite", "postgresql"]
    )
    args = parser.parse_args()
    for kind in args.databases:
        print(f"{kind}: gunicorn -w 2, {args.chats} chats open")
        for name, worker_args in SERVERS.items():
            with tempfile.TemporaryDirectory() as tmp:
                database_url, drop = scratch_database(kind, Path(tmp))
                try:
                    measure(name, worker_args, database_url, args.chats, args.replies)
                finally:
                    drop()


if __name__ == "__main__":
    main()
