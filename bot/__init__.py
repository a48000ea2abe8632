"""The bot: understands customer messages (bot.nlu) and carries conversations (bot.engine)."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask

from bot.catalog_cache import build_index
from bot.dialogue.commands import read


def register(app: Flask) -> None:
    """Add `python app.py nlu`: one message per stdin line, one JSON object per stdout line:
    the parse's fields and "commands", what the message asks, in order."""

    @app.cli.command("nlu")
    def nlu_command() -> None:
        """Parse customer messages from stdin with the catalog in the database."""
        with app.extensions["db"].transaction() as session:
            catalog = build_index(session)
        stream = click.get_text_stream("stdin")
        for line in stream:
            text = line.strip()
            if not text:
                continue
            parsed, commands = read(text, catalog)
            result = {**parsed.to_json(), "commands": [c.to_json() for c in commands]}
            click.echo(json.dumps(result, ensure_ascii=False))
            sys.stdout.flush()
