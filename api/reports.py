"""/api/v1/reports: the figures of /csr/reports for other tools, with a whole-shop token."""

from __future__ import annotations

from flask import Blueprint, Response

from api import inputs, outputs
from api.auth import require_token, require_whole_shop
from api.contract import endpoint
from api.errors import ApiError, register_error_handlers
from conversations import reports
from infra import clock
from infra.web import database, settings
from orders.errors import ValidationFailed

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports")
register_error_handlers(bp)


def _report(query: inputs.PeriodQuery) -> reports.Report:
    timezone = settings().timezone
    try:
        period = reports.parse_period(query.start, query.end, timezone, clock.now(database()))
    except ValidationFailed as exc:
        raise ApiError(400, "bad_period", exc.message) from exc
    with database().reading() as session:
        return reports.build(session, period, timezone)


@bp.get("/summary")
@require_token
@endpoint(outputs.ReportSummary, query=inputs.PeriodQuery)
def summary(query: inputs.PeriodQuery) -> outputs.ReportSummary:
    """Containment, handoffs by reason, response and resolution times, messages by channel
    and hour, top intents and the messages not understood; `?from=&to=` (YYYY-MM-DD)."""
    require_whole_shop("read the shop's reports")
    figures = reports.to_json(_report(query), settings().timezone)
    return outputs.ReportSummary.model_validate(figures)


@bp.get("/summary.csv")
@require_token
@endpoint("text/csv", query=inputs.PeriodQuery)
def summary_csv(query: inputs.PeriodQuery) -> Response:
    """The same figures, one a row (`section,key,value`), for a spreadsheet."""
    require_whole_shop("read the shop's reports")
    return Response(reports.to_csv(_report(query), settings().timezone), mimetype="text/csv")
