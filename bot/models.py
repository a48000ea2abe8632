"""The bot's own tables: failed order and return number lookups, for the probing limit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import Base, UTCDateTime, utcnow


class LookupFailure(Base):
    """A number the customer asked about that is not one of theirs (or does not exist).

    Kept per customer rather than in `conversation.state`, which "stop", a CSR's
    resolve and every new flow reset: the limit must survive all of those.
    """

    __tablename__ = "lookup_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
