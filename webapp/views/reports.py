"""The edition report for staff: per country figures with charts, the Excel workbook and the hours ledger CSV."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflows.clock import clock
from workflows.editions import Edition, get_edition, load_editions

from ..models import Role
from ..operations.errors import Invalid
from ..reports.edition_report import build_report
from ..reports.excel import workbook_bytes
from ..reports.labels import menu_label, reason_label
from ..reports.ledger_csv import ledger_csv
from .cases import country_label

bp = Blueprint("reports", __name__, url_prefix="/reports")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_request
@login_required
def _staff_only():  # type: ignore[no-untyped-def]
    if current_user.role != Role.STAFF:
        abort(403)


def _edition() -> Edition:
    """The edition asked for (?edition=FY2025); none asked: the one whose support period runs now, else the newest."""
    editions = load_editions()
    if not editions:
        raise Invalid(_("年度が登録されていません。"))
    code = request.args.get("edition", "").strip()
    if code:
        edition = get_edition(code)
        if edition is None:
            raise Invalid(_("年度「%(code)s」は登録されていません。", code=code[:20]))
        return edition
    now = clock.now()
    running = [e for e in editions.values() if e.support_period_end >= now]
    return min(running, key=lambda e: e.support_period_end) if running else editions[max(editions)]


def _country_name(edition: Edition) -> Any:
    return lambda code: country_label(edition.code, code)


@bp.get("")
def index():  # type: ignore[no-untyped-def]
    edition = _edition()
    report = build_report(edition)
    return render_template(
        "reports/index.html",
        report=report,
        totals=report.totals,
        editions=sorted(load_editions()),
        country_name=_country_name(edition),
        reason_label=reason_label,
        menu_label=menu_label,
    )


@bp.get("/excel")
def excel():  # type: ignore[no-untyped-def]
    edition = _edition()
    body = workbook_bytes(build_report(edition), _country_name(edition))
    return _download(body, XLSX, f"report-{edition.code}.xlsx")


@bp.get("/hours.csv")
def hours_csv():  # type: ignore[no-untyped-def]
    edition = _edition()
    body = ledger_csv(edition, _country_name(edition))
    return _download(body.encode("utf-8"), "text/csv; charset=utf-8", f"hours-{edition.code}.csv")


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
