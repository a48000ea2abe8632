"""Acknowledging webhooks at the floor: `python bench/load.py --workers sync`.

The method of issue #17: every server under ``gunicorn -w 2`` with its default sync
workers, wrk (when installed; else Python clients) with 8 connections on loopback,
every request a different pre-signed webhook from 200 customers, no worker answering.
Against two endpoints on servers of their own:

- bare: a Flask app with one endpoint that answers "ok" (the denominator);
- floor: a Flask app that only inserts the form into SQLite (WAL, one persistent
  connection per process) and answers empty TwiML: what "stored and acknowledged"
  cannot go below.

and, for comparison with the gthread mode's figures, the same bare endpoint under
``gunicorn -k gthread --threads 8``. The real app is measured for SMS (tracking
questions), Telegram and the email (Mailgun) webhook, taking turns with the others.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from flask import Flask, Response, request

ROOT = Path(__file__).resolve().parents[1]
CUSTOMERS = 200
CONNECTIONS = 8
TRACKING = "where is my order"
TELEGRAM_SECRET = "bench-telegram-secret"
MAILGUN_KEY = "bench-mailgun-key"
SHOP_EMAIL = "shop@example.com"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'
# Requests prepared per second of a run: more than any of these servers answers, so no
# request is sent twice (a duplicate would take intake's cheaper "seen it" path).
PREPARED_PER_SECOND = 7000


# --- the apps gunicorn serves (module-level factories) ---------------------------------


def bare_app() -> Flask:
    app = Flask(__name__)

    @app.get("/bench/bare")
    def bare() -> str:
        return "ok"

    return app


def floor_app() -> Flask:
    """Insert the form into SQLite, answer empty TwiML: nothing else."""
    app = Flask(__name__)
    connection = sqlite3.connect(
        os.environ["BENCH_FLOOR_DB"], timeout=15, isolation_level=None, check_same_thread=False
    )
    connection.execute("PRAGMA synchronous = NORMAL")

    @app.post("/webhooks/twilio/sms")
    def floor() -> Response:
        connection.execute("INSERT INTO messages (form) VALUES (?)", (json.dumps(request.form),))
        return Response(EMPTY_TWIML, mimetype="application/xml")

    return app


def floor_postgres_app() -> Flask:
    """Insert the form into PostgreSQL (autocommitted, so flushed to disk before the
    answer: one round trip), answer empty TwiML: the floor where the message must be
    durable in PostgreSQL before the provider is told so."""
    app = Flask(__name__)
    connection = psycopg.connect(_libpq_url(os.environ["DATABASE_URL"]), autocommit=True)

    @app.post("/webhooks/twilio/sms")
    def floor() -> Response:
        connection.execute(
            "INSERT INTO bench_floor (form) VALUES (%s)", (json.dumps(request.form),)
        )
        return Response(EMPTY_TWIML, mimetype="application/xml")

    return app


def _libpq_url(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


def make_postgres_floor_table(database_url: str) -> None:
    with psycopg.connect(_libpq_url(database_url), autocommit=True) as connection:
        connection.execute("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, form text)")


def make_floor_database(path: Path) -> None:
    """The floor's database, in WAL mode (which persists) with its table, made before its
    two server processes start: switching the journal mode in both at once fails in one
    ("database is locked": SQLite does not wait for that lock)."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, form TEXT)")
    finally:
        connection.close()


# --- the requests ----------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    path: str
    headers: dict[str, str]
    body: str


def sms_requests(base_url: str, auth_token: str, account_sid: str) -> Iterator[Prepared]:
    from tests.standins.signing import twilio_headers, twilio_inbound_sms

    url = base_url + "/webhooks/twilio/sms"
    for number in itertools.count():
        form = twilio_inbound_sms(
            account_sid=account_sid,
            from_=f"+1555700{number % CUSTOMERS:04d}",
            to="+15550000000",
            body=TRACKING,
        )
        headers = twilio_headers(auth_token, url, form)
        yield Prepared("/webhooks/twilio/sms", headers, urlencode(form))


def telegram_requests() -> Iterator[Prepared]:
    from tests.standins import telegram_updates as updates

    headers = updates.webhook_headers(TELEGRAM_SECRET)
    for number in itertools.count():
        user_id = 710_000 + number % CUSTOMERS
        sender = updates.user(user_id, f"User{user_id}")
        update = updates.message_update(TRACKING, sender=sender)
        yield Prepared("/webhooks/telegram", headers, json.dumps(update))


def email_requests() -> Iterator[Prepared]:
    from tests.standins.signing import mailgun_inbound

    for number in itertools.count():
        form = mailgun_inbound(
            signing_key=MAILGUN_KEY,
            sender=f"customer{number % CUSTOMERS}@example.net",
            recipient=SHOP_EMAIL,
            subject="my order",
            body_plain=TRACKING,
            message_id=f"<bench-{number}-{time.time_ns()}@example.net>",
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        yield Prepared("/webhooks/email/inbound", headers, urlencode(form))


def bare_requests() -> Iterator[Prepared]:
    return itertools.repeat(Prepared("/bench/bare", {}, ""))


# --- the load: wrk, else Python threads -------------------------------------------------


@dataclass
class Result:
    requests: int
    seconds: float
    errors: int  # non-2xx answers and socket errors
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# Each wrk thread takes every n-th prepared request from the file, from its own start.
WRK_SCRIPT = r"""
local counter, threads = 0, {}
function setup(thread)
  thread:set("id", counter); counter = counter + 1; table.insert(threads, thread)
end
function init(args)
  requests, index = {}, 1
  local n, step, i = 0, tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if i % step == id then
      local path, headers, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      local h = {}
      for name, value in headers:gmatch("([^\1\2]+)\1([^\2]*)\2") do h[name] = value end
      n = n + 1
      requests[n] = wrk.format(path == "/bench/bare" and "GET" or "POST", path, h,
                               path ~= "/bench/bare" and body or nil)
    end
    i = i + 1
  end
end
function request()
  local r = requests[index]
  index = index % #requests + 1
  return r
end
"""


def write_requests(path: Path, prepared: Iterator[Prepared], count: int) -> None:
    with path.open("w") as out:
        for item in itertools.islice(prepared, count):
            headers = "".join(f"{k}\1{v}\2" for k, v in item.headers.items())
            out.write(f"{item.path}\t{headers}\t{item.body}\n")


def run_wrk(url: str, prepared: Iterator[Prepared], seconds: float, workdir: Path) -> Result:
    threads = 2
    requests_file, script = workdir / "requests.tsv", workdir / "requests.lua"
    write_requests(requests_file, prepared, int(PREPARED_PER_SECOND * seconds))
    script.write_text(WRK_SCRIPT)
    output = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(CONNECTIONS), "-d", f"{seconds:.0f}s",
         "--latency", "-s", str(script), url, "--", str(requests_file), str(threads)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    done = re.search(r"(\d+) requests in ([\d.]+)(m?s)", output)
    assert done, output
    elapsed = float(done[2]) / (1000 if done[3] == "ms" else 1)
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return Result(int(done[1]), elapsed, errors, _wrk_ms(output, "50%"), _wrk_ms(output, "99%"))


def _wrk_ms(output: str, percentile: str) -> float:
    found = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)\b", output)
    if not found:
        return float("nan")
    return float(found[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found[2]]


def run_python(url: str, prepared: Iterator[Prepared], seconds: float, workdir: Path) -> Result:
    """Without wrk: one thread per connection, keep-alive, same requests. Slower than wrk
    (the client shares the two cores), so compare its ratios only with each other."""
    host, port = url.removeprefix("http://").split(":")
    items = list(itertools.islice(prepared, int(PREPARED_PER_SECOND * seconds)))
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    cursor = itertools.count()

    def client() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        while time.monotonic() < stop:
            item = items[next(cursor) % len(items)]
            started = time.monotonic()
            method = "GET" if item.path == "/bench/bare" else "POST"
            connection.request(method, item.path, item.body or None, item.headers)
            response = connection.getresponse()
            response.read()
            with lock:
                latencies.append(time.monotonic() - started)
                errors[0] += response.status >= 300

    started = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    p50, p99 = (latencies[int(len(latencies) * q)] * 1000 for q in (0.5, 0.99))
    return Result(len(latencies), elapsed, errors[0], p50, p99)


# --- servers ----------------------------------------------------------------------------


@contextlib.contextmanager
def gunicorn(app: str, env: dict[str, str], port: int, *extra: str) -> Iterator[str]:
    from bench.channels import wait_until_up

    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", *extra, "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", app],
        cwd=ROOT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        if app.startswith("bench.channels"):
            wait_until_up(url)
        else:
            _wait_for_port(port)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for_port(port: int, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def measure(
    kind: str, database_url: str, seconds: float, rounds: int, env: dict[str, str]
) -> dict[str, Result]:
    """Every target, `rounds` turns each of `seconds / rounds`; totals per target."""
    from tests.standins.ports import free_port

    load = run_wrk if shutil.which("wrk") else run_python
    workdir = Path(tempfile.mkdtemp(prefix="bench-ack-"))
    ports = [free_port() for _ in range(5)]
    app_url = f"http://127.0.0.1:{ports[0]}"
    env = {
        **env,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-secret",
        "PUBLIC_BASE_URL": app_url,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "bench-auth-token",
        "TWILIO_FROM_NUMBER": "+15550000000",
        "TELEGRAM_BOT_TOKEN": "123:bench",
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "MAILGUN_SIGNING_KEY": MAILGUN_KEY,
        "BENCH_FLOOR_DB": str(workdir / "floor.db"),
    }
    sms = sms_requests(app_url, env["TWILIO_AUTH_TOKEN"], env["TWILIO_ACCOUNT_SID"])
    floor_sms = sms_requests(f"http://127.0.0.1:{ports[1]}", "unused", "unused")
    telegram, mail = telegram_requests(), email_requests()
    make_floor_database(workdir / "floor.db")
    postgres = not database_url.startswith("sqlite")
    if postgres:
        make_postgres_floor_table(database_url)
    with contextlib.ExitStack() as stack:
        app = stack.enter_context(gunicorn("bench.channels:bench_app()", env, ports[0]))
        floor = stack.enter_context(gunicorn("bench.ack:floor_app()", env, ports[1]))
        bare = stack.enter_context(gunicorn("bench.ack:bare_app()", env, ports[2]))
        threaded = stack.enter_context(
            gunicorn("bench.ack:bare_app()", env, ports[3], "-k", "gthread", "--threads", "8")
        )
        targets: dict[str, tuple[str, Callable[[], Iterator[Prepared]]]] = {
            "bare (sync)": (bare, bare_requests),
            "floor: insert into SQLite, empty TwiML": (floor, lambda: floor_sms),
        }
        if postgres:
            floor_pg = stack.enter_context(
                gunicorn("bench.ack:floor_postgres_app()", env, ports[4])
            )
            floor_pg_sms = sms_requests(floor_pg, "unused", "unused")
            targets["floor: insert into PostgreSQL, empty TwiML"] = (floor_pg, lambda: floor_pg_sms)
        targets |= {
            f"SMS tracking question ({kind})": (app, lambda: sms),
            f"Telegram message ({kind})": (app, lambda: telegram),
            f"email, Mailgun ({kind})": (app, lambda: mail),
            "bare (gthread, 8 threads)": (threaded, bare_requests),
        }
        for url, requests in targets.values():  # warm up; the first message of each
            load(url, requests(), 2, workdir)  # customer is a first contact
        totals = {name: Result(0, 0.0, 0, 0.0, 0.0) for name in targets}
        p50s: dict[str, list[float]] = {name: [] for name in targets}
        p99s: dict[str, list[float]] = {name: [] for name in targets}
        for _ in range(rounds):
            for name, (url, requests) in targets.items():
                result = load(url, requests(), seconds / rounds, workdir)
                total = totals[name]
                total.requests += result.requests
                total.seconds += result.seconds
                total.errors += result.errors
                p50s[name].append(result.p50_ms)
                p99s[name].append(result.p99_ms)
        for name, total in totals.items():
            total.p50_ms = sorted(p50s[name])[len(p50s[name]) // 2]
            total.p99_ms = max(p99s[name])
    shutil.rmtree(workdir, ignore_errors=True)
    return totals


def report(kind: str, totals: dict[str, Result], tool: str) -> None:
    names = list(totals)
    bare, threaded = totals[names[0]], totals[names[-1]]
    print(f"\n## {kind}: gunicorn -w 2 (sync), {tool}, {CONNECTIONS} connections, no worker")
    print(f"| {'endpoint':<40} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'err':>4} "
          f"| {'/ bare sync':>11} | {'/ bare gthread':>14} |")  # fmt: skip
    print("|" + "|".join("-" * n for n in (42, 10, 9, 9, 6, 13, 16)) + "|")
    for name, result in totals.items():
        print(f"| {name:<40} | {result.rate:8.1f} | {result.p50_ms:7.2f} | "
              f"{result.p99_ms:7.2f} | {result.errors:4d} | {result.rate / bare.rate:11.3f} "
              f"| {result.rate / threaded.rate:14.3f} |")  # fmt: skip
