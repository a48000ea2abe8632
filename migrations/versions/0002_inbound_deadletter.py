"""Inbound dead letters: attempts, backoff and dead letters for messages whose handling fails.

Revision ID: 0002_inbound_deadletter
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db

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


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_dead_at"))
        batch_op.drop_column("dead_at")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("last_error")
        batch_op.drop_column("attempts")
