"""Human tasks: claim, unclaim, reassign, draft, complete. Each flushes; the request boundary commits."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, literal, select, tuple_, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.datastructures import MultiDict

from forms import TaskContext, TaskForm, build_form
from workflows.editions import Edition, get_edition
from workflows.engine import ProcessRuntimeError, TaskNotReady

from ..diagram_messages import describe_runtime_error
from ..extensions import db, lock_for_write
from ..models import (
    Attachment,
    AuditEvent,
    Case,
    CaseStatus,
    HumanTask,
    ProcessInstance,
    Role,
    TaskStatus,
    User,
    utcnow,
)
from ..permissions import acts_on_behalf, can_act_on_task, can_reassign, can_view_case
from .attachments import store_upload
from .audit import record
from .cases import application_answers, edition_state
from .errors import Conflict, Forbidden, Invalid, NotFound, StepFailed
from .hours import account_context
from .lifecycle import ended_message, require_not_suspended
from .notifications import dispatch, email_company
from .process import restore, save_instance
from .process_errors import record_failure, resolve_open
from .publicity import save_case_study
from .service_period import require_service_dates
from .task_notices import notify_assigned

# What every task operation reads next (permissions, form context, inbox rows): loaded with the task, in one query.
_TASK_WITH_CASE = (
    joinedload(HumanTask.case).joinedload(Case.company),
    joinedload(HumanTask.case).joinedload(Case.countries),
)


def get_task(user: User, task_id: int) -> HumanTask:
    task = db.session.get(HumanTask, task_id, options=_TASK_WITH_CASE)
    if task is None or not can_view_case(user, task.case) or not _may_see_task(user, task):
        raise NotFound(_("タスクが見つかりません。"))
    return task


def _may_see_task(user: User, task: HumanTask) -> bool:
    if user.role in (Role.STAFF, Role.ADMIN):
        return True
    return can_act_on_task(user, task)


def _require_open(task: HumanTask) -> None:
    if task.status == TaskStatus.COMPLETED.value:
        who = task.completed_by.display_name if task.completed_by else _("システム")
        raise Conflict(_("このタスクは%(who)sさんが既に完了しています。", who=who))
    if task.status != TaskStatus.OPEN.value:
        raise Conflict(ended_message(task.case) or _("このタスクは既に終了しています（支援期間の終了など）。"))


def _require_actor(user: User, task: HumanTask) -> None:
    if not can_act_on_task(user, task):
        raise Forbidden(_("このタスクを処理する権限がありません。"))


def _require_holder(user: User, task: HumanTask) -> None:
    """A claimed task is its assignee's: nobody else saves or completes it (a lead takes it over first)."""
    if task.assignee_id not in (None, user.id):
        who = task.assignee.display_name if task.assignee else ""
        raise Conflict(
            _(
                "このタスクは%(who)sさんが担当しています。担当者だけが処理できます"
                "（リーダーは理由を記録して引き継げます）。",
                who=who,
            )
        )


def task_context(task: HumanTask, data: dict[str, Any] | None = None) -> TaskContext:
    case = task.case
    cap, remaining = account_context(case, task.country)  # the cap account's (company x country x edition)
    return TaskContext(
        edition=get_edition(case.edition),
        country=task.country,
        hour_cap=cap,
        hours_remaining=remaining,
        countries=tuple(case.country_codes),
        task_data=data or {},
    )


def task_form(
    task: HumanTask, formdata: Any = None, *, csrf: bool = True, process_data: dict[str, Any] | None = None
) -> TaskForm:
    """The task's form, pre-filled from the draft, else from what the process (or the application) already knows."""
    draft = json.loads(task.draft_json) if task.draft_json else {}
    known = process_data if process_data is not None else application_answers(task.case.application)
    context = task_context(task, known)
    return build_form(task.form_key, context=context, formdata=formdata, data=draft, csrf=csrf)


# ---------------------------------------------------------------- claiming


def claim(user: User, task_id: int) -> HumanTask:
    task = get_task(user, task_id)
    _require_actor(user, task)
    _require_open(task)
    require_not_suspended(task.case)
    if task.assignee_id not in (None, user.id):
        who = task.assignee.display_name if task.assignee else ""
        raise Conflict(_("このタスクは%(who)sさんが担当しています。", who=who))
    _set_assignee(user, task, user)
    return task


def unclaim(user: User, task_id: int) -> HumanTask:
    task = get_task(user, task_id)
    _require_open(task)
    if task.assignee_id != user.id and not user.is_lead:
        raise Forbidden(_("担当を外せるのは担当者本人かリーダーのみです。"))
    _set_assignee(user, task, None)
    return task


TAKEOVER_REASON_MAX = 500


def take_over(user: User, task_id: int, reason: str) -> HumanTask:
    """A lead takes a task someone else holds (they are away, say), with a reason kept in the history."""
    task = get_task(user, task_id)
    if not can_reassign(user):
        raise Forbidden(_("担当中のタスクを引き継げるのはジェトロのリーダーのみです。"))
    _require_actor(user, task)
    _require_open(task)
    require_not_suspended(task.case)
    reason = (reason or "").strip()
    if not reason or len(reason) > TAKEOVER_REASON_MAX:
        message = _("引き継ぐ理由を%(max)d文字以内で入力してください。", max=TAKEOVER_REASON_MAX)
        raise Invalid(message, {"reason": [message]})
    _set_assignee(user, task, user, action="task_taken_over", reason=reason)
    return task


def reassign(user: User, task_id: int, assignee: User) -> HumanTask:
    task = get_task(user, task_id)
    if not (user.role == Role.STAFF and user.is_lead):
        raise Forbidden(_("担当の割り当てができるのはジェトロのリーダーのみです。"))
    _require_open(task)
    if not can_act_on_task(assignee, task):
        raise Invalid(_("%(who)sさんはこのタスクを処理できません。", who=assignee.display_name))
    _set_assignee(user, task, assignee)
    return task


def _set_assignee(
    actor: User, task: HumanTask, assignee: User | None, *, action: str | None = None, reason: str | None = None
) -> None:
    before = task.assignee.username if task.assignee else None
    # Conditional update: a concurrent claim by someone else loses with a clear message.
    result = db.session.execute(
        update(HumanTask)
        .where(HumanTask.id == task.id, HumanTask.status == TaskStatus.OPEN.value)
        .where(
            HumanTask.assignee_id.is_(None) if task.assignee_id is None else HumanTask.assignee_id == task.assignee_id
        )
        .values(assignee_id=assignee.id if assignee else None)
    )
    if cast(CursorResult, result).rowcount != 1:
        raise Conflict(_("このタスクは他の人が同時に更新しました。画面を再読み込みしてください。"))
    db.session.expire(task)
    if action is None:
        action = "task_claimed" if assignee is actor else "task_unclaimed" if assignee is None else "task_reassigned"
    after = assignee.username if assignee else None
    detail = f"{task.title}：{reason}" if reason else task.title
    record(actor, task.case, action, detail=detail, before=before, after=after)
    if assignee is not None:
        notify_assigned(actor, task, assignee)


def save_draft(user: User, task_id: int, formdata: MultiDict) -> HumanTask:
    lock_for_write()
    task = get_task(user, task_id)
    _require_actor(user, task)
    _require_open(task)
    _require_holder(user, task)
    form = task_form(task, formdata)
    draft = {
        name: field.data for name, field in form._fields.items() if name != "csrf_token" and field.type != "FileField"
    }
    task.draft_json = json.dumps(draft, ensure_ascii=False, default=str)
    return task


# ---------------------------------------------------------------- completing


def complete(
    user: User,
    task_id: int,
    formdata: MultiDict,
    *,
    csrf: bool = True,
    for_user: User | None = None,
    retrying: int | None = None,
) -> HumanTask:
    """Validates the task's form and completes it, conditional on the instance version (the engine runs
    before the write lock is taken).

    A diagram step that fails leaves the case as it was and is kept as a process error (StepFailed). A designer
    retrying that error passes `for_user`, the user who submitted it: the task's rules are that user's (who may
    act, who holds it, who completed it) and the history names the designer, acting on their behalf."""
    actor = user
    user = for_user or user
    task = get_task(user, task_id)
    _require_actor(user, task)
    _require_open(task)
    _require_holder(user, task)
    require_not_suspended(task.case)  # (a suspension meanwhile fails save_instance's compare-and-set)
    row = db.session.get_one(ProcessInstance, task.instance_id)
    try:
        instance = restore(row)
        step = instance.task(task.engine_task_id)  # what the step decides on (the eligibility result, say)
    except TaskNotReady as exc:
        raise Conflict(_("このタスクは既に処理されています。画面を再読み込みしてください。")) from exc
    form = build_form(task.form_key, context=task_context(task, step.data), formdata=formdata, csrf=csrf)
    if not form.validate():
        raise Invalid(_("入力内容を確認してください。"), {k: [str(e) for e in v] for k, v in form.errors.items()})
    require_service_dates(task.case, form)  # the support period (needs the adoption day)
    data = form.to_task_data()
    try:
        messages = instance.complete(task.engine_task_id, data)  # the diagram's scripts run here, unlocked
    except TaskNotReady as exc:
        raise Conflict(_("このタスクは既に処理されています。画面を再読み込みしてください。")) from exc
    except ProcessRuntimeError as exc:
        message = describe_runtime_error(exc)
        error_id = record_failure(
            exc, task.case_id, task_id=task.id, user=user, formdata=formdata, retrying=retrying
        )  # rolls back, keeps the error only
        raise StepFailed(message, error_id) from exc
    lock_for_write()  # the instance row is compare-and-set by save_instance: a change meanwhile is a conflict
    db.session.refresh(task)  # completed or claimed by someone else while the engine ran?
    _require_open(task)
    _require_holder(user, task)
    _before_complete(user, task, step.decides, data, form.uploads())
    on_behalf = acts_on_behalf(user, task)
    _mark_completed(task, user, data)
    save_instance(row, instance)
    for field, upload in form.uploads().items():
        store_upload(task.case, field, upload, user)
    _after_complete(task, step.decides, data)
    dispatch(task.case, messages)
    if instance.completed and task.case.status == CaseStatus.ACTIVE.value:
        task.case.status = CaseStatus.COMPLETED.value
        task.case.stage = "completed"
    if for_user is not None and actor is not for_user:  # a designer's retry of a failed completion
        on_behalf = True
    resolve_open(task.case_id, actor, "retried" if retrying is not None else "completed", task_id=task.id)
    record(actor, task.case, "task_completed", detail=task.title, after=data, on_behalf=on_behalf)
    return task


def _mark_completed(task: HumanTask, user: User, data: dict[str, Any]) -> None:
    values = {
        "status": TaskStatus.COMPLETED.value,
        "completed_at": utcnow(),
        "completed_by_id": user.id,
        "draft_json": None,
        "submitted_json": json.dumps(data, ensure_ascii=False, default=str),
    }
    result = db.session.execute(
        update(HumanTask)
        .where(HumanTask.id == task.id, HumanTask.status == TaskStatus.OPEN.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult, result).rowcount != 1:
        raise Conflict(_("このタスクは既に処理されています。画面を再読み込みしてください。"))
    for key, value in values.items():
        set_committed_value(task, key, value)
    db.session.expire(task, ["completed_by"])


def _before_complete(user: User, task: HumanTask, decides: str, data: dict[str, Any], uploads: dict[str, Any]) -> None:
    """Rules that need the database: the sealed PDF, first come first served, the quota."""
    if task.form_key == "receipt_confirmation" and "sealed_pdf" not in uploads:
        _require_sealed_pdf(task)
    if decides == "adoption" and data.get("decision") == "adopt":
        _take_adoption_place(user, task.case, data)


def _require_sealed_pdf(task: HumanTask) -> None:
    has_pdf = db.session.scalar(
        select(Attachment.id)
        .where(Attachment.case_id == task.case_id, Attachment.kind == "sealed_application")
        .limit(1)
    )
    if not has_pdf:
        message = _("捺印済みの申込書PDFが添付されていません。PDFを添付してください。")
        raise Invalid(message, {"sealed_pdf": [message]})


def _take_adoption_place(user: User, case: Case, data: dict[str, Any]) -> None:
    """「お申し込み順に審査を進め、順次採択します」 and the planned number: the one place both rules are applied."""
    edition = get_edition(case.edition)
    assert edition is not None
    state = edition_state(edition.code, for_update=True)
    if edition.plan_reached(state.adopted_count):
        _adopt_beyond_plan(user, case, edition.planned_adoptions, (data.get("beyond_plan_reason") or "").strip())
    earlier = earlier_undecided_case(case)
    if earlier:
        raise Conflict(
            _("申込順に採否を決定します。先に受領した案件 %(number)s の採否を決定してください。", number=earlier)
        )
    state.adopted_count += edition.places_taken(len(case.countries))
    case.adopted_at = utcnow()
    if edition.plan_reached(state.adopted_count):
        _tell_cases_in_screening(edition, case)


def _tell_cases_in_screening(edition: Edition, adopted: Case) -> None:
    """「予定採択件数に達した時点でお申し込みを締め切ります」: the adoption that reaches the plan closes intake
    (intake_closed_reason), and every case of the edition still in screening is told once that its decision may
    now be a refusal (a later adoption beyond the plan tells nobody again: they were told)."""
    waiting = db.session.scalars(
        select(Case).where(
            Case.edition == edition.code,
            Case.id != adopted.id,
            Case.status.in_((CaseStatus.ACTIVE.value, CaseStatus.SUSPENDED.value)),
            Case.adopted_at.is_(None),
            ~Case.id.in_(select(AuditEvent.case_id).where(AuditEvent.action == PLAN_REACHED_TOLD)),
        )
    )
    for case in waiting:
        email_company(case, "plan_reached_notice")
        record(None, case, PLAN_REACHED_TOLD, after={"planned": edition.planned_adoptions})


SET_ASIDE_REASON_MAX = 500
PLAN_REACHED_TOLD = "plan_reached_told"


def set_aside_in_order(user: User, case: Case, reason: str) -> Case:
    """A lead takes a case stuck in screening out of the order of receipt, so later cases can be decided; the
    case itself goes on as before. The reason is kept on the case and in the history."""
    if not can_reassign(user):
        raise Forbidden(_("申込順から外せるのはジェトロのリーダーのみです。"))
    reason = (reason or "").strip()
    if not reason or len(reason) > SET_ASIDE_REASON_MAX:
        message = _("申込順から外す理由を%(max)d文字以内で入力してください。", max=SET_ASIDE_REASON_MAX)
        raise Invalid(message, {"reason": [message]})
    if case.status != CaseStatus.ACTIVE.value or case.adopted_at is not None:
        raise Conflict(_("採否が決まっている案件は申込順から外せません。"))
    before = case.order_set_aside_reason
    case.order_set_aside_reason = reason
    record(user, case, "order_set_aside", detail=reason, before=before, after=reason)
    return case


def earlier_undecided_case(case: Case) -> str | None:
    """The number of a case of the same edition received before this one and not yet decided (still active, not
    adopted, not set aside by a lead): it is decided first. The order is the received instant (date and time of
    the application email); the same minute: the earlier registered (lower case number) first."""
    order = tuple_(Case.received_on, Case.received_time, Case.id)
    return db.session.scalar(
        select(Case.number)
        .where(
            Case.edition == case.edition,
            Case.id != case.id,
            Case.status == CaseStatus.ACTIVE.value,
            Case.adopted_at.is_(None),
            Case.order_set_aside_reason.is_(None),
            order < tuple_(literal(case.received_on), literal(case.received_time), literal(case.id)),
        )
        .order_by(Case.received_on, Case.received_time, Case.id)
        .limit(1)
    )


def _adopt_beyond_plan(user: User, case: Case, planned: int, reason: str) -> None:
    """「計15件程度を予定」is a plan, not a limit: a lead may adopt beyond it, saying why (kept in the history)."""
    if not reason:
        raise Conflict(
            _(
                "予定採択件数（%(count)d件程度）に達しています。予定を超えて採択する場合は、リーダーが理由を入力してください。",
                count=planned,
            )
        )
    if not can_reassign(user):
        raise Forbidden(_("予定採択件数を超えて採択できるのはジェトロのリーダーのみです。"))
    record(user, case, "adopted_beyond_plan", detail=reason, after={"planned": planned})


def _after_complete(task: HumanTask, decides: str, data: dict[str, Any]) -> None:
    case = task.case
    if decides == "adoption" and data.get("decision") == "reject":
        case.decision_reason = data.get("reason")
    if task.form_key == "expert_briefing":
        for country in case.countries:
            if country.country == task.country:
                country.estimated_hours = Decimal(str(data.get("estimated_hours")))
                country.follow_up_reserved = Decimal(str(data.get("follow_up_reserved") or 0))
    if task.form_key == "publicity":
        save_case_study(case, data)
