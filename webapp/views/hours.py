"""The hours ledger page: experts record their work; everyone who sees the case sees the ledger of the countries
permissions.ledger_countries lets them read (an expert: only their own)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from forms import ACTIVITY_KINDS, TaskContext, TaskForm, build_form
from forms.choices import LANGUAGES, localized
from forms.sessions import SESSION_AUDIENCES, SESSION_KINDS, SESSION_MODES
from workflows.editions import get_edition

from ..extensions import db
from ..idempotency import form_key
from ..labels import CLOSED_REASON_LABELS
from ..models import Case, HoursEntry, User, utcnow
from ..operations import hours as hours_ops
from ..operations import sessions as session_ops
from ..operations.errors import Conflict, Forbidden, Invalid, NotFound
from ..operations.hours import accounts_by_edition
from ..permissions import can_correct_entry, can_log_hours, can_open_case_pages, ledger_countries
from ..queries import find_case, ledger_entries, visible_hours
from . import form_render
from .cases import country_label, format_hours

bp = Blueprint("hours", __name__)
JST = ZoneInfo("Asia/Tokyo")


def loggable_countries(user: User, case: Case) -> tuple[str, ...]:
    """The countries the user may log for on this case (an expert's ∩ the case's)."""
    return tuple(code for code in case.country_codes if can_log_hours(user, case, code))


def entry_form(case: Case, countries: tuple[str, ...], *, posted: bool = True) -> TaskForm:
    context = TaskContext(edition=get_edition(case.edition), countries=countries)
    if posted and request.method == "POST":
        return build_form("hours_entry", context=context, formdata=request.form)
    today = utcnow().astimezone(JST).date()
    return build_form("hours_entry", context=context, data={"work_date": today})


def render_ledger(case: Case, form: TaskForm | None, status: int = 200):  # type: ignore[no-untyped-def]
    last_entry = db.session.scalar(select(func.max(HoursEntry.id)).where(HoursEntry.company_id == case.company_id))
    entries = ledger_entries(current_user, case)
    page = render_template(
        "hours/ledger.html",
        case=case,
        form=form,
        # the ledger as this page showed it: the same form sent twice (or from two tabs) records once
        idempotency_key=form_key("hours", case.id, last_entry or 0),
        hours=visible_hours(current_user, case),
        accounts=accounts_by_edition(case, ledger_countries(current_user, case)),
        entries=entries,
        reversed_ids={e.reverses_id for e in entries if e.reverses_id is not None},
        can_correct=lambda entry: can_correct_entry(current_user, entry),
        edition_name=_edition_name,
        activity_labels=dict(ACTIVITY_KINDS),
        country_label=country_label,
        CLOSED_REASON_LABELS=CLOSED_REASON_LABELS,
        reason_max=hours_ops.REASON_MAX,
    )
    return page, status


def _edition_name(code: str) -> str:
    edition = get_edition(code)
    return str(localized(edition.name_ja, edition.name_en)) if edition else code


def _case_and_countries(case_id: int) -> tuple[Case, tuple[str, ...]]:
    """The case (403/404 before anything is read from the post) and the countries this user logs for."""
    if not can_open_case_pages(current_user):
        abort(403)
    case = find_case(current_user, str(case_id))
    return case, loggable_countries(current_user, case)


def _refused(form: Any, exc: Invalid | Conflict) -> None:
    """An operation's refusal: nothing it wrote is kept, its messages go beside their fields and on top."""
    db.session.rollback()
    form_render.add_errors(form, exc.errors)
    flash(exc.message, "error")


@bp.route("/cases/<int:case_id>/hours", methods=["GET", "POST"])
@login_required
def ledger(case_id: int):  # type: ignore[no-untyped-def]
    case, countries = _case_and_countries(case_id)
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
        _refused(form, exc)
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


@bp.post("/cases/<int:case_id>/hours/<int:entry_id>/reverse")
@login_required
def reverse(case_id: int, entry_id: int):  # type: ignore[no-untyped-def]
    """The expert cancels one of their own entries by a reversal entry with a reason (the original stays)."""
    if not can_open_case_pages(current_user):
        abort(403)
    case = find_case(current_user, str(case_id))
    try:
        reversal = hours_ops.reverse_entry(current_user, case, entry_id, request.form.get("reason", ""))
    except (Invalid, Conflict, Forbidden, NotFound) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        countries = loggable_countries(current_user, case)
        return render_ledger(case, entry_form(case, countries, posted=False) if countries else None, exc.status)
    flash(
        _(
            "記録を取り消しました（%(hours)s時間を戻しました）。正しい内容があれば改めて記録してください。",
            hours=format_hours(-reversal.hours),
        ),
        "success",
    )
    return redirect(url_for(".ledger", case_id=case.id))


# ---------------------------------------------------------------- training sessions and consultations


def session_form(case: Case, countries: tuple[str, ...]) -> TaskForm:
    context = TaskContext(edition=get_edition(case.edition), countries=countries)
    if request.method == "POST":
        return build_form("service_session", context=context, formdata=request.form)
    return build_form("service_session", context=context, data={"held_on": utcnow().astimezone(JST).date()})


def render_sessions(case: Case, form: TaskForm | None, status: int = 200):  # type: ignore[no-untyped-def]
    count = len(session_ops.case_sessions(current_user, case))
    page = render_template(
        "hours/sessions.html",
        case=case,
        form=form,
        idempotency_key=form_key("sessions", case.id, count),
        sessions=session_ops.case_sessions(current_user, case),
        country_label=country_label,
        kind_labels=dict(SESSION_KINDS),
        mode_labels=dict(SESSION_MODES),
        audience_labels=dict(SESSION_AUDIENCES),
        language_labels=LANGUAGES,
    )
    return page, status


@bp.route("/cases/<int:case_id>/sessions", methods=["GET", "POST"])
@login_required
def sessions(case_id: int):  # type: ignore[no-untyped-def]
    case, countries = _case_and_countries(case_id)
    if request.method == "GET":
        return render_sessions(case, session_form(case, countries) if countries else None)
    if not countries:
        abort(403)
    form = session_form(case, countries)
    if not form.validate():
        flash(_("入力内容を確認してください。"), "error")
        return render_sessions(case, form, 422)
    try:
        _session, entry = session_ops.record_session(current_user, case, form.to_task_data())
    except (Invalid, Conflict) as exc:
        _refused(form, exc)
        return render_sessions(case, form, exc.status)
    flash(_("記録しました（作業時間に%(hours)s時間を記録しました）。", hours=format_hours(entry.hours)), "success")
    return redirect(url_for(".sessions", case_id=case.id))
