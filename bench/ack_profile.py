"""Where acknowledging a webhook spends its time, in one process: CPU, statements, profile.

Run from the repo root: ``python bench/ack_profile.py [--postgres URL] [--requests 2000]
[--top 25] [--filter REGEX]
[--kinds sms,telegram,email]``. On the demo store (a temp SQLite file, or a new
database on the PostgreSQL server at URL, dropped afterwards) it posts signed webhooks
through Flask's test client (no HTTP server, no other process): the same tracking
question from 200 customers as bench/ack.py, after one first contact each. For each
kind it prints the CPU and wall time per request against a bare endpoint of the same
app, the statements and commits the driver ran per request (counted by cProfile), and,
with ``--top``, the functions that took the most time.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # not bench/: bench/orders.py would shadow the orders package

from bench import ack  # noqa: E402
from bench.load import scratch_database, seed  # noqa: E402

BASE_URL = "http://bench.example"


def driver_calls(stats: pstats.Stats) -> dict[str, int]:
    """Statements sent and commits asked of the driver, by cProfile's call counts."""
    counted = {"statements": 0, "commits": 0}
    for (filename, _line, name), (calls, *_rest) in stats.stats.items():  # type: ignore[attr-defined]
        if filename == "~":  # C functions: sqlite3's
            if "of 'sqlite3." in name and "'execute'" in name:
                counted["statements"] += calls
            elif "of 'sqlite3." in name and "'commit'" in name:
                counted["commits"] += calls
        elif filename.endswith(os.path.join("psycopg", "cursor.py")) and name == "execute":
            counted["statements"] += calls
        elif filename.endswith(os.path.join("psycopg", "connection.py")) and name == "commit":
            counted["commits"] += calls
    return counted


def requests_of(kind: str) -> Iterator[ack.Prepared]:
    if kind == "sms":
        return ack.sms_requests(BASE_URL, os.environ["TWILIO_AUTH_TOKEN"], "AC" + "0" * 32)
    if kind == "telegram":
        return ack.telegram_requests()
    if kind == "email":
        return ack.email_requests()
    return ack.bare_requests()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server's URL")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--kinds", default="sms,telegram,email")
    parser.add_argument("--filter", default="", help="only functions whose path matches")
    args = parser.parse_args()
    if args.postgres:
        os.environ["BENCH_POSTGRES_URL"] = args.postgres
    workdir = Path(tempfile.mkdtemp(prefix="bench-ack-profile-"))
    database_url, drop = scratch_database("postgresql" if args.postgres else "sqlite", workdir)
    os.environ.update(
        DATABASE_URL=database_url,
        SECRET_KEY="bench-secret",
        PUBLIC_BASE_URL=BASE_URL,
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN="bench-auth-token",
        TWILIO_FROM_NUMBER="+15550000000",
        TELEGRAM_BOT_TOKEN="123:bench",
        TELEGRAM_WEBHOOK_SECRET=ack.TELEGRAM_SECRET,
        MAILGUN_SIGNING_KEY=ack.MAILGUN_KEY,
    )
    try:
        seed(database_url, customers=False)
        run(args)
    finally:
        drop()


def run(args: argparse.Namespace) -> None:
    from bench.channels import bench_app

    client = bench_app().test_client()

    def post(item: ack.Prepared) -> None:
        if item.path == "/bench/bare":
            response = client.get(item.path)
        else:
            response = client.post(item.path, data=item.body, headers=item.headers)
        if response.status_code >= 300:
            raise RuntimeError(f"{item.path}: {response.status_code} {response.get_data()!r}")

    kinds = ["bare", *args.kinds.split(",")]
    print(f"{args.requests} requests each, Flask test client, one process")
    print(
        f"| {'webhook':<9} | {'CPU ms':>7} | {'wall ms':>7} | {'statements':>10} | {'commits':>7} |"
    )
    print("|-----------|---------|---------|------------|---------|")
    profiles: dict[str, pstats.Stats] = {}
    for kind in kinds:
        prepared = requests_of(kind)
        for item in itertools.islice(prepared, ack.CUSTOMERS):  # first contacts, warm-up
            post(item)
        items = list(itertools.islice(prepared, args.requests))
        profiler = cProfile.Profile()
        wall, cpu = time.perf_counter(), time.process_time()
        for item in items:
            post(item)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        items = list(itertools.islice(prepared, args.requests))
        profiler.enable()
        for item in items:
            post(item)
        profiler.disable()
        stats = profiles[kind] = pstats.Stats(profiler)
        calls = driver_calls(stats)
        n = args.requests
        print(f"| {kind:<9} | {cpu / n * 1000:7.3f} | {wall / n * 1000:7.3f} "
              f"| {calls['statements'] / n:10.2f} | {calls['commits'] / n:7.2f} |")  # fmt: skip
    for kind, stats in profiles.items():
        if args.top and kind != "bare":
            print(f"\n## {kind}: the {args.top} functions with the most time (cumulative)")
            stats.sort_stats("cumulative").print_stats(args.filter, args.top)


if __name__ == "__main__":
    main()
