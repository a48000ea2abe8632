"""What the assistant did over a period, from what was recorded: messages and handoffs.

- Containment: of the conversations in which customers wrote during the period, the
  share the bot finished without a person (no handoff opened in the period).
- Handoffs by reason; first response (the handoff opened -> the first CSR message in
  that conversation) and resolution (opened -> closed) times, median and 90th percentile.
- Customer messages by channel and by hour of the day (in the shop's time zone).
- Top intents and the messages the bot did not understand, from the reading the
  answering step records on each inbound message (`payload["reading"]`).

A CSR's report covers their own work: the handoffs assigned to them. Containment and
the message figures are the shop's and are left out of it.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conversations.models import Conversation, Message
from conversations.staff_models import Handoff
from orders.errors import ValidationFailed

NOT_UNDERSTOOD_SHOWN = 50
TOP_INTENTS = 10


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Durations:
    """Minutes; None when there was nothing to measure."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, minutes: list[float]) -> Durations:
        if not minutes:
            return cls(0, None, None)
        ordered = sorted(minutes)
        nearest_rank = ordered[math.ceil(0.9 * len(ordered)) - 1]
        return cls(len(ordered), statistics.median(ordered), nearest_rank)


@dataclass(frozen=True)
class Unread:
    """A customer message the bot did not understand."""

    message_id: int
    customer_id: int
    text: str
    at: datetime


@dataclass
class Report:
    period: Period
    conversations: int | None = None
    handed_over: int = 0
    handoffs_by_reason: dict[str, int] = field(default_factory=dict)
    first_response: Durations = Durations(0, None, None)
    resolution: Durations = Durations(0, None, None)
    messages_by_channel: dict[str, int] = field(default_factory=dict)
    messages_by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    top_intents: list[tuple[str, int]] = field(default_factory=list)
    not_understood: list[Unread] = field(default_factory=list)

    @property
    def containment(self) -> float | None:
        """The share of conversations the bot finished without a person (0..1)."""
        if not self.conversations:
            return None
        return max(0, self.conversations - self.handed_over) / self.conversations


def build(
    session: Session, period: Period, timezone: ZoneInfo, *, csr_id: int | None = None
) -> Report:
    """The report for `period`; with `csr_id`, only that CSR's handoffs."""
    report = Report(period)
    _handoffs(session, report, csr_id)
    if csr_id is None:
        _messages(session, report, timezone)
    return report


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def _handoffs(session: Session, report: Report, csr_id: int | None) -> None:
    period = report.period
    in_period = (Handoff.created_at >= period.start, Handoff.created_at < period.end)
    mine = (Handoff.assigned_to_id == csr_id,) if csr_id is not None else ()
    first_csr_message = (
        select(func.min(Message.created_at))
        .where(
            Message.conversation_id == Handoff.conversation_id,
            Message.author == "csr",
            Message.created_at >= Handoff.created_at,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Handoff.conversation_id,
            Handoff.reason,
            Handoff.created_at,
            Handoff.closed_at,
            first_csr_message,
        ).where(*in_period, *mine)
    ).all()
    report.handed_over = len({row.conversation_id for row in rows})
    report.handoffs_by_reason = dict(Counter(row.reason for row in rows).most_common())
    report.first_response = Durations.of(
        [_minutes(row[4] - row.created_at) for row in rows if row[4] is not None]
    )
    report.resolution = Durations.of(
        [_minutes(row.closed_at - row.created_at) for row in rows if row.closed_at is not None]
    )


def _messages(session: Session, report: Report, timezone: ZoneInfo) -> None:
    period = report.period
    rows = session.execute(
        select(
            Message.id,
            Message.conversation_id,
            Conversation.customer_id,
            Message.channel,
            Message.created_at,
            Message.payload,
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.direction == "in",
            Message.author == "customer",
            Message.created_at >= period.start,
            Message.created_at < period.end,
        )
        .order_by(Message.id)
    ).all()
    report.conversations = len({row.conversation_id for row in rows})
    report.messages_by_channel = dict(Counter(row.channel for row in rows).most_common())
    intents: Counter[str] = Counter()
    unread: list[Unread] = []
    for row in rows:
        report.messages_by_hour[row.created_at.astimezone(timezone).hour] += 1
        reading = (row.payload or {}).get("reading") or {}
        intents.update(reading.get("intents") or [])
        if reading.get("understood") is False:
            unread.append(Unread(row.id, row.customer_id, "", row.created_at))
    report.top_intents = intents.most_common(TOP_INTENTS)
    report.not_understood = _with_texts(session, unread[-NOT_UNDERSTOOD_SHOWN:][::-1])


def _with_texts(session: Session, unread: list[Unread]) -> list[Unread]:
    """The texts of the newest not-understood messages (read only for those shown)."""
    if not unread:
        return []
    ids = [u.message_id for u in unread]
    texts = dict(session.execute(select(Message.id, Message.text).where(Message.id.in_(ids))).all())
    return [dataclasses.replace(u, text=texts.get(u.message_id, "")) for u in unread]


DEFAULT_DAYS = 7
MAX_DAYS = 366


def parse_period(start: str, end: str, timezone: ZoneInfo, now: datetime) -> Period:
    """From and to as dates (YYYY-MM-DD, both days included) in the shop's time zone;
    the last DEFAULT_DAYS days when not given. ValidationFailed for anything else."""
    today = now.astimezone(timezone).date()
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError as exc:
        raise ValidationFailed("Dates are written YYYY-MM-DD, e.g. 2026-12-01.") from exc
    if first > last:
        raise ValidationFailed("The period starts after it ends.")
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed(f"A report covers at most {MAX_DAYS} days.")

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time.min, timezone).astimezone(UTC)

    return Period(midnight(first), midnight(last + timedelta(days=1)))


def to_json(report: Report, timezone: ZoneInfo) -> dict[str, Any]:
    """The figures for /api/v1/reports/summary (and the console's charts)."""

    def durations(d: Durations) -> dict[str, Any]:
        return {"count": d.count, "median_minutes": d.median, "p90_minutes": d.p90}

    return {
        "from": report.period.start.astimezone(timezone).date().isoformat(),
        "to": (report.period.end.astimezone(timezone) - timedelta(days=1)).date().isoformat(),
        "timezone": timezone.key,
        "conversations": report.conversations,
        "handed_over": report.handed_over,
        "containment": report.containment,
        "handoffs_by_reason": report.handoffs_by_reason,
        "first_response": durations(report.first_response),
        "resolution": durations(report.resolution),
        "messages_by_channel": report.messages_by_channel,
        "messages_by_hour": report.messages_by_hour if report.conversations is not None else None,
        "top_intents": [{"intent": i, "count": n} for i, n in report.top_intents],
        "not_understood": [
            {
                "message_id": u.message_id,
                "customer_id": u.customer_id,
                "text": u.text,
                "at": u.at.isoformat(),
            }
            for u in report.not_understood
        ],
    }


def to_csv(report: Report, timezone: ZoneInfo) -> str:
    """One figure a row (`section,key,value`), for a spreadsheet."""
    figures = to_json(report, timezone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "value"])
    for name in ("from", "to", "timezone", "conversations", "handed_over", "containment"):
        writer.writerow(["summary", name, "" if figures[name] is None else figures[name]])
    for name in ("first_response", "resolution"):
        for key, value in figures[name].items():
            writer.writerow([name, key, "" if value is None else value])
    for reason, count in report.handoffs_by_reason.items():
        writer.writerow(["handoffs_by_reason", reason, count])
    for channel, count in report.messages_by_channel.items():
        writer.writerow(["messages_by_channel", channel, count])
    if report.conversations is not None:
        for hour, count in enumerate(report.messages_by_hour):
            writer.writerow(["messages_by_hour", f"{hour:02d}", count])
    for intent, count in report.top_intents:
        writer.writerow(["top_intents", intent, count])
    for unread in report.not_understood:
        writer.writerow(["not_understood", unread.at.isoformat(), unread.text])
    return out.getvalue()
