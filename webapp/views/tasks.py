"""The task page: the step's instructions and form on the left, the case at a glance on the right.

Submitting re-checks the role on the server (operations.tasks.complete does); a draft can be saved half-filled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from werkzeug.datastructures import CombinedMultiDict

from workflows.editions import get_edition
from workflows.engine import TaskNotReady

from ..extensions import db, reads_first
from ..idempotency import digest, form_key
from ..labels import ADOPTION_COUNT_LABELS, reason_text
from ..models import Attachment, CaseStatus, HumanTask, ProcessInstance, TaskStatus, User
from ..operations import tasks as task_ops
from ..operations.cases import adopted_count
from ..operations.errors import Conflict, Forbidden, Invalid, NotFound
from ..operations.hours import hours_summary
from ..operations.process import restore
from ..permissions import acts_on_behalf, can_act_on_task, can_view_case
from ..queries import due_state
from . import case_record, form_render
from .inbox import csrf_refused

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
bp.register_error_handler(CSRFError, csrf_refused)
bp.add_app_template_global(form_render.field_kind, "field_kind")
bp.add_app_template_global(form_render.blank_row, "blank_row")
bp.add_app_template_global(form_render.error_list, "error_list")

DOCUMENT_KINDS = {
    "sealed_application": _l("捺印済みの申込書"),
    "form1": _l("保有情報リスト（様式1）"),
    "form2": _l("情報管理体制セルフチェックシート（様式2）"),
}
_instructions_env = SandboxedEnvironment(autoescape=False)


@bp.before_request
@login_required
def _signed_in():  # type: ignore[no-untyped-def]
    return None


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def load_task(user: User, task_id: int) -> HumanTask:
    """The task, or 404 when it does not exist or its case is hidden; 403 when the case is visible but the task
    belongs to another lane (an expert opening a staff task)."""
    try:
        return task_ops.get_task(user, task_id)
    except NotFound:
        task = db.session.get(HumanTask, task_id)
        if task is not None and can_view_case(user, task.case):
            raise Forbidden(_("このタスクを処理する権限がありません。")) from None
        raise


@dataclass(frozen=True)
class StepDetails:
    instructions: str  # the diagram's instructions, rendered
    data: dict[str, Any]  # the process data the step sees (fills what earlier steps already answered)
    decides: str = ""  # the program decision the step makes (the diagram's `decides` property)


def step_details(task: HumanTask) -> StepDetails:
    """Instructions and data of this one open step: one restore, on the task page only (never in the inbox)."""
    row = db.session.get(ProcessInstance, task.instance_id)
    if row is None or task.status != TaskStatus.OPEN.value:
        return StepDetails("", {})
    try:
        info = restore(row).task(task.engine_task_id)
    except TaskNotReady:
        return StepDetails("", {})
    try:
        text = _instructions_env.from_string(info.instructions).render(info.data)
    except TemplateError:
        text = info.instructions
    return StepDetails(text.strip(), info.data, info.decides)


@dataclass(frozen=True)
class DecisionFacts:
    """What the adoption decision decides on: the eligibility table's recommendation and the places taken."""

    reasons: list[str]
    planned: int
    adopted: int
    counting: str  # how a case counts toward the plan (the edition's adoption_counts)
    places: int  # the places adopting this case takes


def decision_facts(task: HumanTask, details: StepDetails) -> DecisionFacts | None:
    edition = get_edition(task.edition)
    if details.decides != "adoption" or edition is None:
        return None
    reasons = [reason_text(code, edition) for code in details.data.get("ineligible_reasons") or []]
    counting = str(ADOPTION_COUNT_LABELS[edition.adoption_counts])
    places = edition.places_taken(len(task.case.countries))
    return DecisionFacts(reasons, edition.planned_adoptions, adopted_count(edition.code), counting, places)


def case_summary(task: HumanTask) -> dict[str, Any]:
    case = task.case
    documents = db.session.execute(
        select(Attachment.id, Attachment.kind, Attachment.filename, Attachment.size, Attachment.uploaded_at)
        .where(Attachment.case_id == case.id)
        .order_by(Attachment.id)
    ).all()
    return {
        "case": case,
        "edition": get_edition(case.edition),
        "hours": hours_summary(case),
        "documents": [(d.id, DOCUMENT_KINDS.get(d.kind, d.kind), d.filename, d.size, d.uploaded_at) for d in documents],
    }


def _render(
    task: HumanTask,
    *,
    formdata: Any = None,
    invalid: Invalid | None = None,
    alert: str | None = None,
    status: int = 200,
) -> Any:
    user = _user()
    details = step_details(task)
    form = task_ops.task_form(task, formdata, process_data=details.data) if _workable(user, task) else None
    if form is not None and invalid is not None:
        # the posted form's own per-field errors, plus those the operations found (e.g. a missing PDF)
        form.validate()
        form_render.add_errors(form, invalid.errors)
    page = render_template(
        "tasks/show.html",
        task=task,
        form=form,
        alert=alert,
        instructions=details.instructions,
        on_behalf=acts_on_behalf(user, task),
        may_act=can_act_on_task(user, task),
        # the task as this page showed it (with its draft): a second tab or a double submit acts once, while a
        # draft saved again after the page reloaded is a new act
        idempotency_key=form_key("task", task.id, digest(task.draft_json or "")),
        decision=decision_facts(task, details),
        own_record=case_record.task_record(task),
        decided_on=case_record.decided_on(user, task) if task.status == TaskStatus.OPEN.value else [],
        due=due_state(task),
        **case_summary(task),
    )
    return page, status


def _workable(user: User, task: HumanTask) -> bool:
    suspended = task.case.status == CaseStatus.SUSPENDED.value  # nothing is done on a suspended case
    return task.status == TaskStatus.OPEN.value and can_act_on_task(user, task) and not suspended


@bp.get("/<int:task_id>")
def show(task_id: int):  # type: ignore[no-untyped-def]
    user = _user()
    task = load_task(user, task_id)
    return _render(task)


def _posted() -> CombinedMultiDict:
    return CombinedMultiDict([request.files, request.form])


@bp.post("/<int:task_id>/takeover")
def take_over(task_id: int):  # type: ignore[no-untyped-def]
    try:
        task_ops.take_over(_user(), task_id, request.form.get("reason", ""))
    except Invalid as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("タスクを引き継ぎました。"), "success")
    return redirect(url_for(".show", task_id=task_id))


@bp.post("/<int:task_id>")
@reads_first
def submit(task_id: int):  # type: ignore[no-untyped-def]
    user = _user()
    task = load_task(user, task_id)
    if request.form.get("action") == "draft":
        task_ops.save_draft(user, task_id, request.form)
        flash(_("下書きを保存しました。続きはこのページからいつでも入力できます。"), "success")
        return redirect(url_for(".show", task_id=task_id))
    try:
        task_ops.complete(user, task_id, _posted())
    except Invalid as exc:
        db.session.rollback()
        return _render(task, formdata=_posted(), invalid=exc, alert=exc.message, status=422)
    except Conflict as exc:
        db.session.rollback()
        return _render(task, formdata=_posted(), alert=exc.message, status=409)
    flash(_("完了しました。"), "success")
    return redirect(url_for("inbox.index"))
