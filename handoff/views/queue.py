"""The queue and one handoff's page: transcript, reply, notes, claim / hand back / resolve."""

from __future__ import annotations

from flask import g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from backoffice import bp
from backoffice.auth import (
    AGENTS,
    console_action,
    console_work,
    current_user,
    requires,
    staff_scope,
)
from conversations import audit, tags
from conversations import handoffs as queue
from conversations.staff_models import CannedReply, HandoffNote
from handoff import alerts
from handoff.views.customers import customer_panel, transcript
from infra import clock
from infra.input_guard import whole_number
from infra.web import database, may_hold_request, settings
from orders.events import Actor
from services import handoffs as handoff_service

STATUS_FILTERS = {
    "open": queue.OPEN_STATUSES,
    "waiting": ("waiting",),
    "assigned": ("assigned",),
    "closed": ("closed",),
}


def _queue_filters() -> dict[str, str]:
    return {
        "status": request.args.get("status", "open")
        if request.args.get("status") in STATUS_FILTERS
        else "open",
        "reason": request.args.get("reason", "")
        if request.args.get("reason") in queue.REASONS
        else "",
        "channel": request.args.get("channel", "").strip()[:20],
        "mine": "1" if request.args.get("mine") == "1" else "",
        "tag": tags.normalise(request.args.get("tag", ""))[: tags.MAX_TAG_LENGTH],
    }


# Pages and actions of the queue itself are open to every signed-in user: the service
# refuses a store's scope (services.handoffs), in the words the API's store tokens get.


@bp.get("/queue")
@requires()
def queue_page():  # type: ignore[no-untyped-def]
    filters = _queue_filters()
    with database().reading() as s:
        user = current_user(s)
        handoffs = handoff_service.list_handoffs(
            s,
            staff_scope(),
            status=STATUS_FILTERS[filters["status"]],
            reason=filters["reason"] or None,
            channel=filters["channel"] or None,
            assigned_to_id=user.id if filters["mine"] else None,
            tag=filters["tag"] or None,
        )
        now = clock.now(s)
        overdue = {h.id for h in handoffs if queue.is_overdue(h, settings(), now)}
        online = queue.online_csrs(s, now)
        template = "csr/_queue_table.html" if request.args.get("partial") else "csr/queue.html"
        return render_template(
            template,
            handoffs=handoffs,
            overdue=overdue,
            filters=filters,
            reasons=queue.REASONS,
            known_tags=tags.in_use(s),
            online=online,
            alert_minutes=settings().handoff_wait_alert_minutes,
        )


@bp.get("/queue/alerts")
@requires(*AGENTS)
def queue_alerts():  # type: ignore[no-untyped-def]
    """Long poll for the console's alerts: answers when the queue changes from `seen`."""
    # Under sync workers a held request would stall webhooks: answer at once there, and
    # the page asks again a few seconds later.
    wait = (whole_number(request.args.get("wait", "")) or 0) if may_hold_request() else 0
    found = alerts.wait_for_change(
        database(), settings(), g.csr_user.id, request.args.get("seen", ""), float(wait)
    )
    return jsonify(found.to_json())


@bp.get("/handoffs/<int:handoff_id>")
@requires()
def handoff_page(handoff_id: int):  # type: ignore[no-untyped-def]
    with database().reading() as s:
        handoff = handoff_service.find_handoff(s, staff_scope(), handoff_id)
        user = current_user(s)
        notes = s.scalars(
            select(HandoffNote)
            .where(HandoffNote.customer_id == handoff.customer_id)
            .order_by(HandoffNote.created_at.desc())
        ).all()
        return render_template(
            "csr/handoff.html",
            handoff=handoff,
            user=user,
            messages=transcript(s, handoff.customer_id),
            notes=notes,
            canned=s.scalars(select(CannedReply).order_by(CannedReply.title)).all(),
            overdue=queue.is_overdue(handoff, settings(), clock.now(s)),
            place=queue.place_in_line(s, handoff),
            colleagues=queue.colleagues(s, user),
            known_tags=tags.in_use(s),
            tag_max=tags.MAX_TAG_LENGTH,
            **customer_panel(s, staff_scope(), handoff.customer_id),
        )


@bp.get("/handoffs/<int:handoff_id>/messages")
@requires(*AGENTS)
def new_messages(handoff_id: int):  # type: ignore[no-untyped-def]
    """New transcript rows as an HTML fragment, for the page's poll (escaped like the page)."""
    after = request.args.get("after", "0")
    with database().reading() as s:
        handoff = queue.get_handoff(s, handoff_id)
        messages = transcript(s, handoff.customer_id, whole_number(after) or 0)
        body = render_template("csr/_messages.html", messages=messages)
        return body, 200, {"X-Handoff-Status": handoff.status}


ACTIONS = {
    "claim": handoff_service.claim,
    "release": handoff_service.release,
    "hand_back": handoff_service.hand_back,
    "resolve": handoff_service.resolve,
}


def _act(handoff_id: int, action: str, done: str) -> None:
    with console_work(done) as uow:
        email = current_user(uow.session).email
        ACTIONS[action](uow, Actor.csr(email), staff_scope(), handoff_id)
        audit.record(uow.session, email, action, "handoff", handoff_id)


@bp.post("/handoffs/<int:handoff_id>/claim")
@requires()
def claim(handoff_id: int):  # type: ignore[no-untyped-def]
    _act(handoff_id, "claim", "It's yours: the customer is waiting for your reply.")
    return redirect(url_for("csr.handoff_page", handoff_id=handoff_id))


@bp.post("/handoffs/<int:handoff_id>/release")
@requires()
def release(handoff_id: int):  # type: ignore[no-untyped-def]
    _act(handoff_id, "release", "Back in the queue for someone else.")
    return redirect(url_for("csr.queue_page"))


@bp.post("/handoffs/<int:handoff_id>/hand-back")
@requires()
def hand_back(handoff_id: int):  # type: ignore[no-untyped-def]
    _act(handoff_id, "hand_back", "Handed back: the bot answers again, where it left off.")
    return redirect(url_for("csr.queue_page"))


@bp.post("/handoffs/<int:handoff_id>/resolve")
@requires()
def resolve(handoff_id: int):  # type: ignore[no-untyped-def]
    _act(handoff_id, "resolve", "Resolved: the customer's next message starts afresh.")
    return redirect(url_for("csr.queue_page"))


@bp.post("/handoffs/<int:handoff_id>/transfer")
@requires()
def transfer(handoff_id: int):  # type: ignore[no-untyped-def]
    colleague_id = whole_number(request.form.get("to", ""))
    with console_work("Handed to your colleague.") as uow:
        email = current_user(uow.session).email
        handoff = handoff_service.reassign(
            uow, Actor.csr(email), staff_scope(), handoff_id, colleague_id
        )
        to = handoff.assigned_to.email if handoff.assigned_to else ""
        audit.record(uow.session, email, "transfer", "handoff", handoff_id, to=to)
    return redirect(url_for("csr.handoff_page", handoff_id=handoff_id))


@bp.post("/handoffs/<int:handoff_id>/reply")
@requires()
def reply(handoff_id: int):  # type: ignore[no-untyped-def]
    text = request.form.get("text", "")
    with console_work("Sent.") as uow:
        email = current_user(uow.session).email
        message = handoff_service.reply(uow, Actor.csr(email), staff_scope(), handoff_id, text)
        audit.record(uow.session, email, "reply", "handoff", handoff_id, message_id=message.id)
    return redirect(url_for("csr.handoff_page", handoff_id=handoff_id) + "#reply")


@bp.post("/handoffs/<int:handoff_id>/notes")
@requires(*AGENTS)
def add_note(handoff_id: int):  # type: ignore[no-untyped-def]
    with console_action("Note saved.") as s:
        handoff = queue.get_handoff(s, handoff_id)
        user = current_user(s)
        note = queue.add_note(s, handoff, user, request.form.get("text", ""))
        audit.record(s, user.email, "note", "handoff", handoff.id, note_id=note.id)
    return redirect(url_for("csr.handoff_page", handoff_id=handoff_id))


@bp.post("/handoffs/<int:handoff_id>/tags")
@requires(*AGENTS)
def add_tag(handoff_id: int):  # type: ignore[no-untyped-def]
    with console_action("Tag added.") as s:
        handoff = queue.get_handoff(s, handoff_id)
        user = current_user(s)
        tag, new = tags.add(s, handoff.conversation, request.form.get("tag", ""), user.email)
        if new:
            audit.record(s, user.email, "tag_add", "conversation", handoff.conversation_id, tag=tag)
    return redirect(url_for("csr.handoff_page", handoff_id=handoff_id) + "#tags")


@bp.post("/handoffs/<int:handoff_id>/tags/remove")
@requires(*AGENTS)
def remove_tag(handoff_id: int):  # type: ignore[no-untyped-def]
    with console_action("Tag removed.") as s:
        handoff = queue.get_handoff(s, handoff_id)
        user = current_user(s)
        tag, gone = tags.remove(s, handoff.conversation, request.form.get("tag", ""))
        if gone:
            audit.record(
                s, user.email, "tag_remove", "conversation", handoff.conversation_id, tag=tag
            )
    return redirect(url_for("csr.handoff_page", handoff_id=handoff_id) + "#tags")


@bp.post("/availability")
@requires(*AGENTS)
def availability():  # type: ignore[no-untyped-def]
    wanted = request.form.get("auto_assign") == "1"
    with console_action("Auto-assignment on." if wanted else "Auto-assignment off.") as s:
        user = current_user(s)
        user.auto_assign = wanted
        audit.record(s, user.email, "auto_assign", "user", user.id, on=wanted)
        if wanted:
            queue.assign_waiting(s)
    return redirect(url_for("csr.queue_page"))
