"""One SQLite writer at a time, queued across threads and processes instead of polled.

SQLite lets one transaction write at a time. A connection that finds the write lock
taken sleeps in its busy handler (1, 2, 5, ... 100 ms) and tries again, so under load
writers wait far longer than the lock is held, and a process that takes it again at
once can starve the others (the web processes' short stores behind a worker's bot
turns). Every write transaction here first takes this lock: a threading lock within
the process, then an exclusive `flock` on a file beside the database across processes,
which the kernel hands to a waiter the moment it is released.
"""

from __future__ import annotations

import os
import threading
from types import TracebackType

try:
    import fcntl
except ImportError:  # Windows: only the threading lock; SQLite's busy handler does the rest
    fcntl = None  # type: ignore[assignment]


class WriterLock:
    def __init__(self, database_path: str | None) -> None:
        self._threads = threading.RLock()
        on_disk = database_path not in (None, "", ":memory:")
        self._path = f"{database_path}.writer-lock" if on_disk and fcntl else None
        self._file: int | None = None
        self._file_pid = 0
        self._depth = 0

    def __enter__(self) -> None:
        self._threads.acquire()
        self._depth += 1
        if self._depth == 1 and self._path:
            try:
                fcntl.flock(self._descriptor(), fcntl.LOCK_EX)
            except BaseException:
                self._depth -= 1
                self._threads.release()
                raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0 and self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._threads.release()

    def close(self) -> None:
        """Close this process's lock file, which `_descriptor` opens again if the database
        is used after all: a process that opens database after database (the tests, the
        stories) would otherwise run out of file descriptors."""
        with self._threads:
            if self._file is not None and self._file_pid == os.getpid():
                os.close(self._file)
            self._file = None

    def _descriptor(self) -> int:
        """This process's own open file: after a fork, a shared one would share the lock."""
        if self._file is None or self._file_pid != os.getpid():
            assert self._path is not None
            self._file = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._file_pid = os.getpid()
        return self._file
