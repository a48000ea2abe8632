"""Every table of the application in one metadata, for Alembic and the tests."""

from __future__ import annotations

import api.models  # noqa: F401
import bot.models  # noqa: F401
import conversations.models
import conversations.staff_models  # noqa: F401
import orders.models  # noqa: F401
from infra import rate_limits  # noqa: F401
from infra.db import Base

metadata = Base.metadata
