"""Commands: `worker`, `telegram set-webhook`, `telegram poll`, `chat [--as IDENTITY]`."""

from __future__ import annotations

import os
import signal
import sys
import threading

import click
from flask import Flask

from channels import console, telegram
from entrypoints import worker
from entrypoints.bootstrap import Wiring
from infra import heap
from orders import demo, pickup_sweeper
from orders.errors import ValidationFailed

EMPTY_SHOP_HINT = (
    "This shop has no products yet, so there is nothing to order or track. "
    "`python app.py seed-demo` loads the demo shop (`python app.py` does too); "
    "`python app.py import catalog FILE.csv` loads yours."
)


def register_commands(app: Flask) -> None:
    def wired() -> Wiring:
        return app.extensions["wiring"]

    def database_and_settings():  # type: ignore[no-untyped-def]
        return wired().database, wired().settings

    @app.cli.command("worker")
    def worker_command() -> None:
        """Answer stored messages, deliver replies, read email and sweep pickups until stopped."""
        database, settings = database_and_settings()
        os.nice(max(0, min(settings.worker_nice, 19)))
        stop = worker.start(wired())
        pickup_sweeper.start(database, settings)
        _stop_on_signals(stop)
        heap.freeze_startup_objects()
        click.echo(
            "Worker running: answering messages, delivering the outbox"
            + (", reading email" if settings.imap_enabled else "")
            + "."
        )
        while not stop.wait(1):
            pass

    @app.cli.group("telegram")
    def telegram_group() -> None:
        """The Telegram channel."""

    @telegram_group.command("set-webhook")
    def set_webhook() -> None:
        """Register PUBLIC_BASE_URL/webhooks/telegram with the secret and allowed updates."""
        _, settings = database_and_settings()
        if not settings.telegram_enabled:
            raise click.ClickException("TELEGRAM_BOT_TOKEN is not set.")
        try:
            url = telegram.set_webhook(settings)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Telegram will post updates to {url}")

    @telegram_group.command("poll")
    def poll() -> None:
        """Long-poll for updates instead of a webhook (also delivers replies)."""
        database, settings = database_and_settings()
        if not settings.telegram_enabled:
            raise click.ClickException("TELEGRAM_BOT_TOKEN is not set.")
        stop = worker.start(wired())
        _stop_on_signals(stop)
        heap.freeze_startup_objects()
        click.echo("Polling Telegram for updates (Ctrl-C to stop).")
        telegram.poll(database, settings, stop)

    @app.cli.command("chat")
    @click.option("--as", "identity", help="Chat as this phone, email or telegram:ID.")
    def chat(identity: str | None) -> None:
        """Talk to the bot in the terminal, as a customer of the `console` channel."""
        database, settings = database_and_settings()
        with database.reading() as session:
            if demo.catalog_is_empty(session):
                click.echo(EMPTY_SHOP_HINT)
        try:
            customer_chat = console.ConsoleChat(database, settings, identity)
        except ValidationFailed as exc:
            raise click.ClickException(exc.message) from exc
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
        console.run(
            customer_chat,
            console.terminal_reader(interactive),
            console.Screen(sys.stdout, interactive),
            prompt_shown_by_read=interactive,
        )


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, frame: object) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)
