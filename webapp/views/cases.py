"""The case list and the case page (Cockpit-style): stage timeline, diagram, hours, documents, emails, history."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import case as sql_case
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from forms.choices import localized
from forms.staff import OriginalApplicationForm
from workflows.editions import get_edition, load_editions

from ..converters import parse_id
from ..extensions import db
from ..idempotency import digest, form_key
from ..labels import CLOSED_REASON_LABELS, STAGE_LABELS, reason_text
from ..models import (
    AccountLink,
    Attachment,
    Case,
    Company,
    HumanTask,
    OutboxEmail,
    ProcessInstance,
    Role,
    TaskStatus,
    User,
)
from ..operations import decisions as decision_ops
from ..operations import lifecycle as lifecycle_ops
from ..operations import original as original_ops
from ..operations.attachments import served_type
from ..operations.errors import Conflict, Invalid, OperationError
from ..operations.invitations import invite_contact
from ..operations.process import STAGE_ORDER, restore
from ..permissions import (
    can_invite_applicant,
    can_log_hours,
    can_open_case_pages,
    can_record_original,
    visible_cases_clause,
    visible_tasks_clause,
)
from ..queries import case_history, find_case, visible_hours
from . import case_record
from .account_forms import InviteForm

bp = Blueprint("cases", __name__, url_prefix="/cases")

PER_PAGE = 25

ACTION_LABELS = {
    "application_registered": _l("申込書を登録"),
    "prior_use_declared": _l("過去の利用時間の申告を記録"),
    "prior_use_region_refused": _l("受付開始日前のため対象国から除外"),
    "task_completed": _l("タスクを完了"),
    "task_claimed": _l("タスクを担当"),
    "task_unclaimed": _l("タスクの担当を解除"),
    "task_reassigned": _l("タスクの担当を変更"),
    "task_taken_over": _l("リーダーがタスクを引き継ぎ"),
    "eligibility_assessed": _l("申請要件の審査結果（推奨）を記録"),
    "adopted_beyond_plan": _l("予定採択件数を超えて採択"),
    "order_set_aside": _l("リーダーが申込順から外した"),
    "original_recorded": _l("申請書原本の発送・受領を記録"),
    "decision_reopened": _l("リーダーが採否の決定をやり直した"),
    "plan_reached_told": _l("予定採択件数に達したことを企業に連絡"),
    "case_withdrawn": _l("案件を辞退"),
    "case_suspended": _l("案件を中断"),
    "case_resumed": _l("案件を再開"),
    "case_cancelled": _l("案件を中止"),
    "case_terminated": _l("プロセス設計者が案件のプロセスを終了"),
    "process_error_retried": _l("プロセス設計者が失敗した処理を再実行"),
    "process_error_resolved": _l("プロセス設計者がプロセスのエラーを解決済みにした"),
    "hours_logged": _l("作業時間を記録"),
    "email_queued": _l("メールを送信"),
    "email_skipped": _l("メール送信を省略（宛先なし）"),
    "service_closed": _l("国別支援を終了"),
    "applicant_invited": _l("企業の担当者を招待"),
    "message_unhandled": _l("未処理のメッセージ"),
}

STEP_LABELS = {
    "done": _l("完了"),
    "current": _l("現在"),
    "active": _l("進行中"),
    "pending": _l("未着手"),
    "not_reached": _l("実施なし"),
}

EMAIL_STATUS_LABELS = {
    "pending": _l("送信待ち"),
    "sending": _l("送信中"),
    "sent": _l("送信済み"),
    "kept": _l("保管（SMTP未設定）"),
    "failed": _l("送信失敗"),
}

# Email templates named in the history (the detail of "email_queued").
EMAIL_TEMPLATE_LABELS = {
    "receipt_confirmation": _l("申込書受領のお知らせ"),
    "adoption_notice": _l("採択のお知らせ"),
    "rejection_notice": _l("審査結果のお知らせ"),
    "forms_reminder": _l("様式1・様式2のご提出のお願い"),
    "withdrawal_confirmation": _l("辞退のご連絡の受付"),
    "plan_reached_notice": _l("予定採択件数に達したお知らせ"),
    "cancellation_notice": _l("支援中止のお知らせ"),
    "applicant_invitation": _l("アカウントのご案内"),
}

# The case page's withdrawal, suspension and cancellation forms: what each is called and says once done.
LIFECYCLE_DONE = {
    "withdraw": _l("案件を辞退しました。企業に確認のメールを送ります。"),
    "suspend": _l("案件を中断しました。再開するまで、タスクの担当・完了はできず、タイマーも止まります。"),
    "resume": _l("案件を再開しました。期限とタイマーは中断していた期間だけ後ろにずれます。"),
    "cancel": _l("案件を中止しました。企業に中止のお知らせを送ります。"),
}

ATTACHMENT_KINDS = {
    "sealed_application": _l("捺印済み申込書"),
    "form1": _l("様式1"),
    "form2": _l("様式2"),
}


@bp.before_request
@login_required
def _viewers_only():  # type: ignore[no-untyped-def]
    if not can_open_case_pages(current_user):
        abort(403)


@bp.app_template_filter("hours")
def format_hours(value: Any) -> str:
    """Hours as people write them: 23, 9.75, 0.25 (no trailing zeros)."""
    return f"{Decimal(str(value)).normalize():f}"


@bp.app_template_filter("filesize")
def format_file_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def country_label(edition_code: str | None, code: str) -> Any:
    """A country's name in the request's language, from the edition's data file (the newest one as fallback)."""
    editions = [get_edition(edition_code)] if edition_code else []
    newest_first = sorted(load_editions().values(), key=lambda e: e.code, reverse=True)
    for edition in [*editions, *newest_first]:
        country = edition.country(code) if edition else None
        if country:
            return localized(country.name_ja, country.name_en)
    return code


def page_number() -> int:
    return parse_id(request.args.get("page", "1")) or 1


# ---------------------------------------------------------------- list


def _list_filters(user: User) -> list[Any]:
    clauses: list[Any] = [visible_cases_clause(user)]
    text = request.args.get("q", "").strip()
    if text:
        clauses.append(or_(Case.number.contains(text), Company.name.contains(text)))
    for name, column in (("stage", Case.stage), ("status", Case.status), ("edition", Case.edition)):
        if request.args.get(name):
            clauses.append(column == request.args[name])
    return clauses


@bp.get("", strict_slashes=False)
def index():  # type: ignore[no-untyped-def]
    clauses = _list_filters(current_user)
    base = select(Case).join(Company, Company.id == Case.company_id).where(*clauses)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    page = page_number()
    rows = db.session.scalars(
        base.options(selectinload(Case.company), selectinload(Case.countries))
        .order_by(Case.received_on.desc(), Case.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    return render_template(
        "cases/index.html",
        cases=rows,
        total=total,
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        editions=sorted(load_editions()),
        stages=[*STAGE_ORDER, "completed", "rejected", "ineligible", "withdrawn", "cancelled"],
        country_label=country_label,
    )


# ---------------------------------------------------------------- case page


@dataclass(frozen=True)
class TimelineStep:
    stage: str
    state: str  # done, current, active, pending, not_reached
    started: datetime | None
    finished: datetime | None


def stage_timeline(case: Case) -> list[TimelineStep]:
    """One step per stage, dated by the stage's tasks (first opened, last completed); one GROUP BY query."""
    open_count = func.sum(sql_case((HumanTask.status == TaskStatus.OPEN.value, 1), else_=0))
    rows = db.session.execute(
        select(HumanTask.stage, func.min(HumanTask.created_at), func.max(HumanTask.completed_at), open_count)
        .where(HumanTask.case_id == case.id, HumanTask.status != TaskStatus.CANCELLED.value)
        .group_by(HumanTask.stage)
    ).all()
    by_stage = {stage: (started, finished, opened) for stage, started, finished, opened in rows}
    steps = []
    for stage in STAGE_ORDER:
        started, finished, opened = by_stage.get(stage, (None, None, 0))
        if stage == case.stage:
            state = "current"
        elif opened:
            state = "active"
        elif started is not None:
            state = "done"
        else:
            state = "not_reached" if case.status != "active" else "pending"
        steps.append(TimelineStep(stage, state, started, finished if not opened else None))
    return steps


def _open_tasks(user: User, case: Case) -> list[HumanTask]:
    query = select(HumanTask).where(
        HumanTask.case_id == case.id, HumanTask.status == TaskStatus.OPEN.value, visible_tasks_clause(user)
    )
    return list(db.session.scalars(query.options(selectinload(HumanTask.assignee)).order_by(HumanTask.id)))


def _attachments(case: Case) -> list[Attachment]:
    query = select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.uploaded_at, Attachment.id)
    return list(db.session.scalars(query))


def _emails(case: Case) -> list[OutboxEmail]:
    query = select(OutboxEmail).where(OutboxEmail.case_id == case.id).order_by(OutboxEmail.created_at, OutboxEmail.id)
    return list(db.session.scalars(query))


@bp.get("/<int:case_id>")
def show(case_id: int):  # type: ignore[no-untyped-def]
    return _case_page(find_case(current_user, str(case_id)))


@bp.post("/<int:case_id>/<any(withdraw, suspend, resume, cancel):action>")
def change(case_id: int, action: str):  # type: ignore[no-untyped-def]
    """辞退・中断・再開・中止 from the case page (the same operations as the API); a refusal shows the page again."""
    case = find_case(current_user, str(case_id))
    operation = lifecycle_ops.OPERATIONS[action]
    try:
        operation(current_user, case, request.form.get("reason", ""))
    except (Invalid, Conflict) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _case_page(case, status=exc.status, action=action)
    flash(str(LIFECYCLE_DONE[action]), "success")
    return redirect(url_for(".show", case_id=case.id))


@bp.post("/<int:case_id>/reopen-decision")
def reopen_decision(case_id: int):  # type: ignore[no-untyped-def]
    """A lead takes back the adoption decision from the case page; the decision task opens again."""
    case = find_case(current_user, str(case_id))
    decision_ops.require_may_reopen(current_user)
    try:
        decision_ops.reopen_decision(current_user, case, request.form.get("reason", ""))
    except (Invalid, Conflict) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _case_page(case, status=exc.status)
    flash(_("採否の決定をやり直せるようにしました。採否の決定タスクが受付箱に戻りました。"), "success")
    return redirect(url_for(".show", case_id=case.id))


@bp.post("/<int:case_id>/original")
def record_original(case_id: int):  # type: ignore[no-untyped-def]
    """FY2021: the posted original's dispatch and receipt, from the case page."""
    case = find_case(current_user, str(case_id))
    original_ops.require_may_record_original(current_user, case)
    form = OriginalApplicationForm(formdata=request.form)
    try:
        if not form.validate():
            raise Invalid(_("入力内容を確認してください。"), {k: [str(e) for e in v] for k, v in form.errors.items()})
        original_ops.record_original(current_user, case, form.sent_on.data, form.received_on.data)
    except (Invalid, Conflict) as exc:
        db.session.rollback()
        flash(" ".join([exc.message, *[m for ms in exc.errors.values() for m in ms]]), "error")
        return _case_page(case, status=exc.status)
    flash(_("申請書原本の発送・受領を記録しました。"), "success")
    return redirect(url_for(".show", case_id=case.id))


@bp.post("/<int:case_id>/invite")
def invite(case_id: int):  # type: ignore[no-untyped-def]
    """Staff invite the company's contact: an account of this case's company, set up from an emailed link."""
    case = find_case(current_user, str(case_id))
    form = InviteForm()
    if not form.validate():
        flash(_("入力内容を確認してください。"), "error")
        return _case_page(case, status=422, invite_form=form)
    try:
        user = invite_contact(current_user, case, form.email.data or "", form.display_name.data or "")
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _case_page(case, status=exc.status, invite_form=form)
    flash(_("%(email)sに招待のメールを送ります（リンクは%(hours)d時間有効）。", email=user.email,
            hours=current_app.config["ACCOUNT_LINK_HOURS"]), "success")  # fmt: skip
    return redirect(url_for(".show", case_id=case.id))


def _invite_form(case: Case) -> InviteForm | None:
    if not can_invite_applicant(current_user):
        return None
    company = case.company
    return InviteForm(formdata=None, email=company.contact_email or "", display_name=company.contact_name or "")


def _case_page(
    case: Case, *, status: int = 200, action: str | None = None, invite_form: InviteForm | None = None
) -> Any:
    edition = get_edition(case.edition)
    page = render_template(
        "cases/show.html",
        case=case,
        lifecycle=_lifecycle_forms(case),
        may_reopen=decision_ops.may_reopen(current_user, case),
        # what the page showed: a second reopening after a new decision is a new request
        reopen_key=form_key("case", case.id, "reopen", case.status, case.stage, digest(str(case.adopted_at))),
        may_record_original=bool(edition and edition.original_by_post and can_record_original(current_user)),
        lifecycle_open=action,
        suspended_since=lifecycle_ops.local_date(case.suspended_at, edition),
        edition=edition,
        reason_text=reason_text,
        step_labels=STEP_LABELS,
        email_status_labels=EMAIL_STATUS_LABELS,
        CLOSED_REASON_LABELS=CLOSED_REASON_LABELS,
        timeline=stage_timeline(case),
        open_tasks=_open_tasks(current_user, case),
        hours=visible_hours(current_user, case),
        can_log_hours=any(can_log_hours(current_user, case, code) for code in case.country_codes),
        attachments=_attachments(case),
        emails=_emails(case),
        history=case_history(current_user, case),
        application=case_record.application_record(case) if _sees_application(case) else None,
        steps=_by_stage(case_record.step_records(current_user, case)),
        stage_labels=STAGE_LABELS,
        action_labels=ACTION_LABELS,
        template_labels=EMAIL_TEMPLATE_LABELS,
        attachment_kinds=ATTACHMENT_KINDS,
        country_label=country_label,
        invite_form=invite_form or _invite_form(case),
        company_accounts=_company_accounts(case),
        # what the page showed (the last invitation sent from this case): a double submit invites once
        invite_key=form_key("case", case.id, "invite", _last_invitation(case)),
    )
    return page, status


def _by_stage(steps: list[case_record.StepRecord]) -> list[case_record.StepRecord]:
    """The program's stage order, then the order of completion within a stage (countries side by side)."""
    order = {stage: index for index, stage in enumerate(STAGE_ORDER)}
    return sorted(steps, key=lambda s: (order.get(s.stage, len(order)), s.at or datetime.min))


def _sees_application(case: Case) -> bool:
    """The application's answers (the company's contact details among them): JETRO and the company itself."""
    return current_user.role in (Role.STAFF, Role.ADMIN) or (
        current_user.role == Role.APPLICANT and current_user.company_id == case.company_id
    )


def _last_invitation(case: Case) -> int:
    return db.session.scalar(select(func.max(AccountLink.id)).where(AccountLink.case_id == case.id)) or 0


def _company_accounts(case: Case) -> list[User]:
    """The company's applicant accounts (shown to staff next to the invitation)."""
    if not can_invite_applicant(current_user):
        return []
    query = select(User).where(User.company_id == case.company_id, User.role == "applicant").order_by(User.id)
    return list(db.session.scalars(query))


def _lifecycle_forms(case: Case) -> list[str]:
    """The actions the case page offers this user now; each form carries a key of what the page showed, so a
    double submit acts once."""
    return [action for action in lifecycle_ops.CASE_ACTIONS if lifecycle_ops.may(action, current_user, case)]


@bp.app_template_global("lifecycle_key")
def lifecycle_key(case: Case, action: str) -> str:
    return form_key("case", case.id, action, case.status, case.suspended_at.isoformat() if case.suspended_at else "")


def diagram_source(sources: dict[str, str], process_id: str) -> str:
    """The .bpmn file that defines the process (the diagram drawn on the case page)."""
    bpmn = [text for name, text in sources.items() if name.endswith(".bpmn")]
    return next((text for text in bpmn if f'id="{process_id}"' in text), bpmn[0] if bpmn else "")


@bp.get("/<int:case_id>/diagram.json")
def diagram(case_id: int):  # type: ignore[no-untyped-def]
    case = find_case(current_user, str(case_id))
    row = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    if row is None:
        abort(404)
    instance = restore(row)
    version = row.process_version
    return jsonify(
        xml=diagram_source(version.sources, version.process_id),
        version=version.version,
        completed=sorted(instance.completed_element_ids()),
        active=sorted(instance.active_element_ids()),
    )


@bp.get("/<int:case_id>/attachments/<int:attachment_id>")
def attachment(case_id: int, attachment_id: int):  # type: ignore[no-untyped-def]
    case = find_case(current_user, str(case_id))
    item = db.session.scalar(select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case.id))
    if item is None:
        abort(404)
    # Always a download with the type decided at upload: a file is never rendered as a page of this site.
    response = send_file(
        io.BytesIO(item.data), mimetype=served_type(item), as_attachment=True, download_name=item.filename
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
