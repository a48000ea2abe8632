"""Long-running processes: keep the garbage collector away from what startup made."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Call once a server or worker process has started.

    What a process makes at startup (modules, SQLAlchemy's mappers and compiled
    statements, the providers' SDKs: some 150,000 objects) lives as long as it does, yet
    every full collection walked all of it, stopping every thread for about 100 ms on a
    small server: under load that pause was the tail of the answers' latency. Frozen
    objects are never collected; the garbage made afterwards still is.
    """
    gc.collect()
    gc.freeze()
