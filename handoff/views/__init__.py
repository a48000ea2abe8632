"""The CSR console's pages at /csr, one module per area, on the staff pages' blueprint."""

from __future__ import annotations

from flask import Blueprint

# The console's templates; its routes are on backoffice's `bp`, added when imported.
templates = Blueprint("console", __name__, template_folder="../templates")

from handoff.views import (  # noqa: E402, F401
    admin,
    customers,
    phone_orders,
    queue,
    reports,
)
