"""Admin pages (canned replies, users, audit log) and dead-lettered messages for all agents."""

from __future__ import annotations

from collections.abc import Callable

from flask import redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import bp
from backoffice.auth import AGENTS, console_action, current_user, requires
from conversations import audit, delivery, inbound_failures
from conversations import staff as users
from conversations.models import Message, OutboxMessage
from conversations.staff_models import ROLES, AuditEntry, CannedReply, CsrUser
from infra import clock, wakeup
from infra.input_guard import whole_number
from infra.web import database
from orders.errors import NotFound, ValidationFailed
from orders.models import Order, Payment

AUDIT_PAGE = 200
DEAD_LETTER_PAGE = 200
MAX_CANNED_TITLE = 120
MAX_CANNED_TEXT = 4000


@bp.get("/dead-letters")
@requires(*AGENTS)
def dead_letters():  # type: ignore[no-untyped-def]
    with database().reading() as s:
        rows = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == "dead")
            .order_by(OutboxMessage.id.desc())
            .limit(DEAD_LETTER_PAGE)
        ).all()
        inbound = s.scalars(
            select(Message)
            .where(Message.dead_at.is_not(None))
            .order_by(Message.id.desc())
            .limit(DEAD_LETTER_PAGE)
        ).all()
        refunds = s.execute(
            select(Payment, Order)
            .join(Order, Payment.order_id == Order.id)
            .where(Payment.state == "failed")
            .order_by(Payment.id.desc())
            .limit(DEAD_LETTER_PAGE)
        ).all()
        return render_template("csr/dead_letters.html", rows=rows, inbound=inbound, refunds=refunds)


@bp.post("/dead-letters/<int:outbox_id>/retry")
@requires(*AGENTS)
def retry_dead_letter(outbox_id: int):  # type: ignore[no-untyped-def]
    return _retry_dead("Queued for another try.", delivery.retry_dead, "outbox", outbox_id)


@bp.post("/dead-letters/messages/<int:message_id>/retry")
@requires(*AGENTS)
def retry_dead_message(message_id: int):  # type: ignore[no-untyped-def]
    response = _retry_dead(
        "Queued to be answered again.", inbound_failures.retry_dead, "message", message_id
    )
    # this process's answering threads; workers elsewhere poll
    wakeup.wakeups(database()).inbound.wake()
    return response


def _retry_dead(done: str, retry: Callable[[Session, int], object], kind: str, target_id: int):  # type: ignore[no-untyped-def]
    """Put a dead letter back (outbound or inbound), audited; back to the dead letters."""
    with console_action(done) as s:
        user = current_user(s)
        retry(s, target_id)
        audit.record(s, user.email, "retry_dead", kind, target_id)
    return redirect(url_for("csr.dead_letters"))


@bp.get("/admin/canned")
@requires("admin")
def canned_replies():  # type: ignore[no-untyped-def]
    with database().reading() as s:
        rows = s.scalars(select(CannedReply).order_by(CannedReply.title)).all()
        return render_template("csr/admin_canned.html", rows=rows)


def _canned_fields() -> tuple[str, str]:
    title = request.form.get("title", "").strip()
    text = request.form.get("text", "").strip()
    if not title or not text:
        raise ValidationFailed("A canned reply needs a title and a text.")
    if len(title) > MAX_CANNED_TITLE or len(text) > MAX_CANNED_TEXT:
        raise ValidationFailed(
            f"Titles are at most {MAX_CANNED_TITLE} characters, texts {MAX_CANNED_TEXT}."
        )
    return title, text


@bp.post("/admin/canned")
@requires("admin")
def save_canned_reply():  # type: ignore[no-untyped-def]
    raw_id = request.form.get("id", "")
    with console_action("Canned reply saved.") as s:
        user = current_user(s)
        title, text = _canned_fields()
        known = whole_number(raw_id)
        row = s.get(CannedReply, known) if known is not None else CannedReply()
        if row is None:
            raise NotFound("That canned reply was deleted.")
        clash = s.scalar(select(CannedReply).where(CannedReply.title == title))
        if clash is not None and clash is not row:
            raise ValidationFailed(f"There is a canned reply called {title!r} already.")
        row.title, row.text, row.updated_at = title, text, clock.now(s)
        s.add(row)
        s.flush()
        audit.record(s, user.email, "canned_save", "canned_reply", row.id, title=title)
    return redirect(url_for("csr.canned_replies"))


@bp.post("/admin/canned/<int:reply_id>/delete")
@requires("admin")
def delete_canned_reply(reply_id: int):  # type: ignore[no-untyped-def]
    with console_action("Canned reply deleted.") as s:
        user = current_user(s)
        row = s.get(CannedReply, reply_id)
        if row is None:
            raise NotFound("That canned reply was deleted already.")
        audit.record(s, user.email, "canned_delete", "canned_reply", reply_id, title=row.title)
        s.delete(row)
    return redirect(url_for("csr.canned_replies"))


@bp.get("/admin/users")
@requires("admin")
def user_list():  # type: ignore[no-untyped-def]
    with database().reading() as s:
        rows = s.scalars(select(CsrUser).order_by(CsrUser.email)).all()
        return render_template("csr/admin_users.html", rows=rows, roles=ROLES)


@bp.post("/admin/users")
@requires("admin")
def save_user():  # type: ignore[no-untyped-def]
    form = request.form
    with console_action("User saved.") as s:
        admin = current_user(s)
        user, created = users.save_user(
            s,
            form.get("email", ""),
            form.get("password", ""),
            form.get("role", ""),
            name=form.get("name", "").strip()[:200],
            locations=[c for c in form.get("locations", "").replace(",", " ").split() if c],
        )
        audit.record(
            s,
            admin.email,
            "user_create" if created else "user_update",
            "user",
            user.email,
            role=user.role,
        )
    return redirect(url_for("csr.user_list"))


@bp.post("/admin/users/<int:user_id>/deactivate")
@requires("admin")
def deactivate_user(user_id: int):  # type: ignore[no-untyped-def]
    with console_action("User deactivated; their sessions end now.") as s:
        admin = current_user(s)
        user = s.get(CsrUser, user_id)
        if user is None:
            raise NotFound("There is no such user.")
        if user.id == admin.id:
            raise ValidationFailed("You cannot deactivate yourself.")
        user.active = False
        audit.record(s, admin.email, "user_deactivate", "user", user.email)
    return redirect(url_for("csr.user_list"))


@bp.get("/admin/audit")
@requires("admin")
def audit_log():  # type: ignore[no-untyped-def]
    who = request.args.get("actor", "").strip()[:320]
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE)
    if who:
        query = query.where(AuditEntry.actor == who.lower())
    with database().reading() as s:
        return render_template("csr/admin_audit.html", rows=s.scalars(query).all(), actor=who)
