"""Retry delays shared by everything that retries an external call (outbox, refunds)."""

from __future__ import annotations

import random

BACKOFF_CAP_SECONDS = 900


def backoff_seconds(attempts: int, base: float) -> float:
    """Exponential backoff with jitter: between half and all of base * 2^(attempts-1)."""
    delay = min(BACKOFF_CAP_SECONDS, base * 2 ** max(0, attempts - 1))
    return random.uniform(delay / 2, delay)
