"""Failed diagram steps, for designers: the open errors, a retry of each once the diagram (deploy + move the case)
or the data is fixed, "resolved" with a note, and the instance controls (suspend, resume, terminate: the engine
operations of webapp/operations/lifecycle.py with a designer's permission).

A task error is retried by completing the task again with the data its user posted, as that user (their rules
apply), the designer named in the history as acting on their behalf; a timer error by firing the case's due timers
again. Both run the engine before taking the write lock, like any completion (the route is `reads_first`)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..diagram_messages import describe_stored_error
from ..extensions import db, lock_for_write
from ..models import Case, HumanTask, ProcessError, ProcessInstance, TaskStatus, User, utcnow
from ..operations import lifecycle
from ..operations import tasks as task_ops
from ..operations.audit import record
from ..operations.errors import Conflict, Forbidden, Invalid, NotFound, StepFailed
from ..operations.process import INSTANCE_SUSPENDED
from ..operations.process_errors import TASK, replayed_formdata, resolve
from ..operations.timers import fire
from ..permissions import can_repair_instances

NOTE_MAX = 500
RECENTLY_RESOLVED = 20

_WITH_CASE = (
    joinedload(ProcessError.case).joinedload(Case.company),
    joinedload(ProcessError.task),
    joinedload(ProcessError.user),
    joinedload(ProcessError.resolved_by),
)


@dataclass(frozen=True)
class RetryResult:
    resolved: bool
    message: str


def require_may_repair(user: User) -> None:
    if not can_repair_instances(user):
        raise Forbidden(_("プロセスのエラーを扱えるのはプロセス設計者と管理者のみです。"))


def open_errors() -> list[ProcessError]:
    """Newest first (by the last time it failed)."""
    query = select(ProcessError).where(ProcessError.resolved_at.is_(None)).options(*_WITH_CASE)
    return list(db.session.scalars(query.order_by(ProcessError.last_at.desc(), ProcessError.id.desc())))


def resolved_errors(limit: int = RECENTLY_RESOLVED) -> list[ProcessError]:
    query = select(ProcessError).where(ProcessError.resolved_at.is_not(None)).options(*_WITH_CASE)
    return list(
        db.session.scalars(query.order_by(ProcessError.resolved_at.desc(), ProcessError.id.desc()).limit(limit))
    )


def case_errors(case: Case) -> list[ProcessError]:
    query = select(ProcessError).where(ProcessError.case_id == case.id).options(*_WITH_CASE)
    return list(db.session.scalars(query.order_by(ProcessError.last_at.desc(), ProcessError.id.desc())))


def get_error(error_id: int) -> ProcessError:
    error = db.session.get(ProcessError, error_id, options=_WITH_CASE)
    if error is None:
        raise NotFound(_("エラーが見つかりません。"))
    return error


def get_case(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound(_("案件が見つかりません。"))
    return case


def instance_of(case: Case) -> ProcessInstance | None:
    query = select(ProcessInstance).where(ProcessInstance.case_id == case.id)
    return db.session.scalars(query.options(joinedload(ProcessInstance.process_version))).first()


def open_tasks(case: Case) -> list[HumanTask]:
    query = select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.status == TaskStatus.OPEN.value)
    return list(db.session.scalars(query.order_by(HumanTask.id)))


def reason(error: ProcessError) -> str:
    """Why the step failed, in the reader's language."""
    return describe_stored_error(error.cause, error.message)


def _require_open(error: ProcessError) -> None:
    if error.resolved_at is not None:
        raise Conflict(_("このエラーは既に解決済みです。"))


# ---------------------------------------------------------------- retrying


def retry(user: User, error: ProcessError, corrections: dict[int, str] | None = None) -> RetryResult:
    """Runs the failed step again. Success resolves the error; a failure of the step keeps it open with what it
    says now (stored and committed by the step's own failure handling); any other refusal changes nothing.

    `corrections` (a task error): field index -> value, the designer's correction of the data posted again
    (the history keeps each value before and after)."""
    require_may_repair(user)
    _require_open(error)
    if error.kind == TASK:
        return _retry_task(user, error, corrections or {})
    return _retry_timer(user, error)


def corrected(error: ProcessError, corrections: dict[int, str]) -> tuple[ProcessError, list[dict[str, str]]]:
    """The error with its data corrected (not stored: a failing retry stores what it posted), and the changes."""
    data = error.data or {"fields": [], "files": []}
    changes = []
    for index, value in sorted(corrections.items()):
        if 0 <= index < len(data["fields"]) and data["fields"][index][1] != value:
            name, before, _is_list = data["fields"][index]
            changes.append({"field": name, "before": before, "after": value})
            data["fields"][index][1] = value
    replay = ProcessError(data_json=json.dumps(data, ensure_ascii=False))
    return replay, changes


def _retry_task(user: User, error: ProcessError, corrections: dict[int, str]) -> RetryResult:
    task, submitter = error.task, error.user
    if task is None or submitter is None:
        raise Conflict(_("このエラーには再実行できるタスクの記録がありません。解決済みにしてください。"))
    if task.status != TaskStatus.OPEN.value:
        raise Conflict(
            _("タスク「%(task)s」は既に開いていません（完了・取り消し）。解決済みにしてください。", task=task.title)
        )
    data = error.data
    if error.data_omitted or data is None:
        raise Conflict(
            _(
                "送信されたデータが大きすぎて保存されていないため、再実行できません。担当者にタスクの完了を"
                "やり直してもらい、解決済みにしてください。"
            )
        )
    if data.get("files"):
        raise Conflict(
            _(
                "添付ファイル付きの完了は再実行できません（ファイルは保存していません）。担当者にタスクの完了を"
                "やり直してもらってください。成功すると、このエラーは解決済みになります。"
            )
        )
    error_id, element, task_id, title, for_name = error.id, error.element, task.id, task.title, submitter.username
    replay, changes = corrected(error, corrections)
    formdata = replayed_formdata(replay)
    try:
        done = task_ops.complete(user, task_id, formdata, csrf=False, for_user=submitter, retrying=error_id)
    except StepFailed as exc:
        return RetryResult(False, exc.message)
    # (complete() resolved the task's open errors, this one with them)
    before = {c["field"]: c["before"] for c in changes} if changes else None
    after = {"error": error_id, "for": for_name, "corrected": {c["field"]: c["after"] for c in changes}}
    record(user, done.case, "process_error_retried", detail=f"{element or '?'}：{title}", before=before, after=after)
    return RetryResult(True, _("再実行しました。タスク「%(task)s」が完了し、案件は先に進みました。", task=title))


def _retry_timer(user: User, error: ProcessError) -> RetryResult:
    case = error.case
    row = instance_of(case)
    if row is None:
        raise Conflict(_("この案件にはプロセスのインスタンスがありません。"))
    error_id, element = error.id, error.element
    if row.status != INSTANCE_SUSPENDED:
        _require_due_timer(row)
    result = fire(row.id, retrying=error_id)
    if result.suspended:
        raise Conflict(_("この案件は中断中のため、タイマーは発火しません。再開してから再実行してください。"))
    if result.error_id is not None:
        failed = get_error(result.error_id)
        return RetryResult(False, _("再実行しましたが、%(element)s で再び止まりました：%(reason)s",
                                    element=failed.element or "?", reason=reason(failed)))  # fmt: skip
    if not result.fired:
        raise Conflict(_("この案件は他の処理が同時に更新しました。もう一度お試しください。"))
    lock_for_write()
    error = get_error(error_id)
    if error.resolved_at is None:
        resolve(error, user, "retried")
    record(user, case, "process_error_retried", detail=element or "?", after={"error": error_id})
    return RetryResult(True, _("再実行しました。期限の来たタイマーが発火し、案件は先に進みました。"))


def _require_due_timer(row: ProcessInstance) -> None:
    """A timer error is retried by firing the due timers: with none due, nothing would run (a move to another
    version restarts the waiting timers, say); the error then resolves itself when that timer fires."""
    due = row.next_timer_due
    if due is None:
        raise Conflict(_("この案件には待っているタイマーがありません。解決済みにしてください。"))
    if due >= utcnow():
        raise Conflict(
            _(
                "期限の来たタイマーはありません（次のタイマー：%(when)s）。その時刻に発火し、成功するとこのエラーは"
                "解決済みになります。",
                when=format_datetime(due, "yyyy-MM-dd HH:mm"),
            )
        )


# ---------------------------------------------------------------- resolving by hand


def mark_resolved(user: User, error: ProcessError, note: str | None) -> ProcessError:
    """After a correction made another way (the task completed again with other data, say): closed with a note."""
    require_may_repair(user)
    lock_for_write()
    db.session.refresh(error)
    _require_open(error)
    text = (note or "").strip()
    if not text or len(text) > NOTE_MAX:
        message = _("解決の内容を%(max)d文字以内で入力してください。", max=NOTE_MAX)
        raise Invalid(message, {"note": [message]})
    resolve(error, user, "marked", text)
    record(user, error.case, "process_error_resolved", detail=text, after={"error": error.id, "element": error.element})
    return error


# ---------------------------------------------------------------- the instance controls


def control(user: User, case: Case, action: str, reason_text: str | None) -> Case:
    operation = lifecycle.INSTANCE_OPERATIONS.get(action)
    if operation is None:
        raise NotFound(_("この操作はありません。"))
    return operation(user, case, reason_text)


def controls(user: User, case: Case) -> list[str]:
    """The instance controls the designer pages offer on this case now."""
    return [action for action in lifecycle.INSTANCE_ACTIONS if lifecycle.may_control(action, user, case)]
