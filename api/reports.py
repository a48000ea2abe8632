"""/api/v1/reports: the figures of /csr/reports for other tools, with a whole-shop token."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from api.auth import require_token, require_whole_shop
from api.errors import ApiError, register_error_handlers
from conversations import reports
from infra.db import utcnow
from infra.web import database, settings
from orders.errors import ValidationFailed

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports")
register_error_handlers(bp)


def _report() -> reports.Report:
    timezone = settings().timezone
    try:
        period = reports.parse_period(
            request.args.get("from", ""), request.args.get("to", ""), timezone, utcnow()
        )
    except ValidationFailed as exc:
        raise ApiError(400, "bad_period", exc.message) from exc
    with database().reading() as session:
        return reports.build(session, period, timezone)


@bp.get("/summary")
@require_token
def summary():  # type: ignore[no-untyped-def]
    """Containment, handoffs by reason, response and resolution times, messages by channel
    and hour, top intents and the messages not understood; `?from=&to=` (YYYY-MM-DD)."""
    require_whole_shop("read the shop's reports")
    return jsonify(reports.to_json(_report(), settings().timezone))


@bp.get("/summary.csv")
@require_token
def summary_csv():  # type: ignore[no-untyped-def]
    require_whole_shop("read the shop's reports")
    return Response(reports.to_csv(_report(), settings().timezone), mimetype="text/csv")
