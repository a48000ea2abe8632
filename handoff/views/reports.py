"""/csr/reports: what the assistant did over a period, as charts, tables and CSV.

Admins see the shop's figures; a CSR sees their own work (the handoffs assigned to them).
"""

from __future__ import annotations

from flask import Response, flash, g, render_template, request

from backoffice import bp
from backoffice.auth import AGENTS, requires
from conversations import reports
from infra import clock
from infra.web import database, settings
from orders.errors import ValidationFailed


def _report() -> tuple[reports.Report | None, dict[str, str]]:
    """The report for the period in the query string; None (and a flash) when it is bad."""
    args = {"from": request.args.get("from", ""), "to": request.args.get("to", "")}
    timezone = settings().timezone
    try:
        period = reports.parse_period(args["from"], args["to"], timezone, clock.now(database()))
    except ValidationFailed as exc:
        flash(exc.message, "error")
        return None, args
    csr_id = None if g.csr_user.is_admin else g.csr_user.id
    with database().reading() as session:
        report = reports.build(session, period, timezone, csr_id=csr_id)
    return report, args


@bp.get("/reports")
@requires(*AGENTS)
def reports_page():  # type: ignore[no-untyped-def]
    report, args = _report()
    figures = reports.to_json(report, settings().timezone) if report else None
    return render_template("csr/reports.html", report=report, figures=figures, args=args)


@bp.get("/reports.csv")
@requires(*AGENTS)
def reports_csv():  # type: ignore[no-untyped-def]
    report, _ = _report()
    if report is None:
        return Response("Dates are written YYYY-MM-DD.\n", status=400, mimetype="text/plain")
    name = f"report-{reports.to_json(report, settings().timezone)['from']}.csv"
    return Response(
        reports.to_csv(report, settings().timezone),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
