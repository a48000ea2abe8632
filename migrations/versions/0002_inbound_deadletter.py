"""Inbound dead letters, and refunds paid out after commit.

messages: attempts, backoff and dead letters for inbound messages whose handling fails.
payments: a refund's pay-out state, tries, lease and last error (orders.refund_payouts).

Revision ID: 0002_inbound_deadletter
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from infra import db

revision = "0002_inbound_deadletter"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_error", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("dead_at", db.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_messages_dead_at"), ["dead_at"], unique=False)
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=20), server_default="done", nullable=False)
        )
        batch_op.add_column(
            sa.Column("reason", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("locked_until", db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_payments_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_state"))
        for column in (
            "last_error",
            "locked_until",
            "next_attempt_at",
            "attempts",
            "reason",
            "state",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_dead_at"))
        batch_op.drop_column("dead_at")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("last_error")
        batch_op.drop_column("attempts")
