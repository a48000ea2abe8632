"""API tokens, stored as SHA-256 digests: the token itself is shown once and never kept."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import Base, UTCDateTime, utcnow


def digest(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough; no password stretching needed.
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="admin")
    # Location codes this token may act on, comma-separated; empty means every location.
    locations: Mapped[str] = mapped_column(String(500), default="")
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def location_scope(self) -> set[str] | None:
        codes = {c.strip().upper() for c in self.locations.split(",") if c.strip()}
        return codes or None
