"""JSON API under /api/v1 (bearer token), over the same operations and form classes as the pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from forms import TaskContext, build_form, describe_form
from forms.staff import OriginalApplicationForm
from workflows.editions import get_edition, load_editions

from . import converters
from .api_input import formdata, json_body, json_text, query_int, task_list_args, to_multidict
from .extensions import db, reads_first
from .models import User
from .operations import cases as case_ops
from .operations import decisions as decision_ops
from .operations import hours as hours_ops
from .operations import lifecycle as lifecycle_ops
from .operations import original as original_ops
from .operations import sessions as session_ops
from .operations import tasks as task_ops
from .operations.errors import Forbidden, Invalid, NotFound, OperationError
from .operations.prior_use import intake_notice
from .permissions import can_log_hours, can_reassign
from .queries import case_detail, edition_summary, find_case, inbox_query, ledger_detail, session_json, task_json

api = Blueprint("api", __name__, url_prefix="/api/v1")
# Before the routes below are added: bounded ids in every `<int:…>` (see converters.py).
api.record_once(lambda state: converters.init_app(state.app))

# Werkzeug's own refusals inside a view (an unreadable multipart body, one over MAX_CONTENT_LENGTH) in Japanese.
HTTP_MESSAGES = {
    400: _l("リクエストを読み取れません。送信内容を確認してください。"),
    413: _l("送信内容が大きすぎます。"),
}


@api.before_request
def _require_token():  # type: ignore[no-untyped-def]
    if not current_user.is_authenticated:
        response = jsonify(error=_("APIトークンが必要です（Authorization: Bearer <token>）。"))
        response.status_code = 401
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    return None


@api.errorhandler(OperationError)
def _operation_error(exc: OperationError):  # type: ignore[no-untyped-def]
    db.session.rollback()
    body: dict[str, Any] = {"error": exc.message}
    if exc.errors:
        body["errors"] = exc.errors
    return jsonify(body), exc.status


@api.errorhandler(HTTPException)
def _http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
    message = HTTP_MESSAGES.get(exc.code or 500) or _l("リクエストを処理できませんでした（%(code)s）。", code=exc.code)
    return jsonify(error=str(message)), exc.code


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@api.get("/editions")
def editions():  # type: ignore[no-untyped-def]
    return jsonify([edition_summary(e) for e in load_editions().values()])


@api.post("/applications")
@reads_first
def create_application():  # type: ignore[no-untyped-def]
    case_ops.require_registrar(_user())  # who may, before what they sent
    form = build_form("application", context=TaskContext(editions=load_editions()), formdata=formdata(), csrf=False)
    if not form.validate():
        raise Invalid(_("入力内容を確認してください。"), {k: [str(e) for e in v] for k, v in form.errors.items()})
    case = case_ops.register_application(_user(), form.to_task_data(), form.uploads())
    body = case_detail(_user(), case)
    notice = intake_notice(case)  # regions left out under the prior-use rule
    if notice:
        body["notice"] = notice
    return jsonify(body), 201


@api.get("/tasks")
def list_tasks():  # type: ignore[no-untyped-def]
    page = query_int(request.args, "page", 1)
    per_page = min(query_int(request.args, "per_page", 50), 200)
    query, total = inbox_query(_user(), task_list_args(request.args), page=page, per_page=per_page)
    return jsonify(
        total=total, total_capped=total.capped, page=page, per_page=per_page, tasks=[task_json(t) for t in query]
    )


@api.get("/tasks/<int:task_id>")
def show_task(task_id: int):  # type: ignore[no-untyped-def]
    task = task_ops.get_task(_user(), task_id)
    body = task_json(task)
    body["fields"] = describe_form(task.form_key, task_ops.task_context(task)) if task.status == "open" else []
    return jsonify(body)


@api.post("/tasks/<int:task_id>/claim")
def claim_task(task_id: int):  # type: ignore[no-untyped-def]
    return jsonify(task_json(task_ops.claim(_user(), task_id)))


@api.post("/tasks/<int:task_id>/unclaim")
def unclaim_task(task_id: int):  # type: ignore[no-untyped-def]
    return jsonify(task_json(task_ops.unclaim(_user(), task_id)))


@api.post("/tasks/<int:task_id>/reassign")
def reassign_task(task_id: int):  # type: ignore[no-untyped-def]
    task_ops.get_task(_user(), task_id)  # 404, then 403, before the body is looked at
    if not can_reassign(_user()):
        raise Forbidden(_("担当の割り当てができるのはジェトロのリーダーのみです。"))
    username = json_text(json_body(), "assignee")
    if username is None:
        raise Invalid(_("入力内容を確認してください。"), {"assignee": [_("担当者のユーザー名を指定してください。")]})
    assignee = db.session.scalar(select(User).where(User.username == username))
    if assignee is None:
        raise Invalid(_("担当者が見つかりません。"), {"assignee": [_("担当者のユーザー名を指定してください。")]})
    return jsonify(task_json(task_ops.reassign(_user(), task_id, assignee)))


@api.post("/tasks/<int:task_id>/takeover")
def take_over_task(task_id: int):  # type: ignore[no-untyped-def]
    task_ops.get_task(_user(), task_id)  # 404 before the body is looked at
    reason = json_text(json_body(), "reason") or ""
    return jsonify(task_json(task_ops.take_over(_user(), task_id, reason)))


@api.post("/tasks/<int:task_id>/complete")
@reads_first
def complete_task(task_id: int):  # type: ignore[no-untyped-def]
    task = task_ops.complete(_user(), task_id, formdata(), csrf=False)
    return jsonify(task_json(task))


@api.get("/cases/<case_ref>")
def show_case(case_ref: str):  # type: ignore[no-untyped-def]
    return jsonify(case_detail(_user(), find_case(_user(), case_ref)))


@api.post("/cases/<case_ref>/hours")
def add_hours(case_ref: str):  # type: ignore[no-untyped-def]
    case = find_case(_user(), case_ref)
    if not any(can_log_hours(_user(), case, code) for code in case.country_codes):  # who may, before what they sent
        raise Forbidden(_("この国の時間を記録できるのは担当の現地専門家のみです。"))
    context = TaskContext(countries=tuple(case.country_codes))
    form = build_form("hours_entry", context=context, formdata=formdata(), csrf=False)
    if not form.validate():
        raise Invalid(_("入力内容を確認してください。"), {k: [str(e) for e in v] for k, v in form.errors.items()})
    entry = hours_ops.add_entry(_user(), case, form.to_task_data())
    return _entry_answer(case, entry), 201


@api.get("/cases/<case_ref>/hours")
def show_ledger(case_ref: str):  # type: ignore[no-untyped-def]
    """The ledger grouped by edition: accounts (cap, used net of reversals, remaining) and entries."""
    return jsonify(ledger_detail(_user(), find_case(_user(), case_ref)))


@api.post("/cases/<case_ref>/hours/<int:entry_id>/reverse")
def reverse_hours(case_ref: str, entry_id: int):  # type: ignore[no-untyped-def]
    """The expert cancels their own entry by a reversal entry, with {"reason": "..."}."""
    case = find_case(_user(), case_ref)
    reversal = hours_ops.reverse_entry(_user(), case, entry_id, _reason())
    return _entry_answer(case, reversal, reverses=entry_id), 201


@api.get("/cases/<case_ref>/sessions")
def list_sessions(case_ref: str):  # type: ignore[no-untyped-def]
    """Training sessions and consultations delivered, for the countries whose ledger the user may read."""
    case = find_case(_user(), case_ref)
    return jsonify(sessions=[session_json(s) for s in session_ops.case_sessions(_user(), case)])


@api.post("/cases/<case_ref>/sessions")
def add_session(case_ref: str):  # type: ignore[no-untyped-def]
    """The expert records a training session (B) or a consultation (A); its hours go to the ledger."""
    case = find_case(_user(), case_ref)
    if not any(can_log_hours(_user(), case, code) for code in case.country_codes):  # who may, before what they sent
        raise Forbidden(_("この国の時間を記録できるのは担当の現地専門家のみです。"))
    context = TaskContext(edition=get_edition(case.edition), countries=tuple(case.country_codes))
    form = build_form("service_session", context=context, formdata=formdata(), csrf=False)
    if not form.validate():
        raise Invalid(_("入力内容を確認してください。"), {k: [str(e) for e in v] for k, v in form.errors.items()})
    session, entry = session_ops.record_session(_user(), case, form.to_task_data())
    return jsonify(session=session_json(session), hours=_entry_answer(case, entry).get_json()), 201


@api.post("/cases/<case_ref>/hours/<int:entry_id>/correct")
def correct_hours(case_ref: str, entry_id: int):  # type: ignore[no-untyped-def]
    """The expert corrects their own entry: its reversal with {"reason": ...} and the corrected entry (the fields of
    POST /cases/<ref>/hours), together or not at all."""
    case = find_case(_user(), case_ref)
    if not any(can_log_hours(_user(), case, code) for code in case.country_codes):  # who may, before what they sent
        raise Forbidden(_("この国の時間を記録できるのは担当の現地専門家のみです。"))
    context = TaskContext(countries=tuple(case.country_codes))
    form = build_form("hours_entry", context=context, formdata=formdata(), csrf=False)
    if not form.validate():
        raise Invalid(_("入力内容を確認してください。"), {k: [str(e) for e in v] for k, v in form.errors.items()})
    entry = hours_ops.correct_entry(_user(), case, entry_id, _reason(), form.to_task_data())
    return _entry_answer(case, entry, corrects=entry_id), 201


def _entry_answer(case: Any, entry: Any, **extra: Any) -> Any:
    summary = next(h for h in hours_ops.hours_summary(case) if h.country == entry.country)
    return jsonify(
        id=entry.id,
        country=entry.country,
        edition=entry.edition,
        hours=float(entry.hours),
        counted=entry.counted,
        used=float(summary.used),
        cap=float(summary.cap),
        remaining=float(summary.remaining),
        follow_up_reserved=float(summary.reserved),
        **extra,
    )


# ---------------------------------------------------------------- withdrawal, suspension, cancellation


def _reason() -> str:
    return json_text(json_body(), "reason") or ""


@api.post("/cases/<case_ref>/<any(withdraw, suspend, resume, cancel):action>")
def change_case(case_ref: str, action: str):  # type: ignore[no-untyped-def]
    """辞退 (the company or staff), 中断・再開 and 中止 (staff), each with {"reason": "..."}."""
    case = find_case(_user(), case_ref)
    lifecycle_ops.require_may(action, _user(), case)  # who may, before what they sent
    operation = lifecycle_ops.OPERATIONS[action]
    return jsonify(case_detail(_user(), operation(_user(), case, _reason())))


@api.post("/cases/<case_ref>/set-aside")
def set_aside(case_ref: str):  # type: ignore[no-untyped-def]
    """A lead takes a blocking case out of the order of receipt, with {"reason": "..."}."""
    case = find_case(_user(), case_ref)
    return jsonify(case_detail(_user(), task_ops.set_aside_in_order(_user(), case, _reason())))


@api.post("/cases/<case_ref>/reopen-decision")
def reopen_decision(case_ref: str):  # type: ignore[no-untyped-def]
    """A lead takes back the adoption decision (adopted or rejected) with {"reason": "..."}: it is open again."""
    case = find_case(_user(), case_ref)
    decision_ops.require_may_reopen(_user())
    return jsonify(case_detail(_user(), decision_ops.reopen_decision(_user(), case, _reason())))


@api.post("/cases/<case_ref>/original")
def record_original(case_ref: str):  # type: ignore[no-untyped-def]
    """FY2021: when the company sent the signed original and when it arrived, {"sent_on", "received_on"}."""
    case = find_case(_user(), case_ref)
    original_ops.require_may_record_original(_user(), case)
    form = OriginalApplicationForm(formdata=formdata())
    if not form.validate():
        raise Invalid(_("入力内容を確認してください。"), {k: [str(e) for e in v] for k, v in form.errors.items()})
    recorded = original_ops.record_original(_user(), case, form.sent_on.data, form.received_on.data)
    return jsonify(case_detail(_user(), recorded))


@api.post("/editions/<code>/<any(suspend, resume):action>")
def change_edition(code: str, action: str):  # type: ignore[no-untyped-def]
    """A lead postpones (suspends) or resumes every case of an edition whose file says may_be_postponed."""
    lifecycle_ops.get_postponable_edition(_user(), code)  # 404, then 403, before the body is looked at
    operation = lifecycle_ops.suspend_edition if action == "suspend" else lifecycle_ops.resume_edition
    change = operation(_user(), code, _reason())
    return jsonify(edition=edition_summary(change.edition), cases=[c.number for c in change.cases])


__all__ = ["api", "to_multidict", "Forbidden", "NotFound"]
