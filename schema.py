"""Every table of the application in one metadata, for Alembic and the tests."""

from __future__ import annotations

import api.models  # noqa: F401
import bot.models  # noqa: F401
import channels.models  # noqa: F401
import handoff.models  # noqa: F401
import orders.models  # noqa: F401
import rate_limits  # noqa: F401
from db import Base

metadata = Base.metadata
