"""The bot: understands customer messages (bot.nlu) and carries conversations (bot.engine)."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask

from bot.catalog_cache import build_index
from bot.nlu import run_stream


def register(app: Flask) -> None:
    """Add `python app.py nlu`: one message per stdin line, one JSON object per stdout line."""

    @app.cli.command("nlu")
    def nlu_command() -> None:
        """Parse customer messages from stdin with the catalog in the database."""
        with app.extensions["db"].transaction() as session:
            catalog = build_index(session)
        stream = click.get_text_stream("stdin")
        for result in run_stream(stream, catalog):
            click.echo(json.dumps(result, ensure_ascii=False))
            sys.stdout.flush()
