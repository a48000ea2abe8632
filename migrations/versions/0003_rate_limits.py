"""rate limits: counters shared by every process, and the web client behind a handoff

Revision ID: 0003_rate_limits
Revises: 0002_inbound_deadletter
Create Date: 2026-12-02 00:31:56.322695
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0003_rate_limits"
down_revision = "0002_inbound_deadletter"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_counters",
        sa.Column("bucket", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=320), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("window_end", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "subject", "window_start", name=op.f("pk_rate_counters")),
    )
    with op.batch_alter_table("rate_counters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rate_counters_window_end"), ["window_end"], unique=False
        )

    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_handoffs_client"), ["client"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoffs_client"))
        batch_op.drop_column("client")

    with op.batch_alter_table("rate_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_counters_window_end"))

    op.drop_table("rate_counters")
