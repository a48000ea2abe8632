"""indexes for a big shop's searches and lists (issue 17, bench/scale.py)

Orders: by customer, by status and by location, each with the newest-first order the
lists read in (they replace the single-column indexes they start with), and status with
ready time for the pickup sweep; order lines by SKU. On PostgreSQL, trigram indexes for
the `lower(…) LIKE '%text%'` searches of customer names and identities (pg_trgm; a
trusted extension since PostgreSQL 13, so the database owner may create it).

On PostgreSQL every index here is built CONCURRENTLY (`infra.online_ddl`), so a live
shop keeps taking orders and messages while this migration runs.

Revision ID: 0005_scale_indexes
Revises: 0004_variants
"""

from __future__ import annotations

from alembic import op

from infra.online_ddl import create_indexes, on_postgresql

revision = "0005_scale_indexes"
down_revision = "0004_variants"
branch_labels = None
depends_on = None

# name, table, columns; (the single-column index a new one replaces)
_INDEXES = (
    (
        "ix_orders_customer_placed",
        "orders",
        ["customer_id", "placed_at", "id"],
        "ix_orders_customer_id",
    ),
    ("ix_orders_status_placed", "orders", ["status", "placed_at", "id"], "ix_orders_status"),
    ("ix_orders_status_ready", "orders", ["status", "ready_at"], None),
    (
        "ix_orders_location_status",
        "orders",
        ["location_id", "status", "placed_at"],
        "ix_orders_location_id",
    ),
    ("ix_order_lines_sku", "order_lines", ["sku"], None),
)
_TRIGRAM = (
    ("ix_customers_name_trgm", "customers", "name"),
    ("ix_customer_identities_value_trgm", "customer_identities", "value"),
)


def upgrade() -> None:
    indexes = [(name, table, f"({', '.join(columns)})") for name, table, columns, _ in _INDEXES]
    if on_postgresql():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        indexes += [
            (name, table, f"USING gin (lower({column}) gin_trgm_ops)")
            for name, table, column in _TRIGRAM
        ]
    create_indexes(indexes, replacing=[replaces for *_, replaces in _INDEXES if replaces])


def downgrade() -> None:
    if on_postgresql():
        for name, table, _ in _TRIGRAM:
            op.drop_index(name, table_name=table)
    for name, table, columns, replaces in reversed(_INDEXES):
        if replaces:
            op.create_index(replaces, table, [columns[0]])
        op.drop_index(name, table_name=table)
