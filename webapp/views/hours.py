"""The hours ledger page: experts record their work; everyone who sees the case sees the ledger of the countries
permissions.ledger_countries lets them read (an expert: only their own)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from forms import ACTIVITY_KINDS, TaskContext, TaskForm, build_form
from workflows.editions import get_edition

from ..extensions import db
from ..idempotency import form_key
from ..labels import CLOSED_REASON_LABELS
from ..models import Case, HoursEntry, User, utcnow
from ..operations import hours as hours_ops
from ..operations.errors import Conflict, Invalid
from ..permissions import can_log_hours, can_open_case_pages, ledger_countries
from ..queries import find_case, visible_hours
from .cases import country_label, format_hours

bp = Blueprint("hours", __name__)
JST = ZoneInfo("Asia/Tokyo")


def loggable_countries(user: User, case: Case) -> tuple[str, ...]:
    """The countries the user may log for on this case (an expert's ∩ the case's)."""
    return tuple(code for code in case.country_codes if can_log_hours(user, case, code))


def entry_form(case: Case, countries: tuple[str, ...]) -> TaskForm:
    context = TaskContext(edition=get_edition(case.edition), countries=countries)
    if request.method == "POST":
        return build_form("hours_entry", context=context, formdata=request.form)
    today = utcnow().astimezone(JST).date()
    return build_form("hours_entry", context=context, data={"work_date": today})


def ledger_entries(user: User, case: Case) -> list[HoursEntry]:
    """The company's entries for the case's countries the user may read (the cap is per company and country)."""
    query = (
        select(HoursEntry)
        .where(HoursEntry.company_id == case.company_id, HoursEntry.country.in_(ledger_countries(user, case)))
        .options(selectinload(HoursEntry.expert))
        .order_by(HoursEntry.work_date.desc(), HoursEntry.id.desc())
    )
    return list(db.session.scalars(query))


def render_ledger(case: Case, form: TaskForm | None, status: int = 200):  # type: ignore[no-untyped-def]
    last_entry = db.session.scalar(select(func.max(HoursEntry.id)).where(HoursEntry.company_id == case.company_id))
    page = render_template(
        "hours/ledger.html",
        case=case,
        form=form,
        # the ledger as this page showed it: the same form sent twice (or from two tabs) records once
        idempotency_key=form_key("hours", case.id, last_entry or 0),
        hours=visible_hours(current_user, case),
        entries=ledger_entries(current_user, case),
        activity_labels=dict(ACTIVITY_KINDS),
        country_label=country_label,
        CLOSED_REASON_LABELS=CLOSED_REASON_LABELS,
    )
    return page, status


@bp.route("/cases/<int:case_id>/hours", methods=["GET", "POST"])
@login_required
def ledger(case_id: int):  # type: ignore[no-untyped-def]
    if not can_open_case_pages(current_user):
        abort(403)
    case = find_case(current_user, str(case_id))
    countries = loggable_countries(current_user, case)
    if request.method == "GET":
        return render_ledger(case, entry_form(case, countries) if countries else None)
    if not countries:
        abort(403)
    form = entry_form(case, countries)
    if not form.validate():
        flash(_("入力内容を確認してください。"), "error")
        return render_ledger(case, form, 422)
    try:
        entry = hours_ops.add_entry(current_user, case, form.to_task_data())
    except (Invalid, Conflict) as exc:
        db.session.rollback()
        for name, messages in exc.errors.items():
            if name in form:
                form[name].errors = [*form[name].errors, *messages]
        flash(exc.message, "error")
        return render_ledger(case, form, exc.status)
    remaining = next(h.remaining for h in hours_ops.hours_summary(case) if h.country == entry.country)
    flash(
        _(
            "%(hours)s時間を記録しました（%(country)s：残り%(remaining)s時間）。",
            hours=format_hours(entry.hours),
            country=country_label(case.edition, entry.country),
            remaining=format_hours(remaining),
        ),
        "success",
    )
    return redirect(url_for(".ledger", case_id=case.id))
