"""Offline natural-language understanding: intents and entities of customer messages."""

from .catalog import CatalogIndex, load_demo_catalog
from .models import Entity, LocationEntry, ParseContext, ParseResult, ProductEntry
from .parser import CONFIDENCE_THRESHOLD, is_abort, parse, run_stream

__all__ = [
    "CONFIDENCE_THRESHOLD",
    "CatalogIndex",
    "Entity",
    "LocationEntry",
    "ParseContext",
    "ParseResult",
    "ProductEntry",
    "is_abort",
    "load_demo_catalog",
    "parse",
    "run_stream",
]
