"""See ARCHITECTURE.md for what this package owns."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Add this package's blueprints, commands and background tasks to the app."""
