"""Template filters of the console: the words and formats people read (`backoffice.words`)."""

from __future__ import annotations

from datetime import datetime

from backoffice import bp, words
from conversations import handoffs as queue
from conversations.staff_models import Handoff
from infra import clock
from infra.web import database, settings
from orders.models import Customer


@bp.app_template_filter("csr_minutes")
def minutes_filter(handoff: Handoff) -> str:
    return words.duration(queue.waited(handoff, clock.now(database())).total_seconds() // 60)


@bp.app_template_filter("csr_time")
def time_filter(moment: datetime | None) -> str:
    return words.when(moment, settings())


@bp.app_template_filter("csr_duration")
def duration_filter(minutes: float | None) -> str:
    return words.duration(minutes)


@bp.app_template_filter("csr_reason")
def reason_filter(code: str) -> str:
    return words.reason(code)


@bp.app_template_filter("csr_intent")
def intent_filter(code: str) -> str:
    return words.intent(code)


@bp.app_template_filter("csr_status")
def status_filter(code: str) -> str:
    return words.status(code)


@bp.app_template_filter("csr_money")
def money_filter(amount: object) -> str:
    return words.money(amount, settings())  # type: ignore[arg-type]


@bp.app_template_filter("csr_person")
def person_filter(customer: Customer | None) -> str:
    return words.person(customer)


@bp.app_template_filter("csr_action")
def action_filter(code: str) -> str:
    return words.action(code)


@bp.app_template_filter("csr_details")
def details_filter(values: dict[str, object]) -> str:
    return words.details(values or {})
