"""/api/v1/handoffs: drive the queue from other tools with a bearer token."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from api import inputs, outputs
from api.auth import api_actor, api_scope, require_token
from api.contract import endpoint
from api.errors import ApiError, register_error_handlers
from conversations import audit
from infra import clock
from infra.web import database
from orders.events import Actor
from services import handoffs as queue
from services.uow import transaction

bp = Blueprint("handoff_api", __name__, url_prefix="/api/v1/handoffs")
register_error_handlers(bp)
# The queue is the whole shop's: services.handoffs refuses a store-scoped token, with the
# words the console's store users get.


def _named(csr: str | None) -> str | None:
    """The CSR a body names; blank is none."""
    return csr.strip() if csr and csr.strip() else None


def _acting(csr: str | None) -> Actor:
    """The token itself (it acts for the whole shop), or the CSR it names, who is then
    refused what the console would refuse them."""
    return Actor.csr(csr, "api") if csr else api_actor()


@bp.get("")
@require_token
@endpoint(outputs.Handoffs, query=inputs.HandoffQuery)
def list_handoffs(query: inputs.HandoffQuery) -> outputs.Handoffs:
    """The queue: waiting (longest first), assigned or closed handoffs."""
    with database().reading() as session:
        found = queue.list_handoffs(
            session, api_scope(), status=query.status, tag=query.tag or None
        )
        now = clock.now(session)
        return outputs.Handoffs(handoffs=[outputs.HandoffOut.of(h, now) for h in found])


@bp.get("/<int:handoff_id>")
@require_token
@endpoint(outputs.HandoffOut)
def get_handoff(handoff_id: int) -> outputs.HandoffOut:
    """One handoff."""
    with database().reading() as session:
        found = queue.find_handoff(session, api_scope(), handoff_id)
        return outputs.HandoffOut.of(found, clock.now(session))


@bp.post("/<int:handoff_id>/<action>")
@require_token
@endpoint(
    outputs.HandoffOut,
    body=inputs.HandoffAction,
    choices={"action": ("claim", "release", "resolve", "hand_back")},
)
def act(handoff_id: int, action: str, body: inputs.HandoffAction) -> outputs.HandoffOut:
    """Claim for a CSR, release to the queue, resolve, or hand back to the bot."""
    csr = _named(body.csr)
    details: dict[str, Any] = {"csr": csr} if csr else {}
    with transaction(database()) as uow:
        scope = api_scope()
        if action == "claim":
            if csr is None:
                raise ApiError(400, "csr_required", 'Name the CSR who takes it: {"csr": "EMAIL"}.')
            handoff = queue.claim(uow, api_actor(), scope, handoff_id, csr=csr)
        else:  # `endpoint` admits only these four
            change = {"release": queue.release, "resolve": queue.resolve}.get(
                action, queue.hand_back
            )
            handoff = change(uow, _acting(csr), scope, handoff_id)
        audit.record(uow.session, api_actor().id, action, "handoff", handoff.id, **details)
        return outputs.HandoffOut.of(handoff, clock.now(uow.session))


@bp.post("/<int:handoff_id>/messages")
@require_token
@endpoint(outputs.SentMessage, status=201, body=inputs.HandoffMessage)
def send_message(handoff_id: int, body: inputs.HandoffMessage) -> outputs.SentMessage:
    """Write to the customer, on their channel, for the whole shop or for the CSR named."""
    csr = _named(body.csr)
    details: dict[str, Any] = {"csr": csr} if csr else {}
    with transaction(database()) as uow:
        message = queue.reply(uow, _acting(csr), api_scope(), handoff_id, body.text)
        audit.record(
            uow.session,
            api_actor().id,
            "reply",
            "handoff",
            handoff_id,
            message_id=message.id,
            **details,
        )
        return outputs.SentMessage(id=message.id, channel=message.channel, text=message.text)
