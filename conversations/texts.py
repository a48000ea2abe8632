"""Every customer-facing sentence, loaded from conversations/texts.toml.

A shop edits the words without touching code: `instance/texts.toml` (in the working
directory) overrides any key of the same section, and is read once per process.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_FILE = Path(__file__).with_name("texts.toml")
SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@cache
def load(override: Path | None = None) -> dict[str, Any]:
    with DEFAULT_FILE.open("rb") as fh:
        texts = tomllib.load(fh)
    override = override or Path.cwd() / "instance" / "texts.toml"
    if override.is_file():
        with override.open("rb") as fh:
            texts = _merge(texts, tomllib.load(fh))
    return texts


def say(key: str, **values: object) -> str:
    """The text at "section.name", filled in with str.format(**values)."""
    section, _, name = key.partition(".")
    template = load()[section][name]
    return template.format(**values).strip()


def money(amount: Decimal, currency: str) -> str:
    """$29.00 for USD, €29.00 for EUR, 29.00 CHF for a currency without a symbol here."""
    amount = Decimal(amount).quantize(Decimal("0.01"))
    symbol = SYMBOLS.get(currency.upper())
    return f"{symbol}{amount:,}" if symbol else f"{amount:,} {currency.upper()}"


def shop_name(configured: str) -> str:
    """The shop's name as the bot says it: STORE_NAME (or the demo's), else "the shop"."""
    return configured or say("channels.unnamed_shop")
