"""The errors page (designers and admins): failed diagram steps with their element, message and data; retry,
mark resolved; and a case's instance page with suspend, resume and terminate. Handlers load, check access and
call webapp/designer/repairs.py; the request commits (a failing retry keeps its error, committed on its own)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..converters import parse_id
from ..extensions import db, reads_first
from ..idempotency import form_key
from ..labels import STAGE_LABELS, STATUS_LABELS
from ..models import Case
from ..operations.errors import OperationError
from ..operations.lifecycle import INSTANCE_ACTIONS
from ..permissions import can_repair_instances
from . import repairs
from .routes import ActionForm

bp = Blueprint("repairs", __name__, url_prefix="/process/errors", template_folder="templates")

RESOLUTION_LABELS = {
    "retried": _l("再実行で解決"),
    "completed": _l("タスクの完了で解決"),
    "fired": _l("タイマーの発火で解決"),
    "ended": _l("案件の終了"),
    "marked": _l("解決済みにした"),
    "merged": _l("同じエラーに統合"),
}

CONTROL_DONE = {
    "suspend": _l("案件を中断しました。再開するまで、タスクの担当・完了はできず、タイマーも止まります。"),
    "resume": _l("案件を再開しました。期限とタイマーは中断していた期間だけ後ろにずれます。"),
    "terminate": _l("案件のプロセスを終了しました（企業への通知は送っていません）。"),
}


@bp.before_request
@login_required
def _designers_only():  # type: ignore[no-untyped-def]
    if not can_repair_instances(current_user):
        abort(403)


def _back(case_id: int | None = None):  # type: ignore[no-untyped-def]
    if case_id is not None and request.form.get("back") == "case":
        return redirect(url_for(".case", case_id=case_id))
    return redirect(url_for(".index"))


def _found(load, *args):  # type: ignore[no-untyped-def]
    try:
        return load(*args)
    except OperationError:
        abort(404)


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    return render_template(
        "designer/errors.html", errors=repairs.open_errors(), resolved=repairs.resolved_errors(),
        reason=repairs.reason, form=ActionForm(), statuses=STATUS_LABELS, resolutions=RESOLUTION_LABELS,
    )  # fmt: skip


@bp.post("/<int:error_id>/retry")
@reads_first  # the step runs in the engine before the write lock is taken, as any completion
def retry(error_id: int):  # type: ignore[no-untyped-def]
    error = _found(repairs.get_error, error_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    case_id = error.case_id
    try:
        result = repairs.retry(current_user, error, _corrections())
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(case_id)
    flash(result.message, "success" if result.resolved else "error")
    return _back(case_id)


def _corrections() -> dict[int, str]:
    """The data fields the designer corrected before retrying (`value-<n>`: the n-th stored field)."""
    found = {}
    for name, value in request.form.items():
        number = parse_id(name.removeprefix("value-")) if name.startswith("value-") else None
        if number is not None:  # numbered from 1 on the page
            found[number - 1] = value
    return found


@bp.post("/<int:error_id>/resolve")
def resolve(error_id: int):  # type: ignore[no-untyped-def]
    error = _found(repairs.get_error, error_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    case_id = error.case_id
    try:
        repairs.mark_resolved(current_user, error, request.form.get("note", ""))
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(case_id)
    flash(_("エラーを解決済みにしました。"), "success")
    return _back(case_id)


@bp.get("/cases/<int:case_id>")
def case(case_id: int):  # type: ignore[no-untyped-def]
    """One case's instance: where it is, its errors, and the controls."""
    return _case_page(_found(repairs.get_case, case_id))


def _case_page(found: Case, status: int = 200):  # type: ignore[no-untyped-def]
    page = render_template(
        "designer/instance.html", case=found, instance=repairs.instance_of(found), tasks=repairs.open_tasks(found),
        errors=repairs.case_errors(found), controls=repairs.controls(current_user, found), reason=repairs.reason,
        form=ActionForm(), statuses=STATUS_LABELS, stages=STAGE_LABELS, keys=_control_keys(found),
        resolutions=RESOLUTION_LABELS,
    )  # fmt: skip
    return page, status


def _control_keys(case: Case) -> dict[str, str]:
    """Each control's form key, from what the page showed: a double submit acts once."""
    since = case.suspended_at.isoformat() if case.suspended_at else ""
    return {action: form_key("instance", case.id, action, case.status, since) for action in INSTANCE_ACTIONS}


@bp.post("/cases/<int:case_id>/<any(suspend, resume, terminate):action>")
def control(case_id: int, action: str):  # type: ignore[no-untyped-def]
    found = _found(repairs.get_case, case_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        repairs.control(current_user, found, action, request.form.get("reason", ""))
    except OperationError as exc:  # the page again, with a refusal's status (a key is kept only for a success)
        db.session.rollback()
        flash(exc.message, "error")
        return _case_page(_found(repairs.get_case, case_id), exc.status)
    flash(str(CONTROL_DONE[action]), "success")
    return redirect(url_for(".case", case_id=case_id))
