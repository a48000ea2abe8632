"""Signed SMS webhooks from first-time senders acknowledged per second, under gunicorn.

Run from the repo root: ``python bench/channels.py [--seconds 5] [--clients 8]``.
Starts the Twilio stand-in and ``gunicorn -w 2`` serving the real app (SQLite in a
temp dir unless DATABASE_URL is set), with no worker, then measures in the same run:
- POST /webhooks/twilio/sms: a signed Twilio form, each from a new number: signature
  check and intake's first-contact path (customer, identity, conversation, message);
- GET /bench/bare: a bare Flask endpoint on the same server, for the ceiling;
and prints both rates and their ratio.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.standins.ports import free_port  # noqa: E402
from tests.standins.signing import twilio_headers, twilio_inbound_sms  # noqa: E402
from tests.standins.twilio_server import TwilioStandin  # noqa: E402

WORKERS = 2
THREADS = 4


def bench_app():  # type: ignore[no-untyped-def]
    """The app gunicorn serves here: the real one plus one bare endpoint."""
    from app import create_app

    app = create_app()

    @app.get("/bench/bare")
    def bare() -> str:
        return "ok"

    return app


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=2).ok:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up")


def measure(seconds: float, clients: int, make_request) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Requests per second over `seconds` with `clients` threads; returns (rate, errors)."""
    stop = time.monotonic() + seconds
    done = [0] * clients
    errors = [0] * clients

    def client(index: int) -> None:
        session = requests.Session()
        while time.monotonic() < stop:
            response = make_request(session, index)
            if response.ok:
                done[index] += 1
            else:
                errors[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started), sum(errors)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    twilio = TwilioStandin().start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="bench-channels-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.db"
    env = {
        **os.environ,
        **twilio.settings(),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-secret",
        "PUBLIC_BASE_URL": url,
    }
    # Migrate and seed once, before the workers start.
    subprocess.run(
        [sys.executable, "app.py", "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(WORKERS),
            "-k",
            "gthread",
            "--threads",
            str(THREADS),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "bench.channels:bench_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_up(url)
        numbers = itertools.count(1_000_000)
        sms_url = url + "/webhooks/twilio/sms"
        texts = ["hello", "where is my order 10001", "what do you sell", "store hours"]

        def signed_sms(session: requests.Session, index: int) -> requests.Response:
            number = next(numbers)
            form = twilio_inbound_sms(
                account_sid=twilio.account_sid,
                from_=f"+1555{number:07d}",
                to=twilio.from_number,
                body=texts[number % len(texts)],
            )
            headers = twilio_headers(twilio.auth_token, sms_url, form)
            return session.post(sms_url, data=form, headers=headers, timeout=30)

        def bare(session: requests.Session, index: int) -> requests.Response:
            return session.get(url + "/bench/bare", timeout=30)

        measure(1.0, args.clients, bare)  # warm up both paths
        measure(1.0, args.clients, signed_sms)
        sms_rate, sms_errors = measure(args.seconds, args.clients, signed_sms)
        bare_rate, bare_errors = measure(args.seconds, args.clients, bare)
        engine = database_url.split(":", 1)[0]
        print(
            f"gunicorn -w {WORKERS} -k gthread --threads {THREADS}, {args.clients} clients, "
            f"{args.seconds:.0f} s each, database {engine}"
        )
        print(f"first-contact SMS acknowledged:   {sms_rate:8.1f} /s  ({sms_errors} errors)")
        print(f"bare Flask endpoint:              {bare_rate:8.1f} /s  ({bare_errors} errors)")
        print(f"ratio SMS / bare:                 {sms_rate / bare_rate:8.3f}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        twilio.stop()


if __name__ == "__main__":
    main()
