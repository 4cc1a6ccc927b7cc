"""Failed diagram steps, kept: when a completion or a timer fails in the diagram (ProcessRuntimeError), what the act
wrote is rolled back and only its error is stored — in a short transaction of its own, committed at once, so the
refusal that follows (a 422, or the next instance of `flask tick`) cannot take it back. The same failure of the
same case at the same element is stored once while open; repeats are counted on that row.

Designers and admins read them on the errors page (webapp/designer/repairs.py) and retry them."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage, MultiDict

from forms.fields import ListItem
from workflows.engine import ProcessRuntimeError
from workflows.evaluator import EvaluationError, Refusal

from ..extensions import begin_write, db
from ..models import Case, HumanTask, ProcessError, User, utcnow

log = logging.getLogger(__name__)

MESSAGE_MAX = 2000  # characters of the engine's message kept
DATA_MAX = 20_000  # characters of the submitted data kept (as JSON); larger data is left out (data_omitted)
NOT_DATA = {"csrf_token", "idempotency_key"}

TASK, TIMER = "task", "timer"


def open_key(case_id: int, element: str | None, message: str) -> str:
    return hashlib.sha256(f"{case_id}\n{element or ''}\n{message}".encode()).hexdigest()


def cause_of(exc: ProcessRuntimeError) -> dict[str, Any] | None:
    """The evaluator's refusal or error, as data the page words again in the reader's language."""
    cause = exc.cause
    if isinstance(cause, Refusal):
        return {"kind": "refusal", "code": cause.code, "detail": cause.detail, "line": cause.line}
    if isinstance(cause, EvaluationError):
        return {"kind": "evaluation", "code": cause.code, "detail": cause.detail}
    return None


def cause_exception(cause: dict[str, Any] | None) -> Exception | None:
    if not cause:
        return None
    if cause.get("kind") == "refusal":
        return Refusal(str(cause.get("code", "")), str(cause.get("detail", "")), cause.get("line"))
    if cause.get("kind") == "evaluation":
        return EvaluationError(str(cause.get("code", "")), str(cause.get("detail", "")))
    return None


def stored_data(formdata: MultiDict | None) -> tuple[str | None, bool]:
    """The posted form data as JSON (files by name only: they are not kept), and whether it was too large."""
    if formdata is None:
        return None, False
    fields: list[list[Any]] = []
    files: list[str] = []
    for name, value in formdata.items(multi=True):
        if name in NOT_DATA:
            continue
        if isinstance(value, FileStorage):
            if value.filename:
                files.append(name)
            continue
        fields.append([name, str(value), isinstance(value, ListItem)])
    text = json.dumps({"fields": fields, "files": files}, ensure_ascii=False)
    if len(text) > DATA_MAX:
        return None, True
    return text, False


def replayed_formdata(error: ProcessError) -> MultiDict:
    """The form data a retry posts again: what the failed completion posted (without its files)."""
    data = error.data or {}
    return MultiDict([(name, ListItem(value) if is_list else value) for name, value, is_list in data.get("fields", [])])


def record_failure(
    exc: ProcessRuntimeError,
    case_id: int,
    *,
    task_id: int | None = None,
    user: User | None = None,
    formdata: MultiDict | None = None,
    retrying: int | None = None,
) -> int | None:
    """Rolls back the failed act, stores its error (or counts a repeat) and commits; returns the error's id (None
    when the case itself was not stored yet: a seeding that writes cases and completes their tasks at once).

    `retrying`: the error a designer retried; failing again differently, it stays open with the new message."""
    user_id = user.id if user is not None else None  # read before the rollback expires it
    kind = TASK if task_id is not None else TIMER
    message = str(exc)[:MESSAGE_MAX]
    data_json, omitted = stored_data(formdata)
    log.warning("case %s: diagram step %s failed: %s", case_id, exc.element, message)
    for attempt in range(2):
        db.session.rollback()
        begin_write()
        if db.session.get(Case, case_id) is None:
            db.session.rollback()
            return None
        if task_id is not None and db.session.get(HumanTask, task_id) is None:
            task_id = None
        try:
            error_id = _store(case_id, kind, task_id, exc, message, data_json, omitted, user_id, retrying)
            db.session.commit()
            return error_id
        except IntegrityError:  # PostgreSQL: the same failure was stored meanwhile by another request
            if attempt:
                raise
    raise AssertionError("unreachable")


def _store(
    case_id: int,
    kind: str,
    task_id: int | None,
    exc: ProcessRuntimeError,
    message: str,
    data_json: str | None,
    omitted: bool,
    user_id: int | None,
    retrying: int | None,
) -> int:
    key = open_key(case_id, exc.element, message)
    now = utcnow()
    same = db.session.scalar(select(ProcessError).where(ProcessError.open_key == key))
    retried = db.session.get(ProcessError, retrying) if retrying is not None else None
    if retried is not None and retried.resolved_at is not None:
        retried = None
    if same is None and retried is not None:
        same = retried  # the retry failed differently: the same row, with what it says now
        same.element, same.message, same.open_key = exc.element, message, key
    if same is None:
        same = ProcessError(
            case_id=case_id, task_id=task_id, kind=kind, element=exc.element,
            message=message, first_at=now, repeats=0, open_key=key,
        )  # fmt: skip
        db.session.add(same)
    else:
        same.repeats += 1
    same.last_at = now
    same.cause_json = json.dumps(cause_of(exc), ensure_ascii=False) if exc.cause is not None else None
    if task_id is not None:
        same.task_id, same.user_id = task_id, user_id
        same.data_json, same.data_omitted = data_json, omitted  # the latest submission is what a retry posts
    db.session.flush()
    if retried is not None and retried is not same:  # failing again like another open error: one row for both
        resolve(retried, None, "merged", f"#{same.id}")
        db.session.flush()
    return same.id


def resolve(error: ProcessError, by: User | None, resolution: str, note: str | None = None) -> None:
    error.resolved_at, error.resolved_by_id = utcnow(), by.id if by is not None else None
    error.resolution, error.resolution_note, error.open_key = resolution, note, None


def resolve_open(
    case_id: int, by: User | None, resolution: str, *, task_id: int | None = None, kind: str | None = None
) -> int:
    """Closes the case's open errors (of one task, or of one kind) once what failed has gone through."""
    query = update(ProcessError).where(ProcessError.case_id == case_id, ProcessError.resolved_at.is_(None))
    if task_id is not None:
        query = query.where(ProcessError.task_id == task_id)
    if kind is not None:
        query = query.where(ProcessError.kind == kind)
    values = {
        "resolved_at": utcnow(),
        "resolved_by_id": by.id if by is not None else None,
        "resolution": resolution,
        "open_key": None,
    }
    result = db.session.execute(query.values(**values).execution_options(synchronize_session="fetch"))
    return int(result.rowcount)  # type: ignore[attr-defined]
