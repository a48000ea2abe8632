"""The CSR console at /csr: server-rendered pages, one module per area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "csr",
    __name__,
    url_prefix="/csr",
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/static",
)

# The view modules add their routes to `bp` when imported.
from handoff.views import (  # noqa: E402, F401
    admin,
    auth,
    customers,
    filters,
    phone_orders,
    queue,
    reports,
    store,
    store_fulfilment,
    store_returns,
    store_stock,
)
