"""indexes for a big shop's searches and lists (issue 17, bench/scale.py)

Orders: by customer, by status and by location, each with the newest-first order the
lists read in (they replace the single-column indexes they start with), and status with
ready time for the pickup sweep; order lines by SKU. On PostgreSQL, trigram indexes for
the `lower(…) LIKE '%text%'` searches of customer names and identities (pg_trgm; a
trusted extension since PostgreSQL 13, so the database owner may create it).

Revision ID: 0005_scale_indexes
Revises: 0004_variants
"""

from __future__ import annotations

from alembic import op

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
    for name, table, columns, replaces in _INDEXES:
        op.create_index(name, table, columns)
        if replaces:
            op.drop_index(replaces, table_name=table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in _TRIGRAM:
            op.execute(f"CREATE INDEX {name} ON {table} USING gin (lower({column}) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _ in _TRIGRAM:
            op.drop_index(name, table_name=table)
    for name, table, columns, replaces in reversed(_INDEXES):
        if replaces:
            op.create_index(replaces, table, [columns[0]])
        op.drop_index(name, table_name=table)
