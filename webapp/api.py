"""JSON API under /api/v1 (bearer token), over the same operations and form classes as the pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from forms import TaskContext, build_form, describe_form
from workflows.editions import load_editions

from .extensions import db, reads_first
from .models import User
from .operations import cases as case_ops
from .operations import hours as hours_ops
from .operations import tasks as task_ops
from .operations.errors import Forbidden, Invalid, NotFound, OperationError
from .queries import case_detail, edition_summary, find_case, inbox_query, task_json

api = Blueprint("api", __name__, url_prefix="/api/v1")


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
    return jsonify(error=exc.description), exc.code


def to_multidict(payload: Any, prefix: str = "") -> MultiDict:
    """JSON body -> form data, so the API validates with exactly the page's WTForms classes."""
    items: list[tuple[str, Any]] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{key}-{k}" if key else k)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, v in enumerate(value):
                walk(v, f"{key}-{i}")
        elif isinstance(value, list):
            items.extend((key, _scalar(v)) for v in value)
        elif value is not None and value is not False:
            items.append((key, _scalar(value)))

    walk(payload or {}, prefix)
    return MultiDict(items)


def _scalar(value: Any) -> str:
    return "y" if value is True else str(value)


def _formdata() -> MultiDict:
    if request.is_json:
        return to_multidict(request.get_json(silent=True))
    data: MultiDict = MultiDict(request.form)
    data.update(request.files)
    return data


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@api.get("/editions")
def editions():  # type: ignore[no-untyped-def]
    return jsonify([edition_summary(e) for e in load_editions().values()])


@api.post("/applications")
@reads_first
def create_application():  # type: ignore[no-untyped-def]
    form = build_form("application", context=TaskContext(editions=load_editions()), formdata=_formdata(), csrf=False)
    if not form.validate():
        raise Invalid(_("入力内容を確認してください。"), {k: [str(e) for e in v] for k, v in form.errors.items()})
    case = case_ops.register_application(_user(), form.to_task_data(), form.uploads())
    return jsonify(case_detail(_user(), case)), 201


@api.get("/tasks")
def list_tasks():  # type: ignore[no-untyped-def]
    args = request.args
    page = _positive_int(args, "page", 1)
    per_page = min(_positive_int(args, "per_page", 50), 200)
    query, total = inbox_query(_user(), args, page=page, per_page=per_page)
    return jsonify(total=total, page=page, per_page=per_page, tasks=[task_json(t) for t in query])


def _positive_int(args: Any, name: str, default: int) -> int:
    value = args.get(name, str(default))
    if not value.isdigit() or int(value) < 1:
        message = _("%(name)s は1以上の整数で指定してください。", name=name)
        raise Invalid(message, {name: [message]})
    return int(value)


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
    from sqlalchemy import select

    username = (request.get_json(silent=True) or {}).get("assignee", "")
    assignee = db.session.scalar(select(User).where(User.username == username))
    if assignee is None:
        raise Invalid(_("担当者が見つかりません。"), {"assignee": [_("担当者のユーザー名を指定してください。")]})
    return jsonify(task_json(task_ops.reassign(_user(), task_id, assignee)))


@api.post("/tasks/<int:task_id>/complete")
@reads_first
def complete_task(task_id: int):  # type: ignore[no-untyped-def]
    task = task_ops.complete(_user(), task_id, _formdata(), csrf=False)
    return jsonify(task_json(task))


@api.get("/cases/<case_ref>")
def show_case(case_ref: str):  # type: ignore[no-untyped-def]
    return jsonify(case_detail(_user(), find_case(_user(), case_ref)))


@api.post("/cases/<case_ref>/hours")
def add_hours(case_ref: str):  # type: ignore[no-untyped-def]
    case = find_case(_user(), case_ref)
    context = TaskContext(countries=tuple(case.country_codes))
    form = build_form("hours_entry", context=context, formdata=_formdata(), csrf=False)
    if not form.validate():
        raise Invalid(_("入力内容を確認してください。"), {k: [str(e) for e in v] for k, v in form.errors.items()})
    entry = hours_ops.add_entry(_user(), case, form.to_task_data())
    summary = next(h for h in hours_ops.hours_summary(case) if h.country == entry.country)
    return jsonify(
        id=entry.id,
        country=entry.country,
        hours=float(entry.hours),
        counted=entry.counted,
        used=float(summary.used),
        cap=float(summary.cap),
        remaining=float(summary.remaining),
    ), 201


__all__ = ["api", "to_multidict", "Forbidden", "NotFound"]
