"""The staff dashboard: cases per stage, adoptions against the plan, hours used against the caps."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from workflows.editions import get_edition, load_editions

from ..extensions import db
from ..models import Case, CaseCountry, EditionState, HoursEntry
from ..operations import lifecycle as lifecycle_ops
from ..operations.cases import intake_closed_reason
from ..operations.errors import Conflict, Invalid
from ..operations.lifecycle import edition_suspended_at, local_date
from ..operations.process import STAGE_ORDER
from ..permissions import ALL_CASES_ROLES, can_postpone_edition
from .cases import country_label

bp = Blueprint("dashboard", __name__)

FINAL_STAGES = ("completed", "rejected", "ineligible", "withdrawn", "cancelled")
CHART_WIDTH, LABEL_WIDTH, BAR_HEIGHT, ROW_GAP, VALUE_WIDTH = 640, 110, 22, 14, 150


@dataclass(frozen=True)
class HoursRow:
    country: str
    used: Decimal
    cap: Decimal
    cases: int


@bp.before_request
@login_required
def _staff_only():  # type: ignore[no-untyped-def]
    if current_user.role not in ALL_CASES_ROLES:
        abort(403)


def _edition_filter(column: Any) -> list[Any]:
    edition = request.args.get("edition")
    return [column == edition] if edition else []


def cases_per_stage() -> dict[str, int]:
    query = select(Case.stage, func.count(Case.id)).where(*_edition_filter(Case.edition)).group_by(Case.stage)
    return {stage: count for stage, count in db.session.execute(query)}


def adoptions() -> list[dict[str, Any]]:
    adopted = dict(db.session.execute(select(EditionState.edition, EditionState.adopted_count)).all())
    received = dict(db.session.execute(select(Case.edition, func.count(Case.id)).group_by(Case.edition)).all())
    rows = []
    for code, edition in sorted(load_editions().items()):
        rows.append(
            {
                "edition": edition,
                "received": received.get(code, 0),
                "adopted": adopted.get(code, 0),
                "planned": edition.planned_adoptions,
                "closed_reason": intake_closed_reason(edition),
                "postponed_since": local_date(edition_suspended_at(code), edition),
            }
        )
    return rows


def hours_per_country() -> list[HoursRow]:
    """Counted hours per country against the sum of the adopted cases' caps (each edition file's figure)."""
    counts = db.session.execute(
        select(Case.edition, CaseCountry.country, func.count(CaseCountry.id))
        .join(Case, Case.id == CaseCountry.case_id)
        .where(Case.adopted_at.is_not(None), *_edition_filter(Case.edition))
        .group_by(Case.edition, CaseCountry.country)
    ).all()
    cap_sums: dict[str, Decimal] = {}
    case_counts: dict[str, int] = {}
    for edition_code, country, count in counts:
        edition = get_edition(edition_code)
        cap = edition.hour_cap(country) if edition else Decimal(0)
        cap_sums[country] = cap_sums.get(country, Decimal(0)) + cap * count
        case_counts[country] = case_counts.get(country, 0) + count
    caps = [(country, cap_sums[country], case_counts[country]) for country in cap_sums]
    used = dict(
        db.session.execute(
            select(HoursEntry.country, func.sum(HoursEntry.hours))
            .join(Case, Case.id == HoursEntry.case_id)
            .where(HoursEntry.counted.is_(True), *_edition_filter(Case.edition))
            .group_by(HoursEntry.country)
        ).all()
    )
    return [
        HoursRow(country, Decimal(str(used.get(country) or 0)), Decimal(str(cap or 0)), count)
        for country, cap, count in sorted(caps)
    ]


def bar_chart(rows: list[HoursRow]) -> dict[str, Any]:
    """Geometry for the inline SVG chart: one bar per country, the used part over the cap."""
    track = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = []
    for index, row in enumerate(rows):
        share = float(row.used / row.cap) if row.cap else 0.0
        bars.append(
            {
                "row": row,
                "y": index * (BAR_HEIGHT + ROW_GAP),
                "used_width": round(track * min(share, 1.0), 1),
                "percent": round(share * 100),
            }
        )
    height = max(len(rows) * (BAR_HEIGHT + ROW_GAP), BAR_HEIGHT)
    return {"bars": bars, "width": CHART_WIDTH, "height": height, "track": track, "label_width": LABEL_WIDTH,
            "bar_height": BAR_HEIGHT}  # fmt: skip


@bp.get("/dashboard")
def index():  # type: ignore[no-untyped-def]
    return _page()


@bp.post("/dashboard/editions/<code>/<any(suspend, resume):action>")
def change_edition(code: str, action: str):  # type: ignore[no-untyped-def]
    """A lead postpones (suspends) or resumes a whole edition whose file allows it; a refusal shows the page again."""
    user = current_user._get_current_object()
    operation = lifecycle_ops.suspend_edition if action == "suspend" else lifecycle_ops.resume_edition
    try:
        change = operation(user, code, request.form.get("reason", ""))
    except (Invalid, Conflict) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _page(exc.status)
    code, count = change.edition.code, len(change.cases)
    if action == "suspend":
        flash(_("%(edition)sを延期しました（%(count)d件の案件を中断）。", edition=code, count=count), "success")
    else:
        flash(_("%(edition)sを再開しました（%(count)d件の案件を再開）。", edition=code, count=count), "success")
    return redirect(url_for(".index"))


def _page(status: int = 200) -> Any:
    stages = cases_per_stage()
    hours = hours_per_country()
    page = render_template(
        "dashboard/index.html",
        stage_rows=[(stage, stages.get(stage, 0)) for stage in (*STAGE_ORDER, *FINAL_STAGES)],
        total_cases=sum(stages.values()),
        adoptions=adoptions(),
        hours=hours,
        chart=bar_chart(hours),
        editions=sorted(load_editions()),
        country_label=country_label,
        may_postpone=can_postpone_edition(current_user),
    )
    return page, status
