"""product variant columns: variant_of, size, colour, unit

Revision ID: 0004_variants
Revises: 0003_rate_limits
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_variants"
down_revision = "0003_rate_limits"
branch_labels = None
depends_on = None

_COLUMNS = (("variant_of", 200), ("size", 50), ("colour", 50), ("unit", 50))


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        for name, length in _COLUMNS:
            batch_op.add_column(
                sa.Column(name, sa.String(length=length), nullable=False, server_default="")
            )
    with op.batch_alter_table("products", schema=None) as batch_op:
        for name, _ in _COLUMNS:
            batch_op.alter_column(name, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        for name, _ in reversed(_COLUMNS):
            batch_op.drop_column(name)
