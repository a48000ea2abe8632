"""Logging for `python app.py ...`: INFO and above on stderr, without migration chatter.

Every command builds the app, and building it brings the schema up to date, so Alembic
would say "Context impl SQLiteImpl." and "Will assume non-transactional DDL." (and
each migration it runs) at INFO before any command's own output, `--help` included.
Those lines are logged at DEBUG instead.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
DEMOTED_LOGGERS = ("alembic",)


class DemoteToDebug(logging.Filter):
    """A handler filter: INFO from the named loggers becomes DEBUG, shown only at DEBUG."""

    def __init__(self, names: tuple[str, ...], level: int) -> None:
        super().__init__()
        self.names = names
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and record.name.startswith(self.names):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return record.levelno >= self.level


def configure(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format=FORMAT)
    for handler in logging.getLogger().handlers:
        handler.addFilter(DemoteToDebug(DEMOTED_LOGGERS, level))
