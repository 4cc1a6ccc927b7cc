"""Registering a received application (staff): the sealed application form arrives by email as PDF."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forms import TaskContext, build_form
from workflows.editions import load_editions

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


def _form():  # type: ignore[no-untyped-def]
    return build_form("application", context=TaskContext(editions=load_editions()))


@bp.route("/new", methods=["GET", "POST"])
@reads_first
def new():  # type: ignore[no-untyped-def]
    form = _form()
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
    intake = {code: intake_closed_reason(edition) for code, edition in load_editions().items()}
    # one key per blank form: a double submit registers once; a corrected resubmission keeps its key
    key = request.form.get(FORM_FIELD) or secrets.token_urlsafe(16)
    page = render_template("applications/new.html", form=form, alert=alert, intake=intake, idempotency_key=key)
    return page, 422 if alert else 200
