"""The audit log: every console and handoff-API action, with who did it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from conversations.staff_models import AuditEntry


def record(
    session: Session,
    actor: str,
    action: str,
    target_type: str = "",
    target_id: object = "",
    **details: Any,
) -> AuditEntry:
    """Add an entry in the caller's transaction, so it is kept exactly when the action is."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details=details,
    )
    session.add(entry)
    session.flush()
    return entry
