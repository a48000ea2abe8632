"""a trigram index for the console's search of messages (issue 17)

The console finds the messages that contain what a CSR typed: `lower(text) LIKE
'%words%'`, which reads every message without an index; on PostgreSQL a trigram index
on lower(text) serves it (pg_trgm, created by 0005). Built CONCURRENTLY
(`infra.online_ddl`), so a live shop keeps storing messages meanwhile; then ANALYZE
gives the planner the statistics of lower(text), without which it guesses 100 matches
for any words and reads all 83,000 messages that say "arrived broken" (0.3 s on a
million) rather than the newest ones until it has 30 (1 ms). SQLite keeps scanning,
which its sizes allow.

Revision ID: 0007_message_search
Revises: 0006_conversation_tags
"""

from __future__ import annotations

from alembic import op

from infra.online_ddl import create_indexes, on_postgresql

revision = "0007_message_search"
down_revision = "0006_conversation_tags"
branch_labels = None
depends_on = None

INDEX = "ix_messages_text_trgm"


def upgrade() -> None:
    if on_postgresql():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        create_indexes([(INDEX, "messages", "USING gin (lower(text) gin_trgm_ops)")])
        op.execute("ANALYZE messages")


def downgrade() -> None:
    if on_postgresql():
        op.drop_index(INDEX, table_name="messages")
