"""Registering a received application (staff): the sealed application form arrives by email as PDF."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forms import TaskContext, build_form
from workflows.editions import Edition, load_editions

from ..extensions import db, reads_first
from ..idempotency import FORM_FIELD
from ..operations.cases import intake_closed_reason, register_application
from ..operations.errors import OperationError
from ..operations.prior_use import intake_notice, refusals_of
from ..permissions import can_register_application

bp = Blueprint("applications", __name__, url_prefix="/applications")


@bp.before_request
@login_required
def _staff_only():  # type: ignore[no-untyped-def]
    if not can_register_application(current_user):
        abort(403)


@bp.app_template_global()
def prior_use_refusals(case):  # type: ignore[no-untyped-def]
    """The regions left out of the case at registration under the prior-use rule, each with its reason."""
    return refusals_of(case)


def open_editions() -> dict[str, Edition]:
    """The editions taking applications today (announced, within their period, not postponed, places left)."""
    return {code: e for code, e in load_editions().items() if intake_closed_reason(e) is None}


def _form(offered: Mapping[str, Edition]):  # type: ignore[no-untyped-def]
    """The form over the editions offered; preselected: the open one (the latest announced, if several)."""
    default = max(offered.values(), key=lambda e: e.announced_on, default=None)
    return build_form("application", context=TaskContext(editions=offered, edition=default))


def _offer_only(form, offered: Mapping[str, Edition]) -> None:  # type: ignore[no-untyped-def]
    """After a refused post (checked against every edition, so a closed one or a country outside the edition gets
    its own message), the page again offers only the open editions, their countries and what was chosen."""
    chosen = set(form.countries.data or ())
    shown = {c.code for e in offered.values() for c in e.countries} | chosen
    form.edition.choices = [c for c in form.edition.choices if not choice_value(c) or choice_value(c) in offered]
    form.countries.choices = [c for c in form.countries.choices if choice_value(c) in shown]


def choice_value(choice: Any) -> str:
    """A choice's value, whether WTForms gives a SelectChoice or a (value, label) pair."""
    return str(getattr(choice, "value", None) if hasattr(choice, "value") else choice[0])


def edition_countries(offered: Mapping[str, Edition]) -> str:
    """{"FY2025": ["CN", "TH", ...]} for static/application-form.js, which shows only the chosen edition's
    countries (the server checks them again)."""
    return json.dumps({code: list(e.country_codes) for code, e in offered.items()}, separators=(",", ":"))


@bp.route("/new", methods=["GET", "POST"])
@reads_first
def new():  # type: ignore[no-untyped-def]
    offered = open_editions()
    form = _form(load_editions() if request.method == "POST" else offered)
    alert = None
    if form.validate_on_submit():
        try:
            case = register_application(current_user, form.to_task_data(), form.uploads())
        except OperationError as exc:
            db.session.rollback()
            alert = exc.message
            for name, messages in exc.errors.items():
                if name in form:
                    form[name].errors = list(messages)
        else:
            flash(
                _("申込書を登録しました（受付番号 %(number)s）。受領確認のタスクを作成しました。", number=case.number),
                "success",
            )
            notice = intake_notice(case)  # regions left out under the prior-use rule
            if notice:
                flash(notice, "warning")
            return redirect(url_for("cases.show", case_id=case.id))
    elif form.errors:
        alert = _("入力内容を確認してください。")
    _offer_only(form, offered)
    intake = {code: intake_closed_reason(edition) for code, edition in load_editions().items()}
    # one key per blank form: a double submit registers once; a corrected resubmission keeps its key
    key = request.form.get(FORM_FIELD) or secrets.token_urlsafe(16)
    page = render_template(
        "applications/new.html",
        form=form,
        alert=alert,
        intake=intake,
        idempotency_key=key,
        edition_countries=edition_countries(offered),
        nothing_open=not offered,
    )
    return page, 422 if alert else 200
