"""A case's life outside the diagram's path: withdrawal (辞退), suspension and resumption (中断・再開), cancellation
(中止), and the postponement of a whole edition (FY2021: 「事業の延期・中止をお願いさせていただく場合もございます」).

Each acts on the process instance through the engine adapter (Instance.cancel, Instance.shift_timers) and stores it
with save_instance — compare-and-set on the instance's lock_version, which also closes the task rows the engine no
longer has — so a completion racing with any of these either lands first or is refused, never half-applied.
Each operation flushes; the request commits once (webapp/boundary.py), and the email goes out after that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from workflows.editions import Edition, get_edition

from ..extensions import db, lock_for_write
from ..labels import STATUS_LABELS
from ..models import Case, CaseStatus, EditionState, HumanTask, ProcessInstance, Role, TaskStatus, User, utcnow
from ..permissions import can_control_instance, can_postpone_edition, can_suspend_case, can_withdraw_case
from .audit import record
from .cases import edition_state
from .errors import Conflict, Forbidden, Invalid, NotFound
from .notifications import email_company
from .process import INSTANCE_SUSPENDED, restore, save_instance
from .process_errors import resolve_open

REASON_MAX = 500
# Before completion: what may still be withdrawn or cancelled.
UNFINISHED = (CaseStatus.ACTIVE.value, CaseStatus.SUSPENDED.value)

CASE_ACTIONS = ("withdraw", "suspend", "resume", "cancel")  # OPERATIONS (below) maps each to its operation
_REASON_MESSAGES = {
    "withdraw": _l("辞退の理由を%(max)d文字以内で入力してください。"),
    "suspend": _l("中断の理由を%(max)d文字以内で入力してください。"),
    "resume": _l("再開の理由を%(max)d文字以内で入力してください。"),
    "cancel": _l("中止の理由を%(max)d文字以内で入力してください（企業への通知に記載されます）。"),
    "terminate": _l("終了させる理由を%(max)d文字以内で入力してください。"),
    "suspend_edition": _l("延期の理由を%(max)d文字以内で入力してください。"),
    "resume_edition": _l("再開の理由を%(max)d文字以内で入力してください。"),
}


# ---------------------------------------------------------------- who may, and in which state


def require_may(action: str, user: User, case: Case) -> None:
    """403 unless the user may do `action` to this case (checked before the request's body is read)."""
    if action == "withdraw":
        if not can_withdraw_case(user, case):
            raise Forbidden(_("案件を辞退できるのは、その申請企業の担当者とジェトロ担当者のみです。"))
    elif not can_suspend_case(user):
        raise Forbidden(_("案件の中断・再開・中止ができるのはジェトロ担当者のみです。"))


def require_may_control(user: User) -> None:
    """403 unless the user may suspend, resume and terminate instances from the designer pages."""
    if not can_control_instance(user):
        raise Forbidden(_("プロセスの中断・再開・終了ができるのはプロセス設計者と管理者のみです。"))


def may(action: str, user: User, case: Case) -> bool:
    """Whether the case page offers the action: the user may, and the case is in a state that allows it."""
    allowed = can_withdraw_case(user, case) if action == "withdraw" else can_suspend_case(user)
    if not allowed:
        return False
    if action in ("withdraw", "cancel"):
        return case.status in UNFINISHED
    if action == "suspend":
        return case.status == CaseStatus.ACTIVE.value
    return case.status == CaseStatus.SUSPENDED.value and not case.suspended_with_edition


def require_not_suspended(case: Case) -> None:
    """While a case is suspended none of its tasks is claimed or completed (tasks.py asks this)."""
    if case.status == CaseStatus.SUSPENDED.value:
        raise Conflict(
            _(
                "この案件は%(date)sから中断中のため、タスクの担当・完了はできません。再開されてから処理してください。",
                date=local_date(case.suspended_at, get_edition(case.edition)),
            )
        )


def ended_message(case: Case) -> str | None:
    """Why a task of a withdrawn or cancelled case is closed (tasks.py says it instead of a generic message)."""
    if case.status not in (CaseStatus.WITHDRAWN.value, CaseStatus.CANCELLED.value):
        return None
    status = STATUS_LABELS.get(case.status, case.status)
    return _("この案件は「%(status)s」となったため、このタスクは取り消されました。", status=status)


def _require_unfinished(case: Case) -> None:
    if case.status not in UNFINISHED:
        status = STATUS_LABELS.get(case.status, case.status)
        raise Conflict(_("この案件は「%(status)s」のため、この操作はできません。", status=status))


def _reason(action: str, reason: str | None) -> str:
    text = (reason or "").strip()
    if not text or len(text) > REASON_MAX:
        message = str(_REASON_MESSAGES[action]) % {"max": REASON_MAX}
        raise Invalid(message, {"reason": [message]})
    return text


def local_date(instant: datetime | None, edition: Edition | None) -> str:
    """An instant as the program's date (Japan time, the edition's offset)."""
    if instant is None:
        return ""
    zone = edition.support_period_end.tzinfo if edition else None
    return f"{instant.astimezone(zone):%Y-%m-%d}"


def lock_case(case: Case) -> ProcessInstance:
    """Locks the rows a change of the case writes — the case, its open task rows, its instance — in that order
    and without waiting, and reloads them. On PostgreSQL a completion locks its task row, then the instance
    (and an adoption the case row first): waiting here for one of those while holding another could deadlock,
    so a row another transaction holds means someone is changing the case right now, and the answer is 409.
    SQLite: the request already holds the database's write lock, and FOR UPDATE is not rendered."""
    fresh = {"populate_existing": True}
    try:
        db.session.scalars(
            select(Case).where(Case.id == case.id).with_for_update(nowait=True).execution_options(**fresh)
        ).one()
        open_tasks = select(HumanTask.id).where(HumanTask.case_id == case.id, HumanTask.status == TaskStatus.OPEN.value)
        db.session.scalars(open_tasks.order_by(HumanTask.id).with_for_update(nowait=True)).all()
        instance = select(ProcessInstance).where(ProcessInstance.case_id == case.id).with_for_update(nowait=True)
        return db.session.scalars(instance.execution_options(**fresh)).one()
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        raise Conflict(
            _("この案件は他の人が同時に更新しています。画面を再読み込みしてからやり直してください。")
        ) from exc


LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's lock_not_available (FOR UPDATE NOWAIT)


def _snapshot(case: Case) -> dict[str, Any]:
    return {"status": case.status, "stage": case.stage}


# ---------------------------------------------------------------- ending a case: withdrawal and cancellation


def withdraw(user: User, case: Case, reason: str | None) -> Case:
    """辞退: the company (or staff it told) withdraws the case at any stage before completion. Its open tasks and
    the process instance are cancelled, an adoption place it held is freed, and the company gets a confirmation."""
    require_may("withdraw", user, case)
    lock_for_write()
    row = lock_case(case)
    _require_unfinished(case)
    text = _reason("withdraw", reason)
    _end(user, case, row, CaseStatus.WITHDRAWN, "case_withdrawn", text)
    email_company(case, "withdrawal_confirmation", reason=text, by_company=user.role == Role.APPLICANT)
    return case


def cancel(user: User, case: Case, reason: str | None) -> Case:
    """中止: JETRO ends the support for the case, with a notice to the company stating the reason."""
    require_may("cancel", user, case)
    lock_for_write()
    row = lock_case(case)
    _require_unfinished(case)
    text = _reason("cancel", reason)
    _end(user, case, row, CaseStatus.CANCELLED, "case_cancelled", text)
    email_company(case, "cancellation_notice", reason=text)
    return case


def terminate(user: User, case: Case, reason: str | None) -> Case:
    """A designer ends a case's process instance (a case its diagram cannot take further, say): cancel's
    semantics — the open tasks and the instance are cancelled, an adoption place is freed — without the notice
    to the company (JETRO tells it, if at all, as it decides); audited with the reason."""
    require_may_control(user)
    lock_for_write()
    row = lock_case(case)
    _require_unfinished(case)
    text = _reason("terminate", reason)
    _end(user, case, row, CaseStatus.CANCELLED, "case_terminated", text)
    return case


def _end(user: User, case: Case, row: ProcessInstance, status: CaseStatus, action: str, reason: str) -> None:
    instance = restore(row)
    if instance.completed:
        raise Conflict(_("この案件のプロセスは既に終了しています。画面を再読み込みしてください。"))
    before = _snapshot(case)
    instance.cancel()
    case.status, case.status_reason = status.value, reason  # before the save: the stage follows the status
    case.suspended_at, case.suspended_with_edition = None, False
    save_instance(row, instance, status="cancelled")  # compare-and-set; cancels the open task rows
    place = free_adoption_place(case)  # the edition's counter last: it is the row most others wait for
    after = _snapshot(case)
    if place is not None:
        before["adopted_count"], after["adopted_count"] = place, edition_state(case.edition).adopted_count
    resolve_open(case.id, user, "ended")  # its failed steps will not be retried
    record(user, case, action, detail=reason, before=before, after=after)


def free_adoption_place(case: Case) -> int | None:
    """An adopted case's places in the planned number are freed (as many as adopting it took:
    Edition.places_taken); returns the count before, or None when the case held no place."""
    edition = get_edition(case.edition)
    if case.adopted_at is None or edition is None:
        return None
    state = edition_state(case.edition, for_update=True)
    held = state.adopted_count
    state.adopted_count = max(held - edition.places_taken(len(case.countries)), 0)
    return held


# ---------------------------------------------------------------- suspension and resumption


def suspend(user: User, case: Case, reason: str | None) -> Case:
    """中断: no task of the case can be claimed or completed and none of its timers fires until it resumes."""
    require_may("suspend", user, case)
    return _suspend_case(user, case, reason)


def suspend_instance(user: User, case: Case, reason: str | None) -> Case:
    """The same suspension, by a process designer (while a failed step is being fixed, say)."""
    require_may_control(user)
    return _suspend_case(user, case, reason)


def _suspend_case(user: User, case: Case, reason: str | None) -> Case:
    lock_for_write()
    row = lock_case(case)
    if case.status == CaseStatus.SUSPENDED.value:
        raise Conflict(_("この案件は既に中断中です（%(date)sから）。", date=_since(case)))
    _require_unfinished(case)
    _suspend(user, case, row, _reason("suspend", reason), with_edition=False)
    return case


def resume(user: User, case: Case, reason: str | None) -> Case:
    """再開: the open tasks' due dates and the instance's pending timers move later by the time it was suspended."""
    require_may("resume", user, case)
    return _resume_case(user, case, reason)


def resume_instance(user: User, case: Case, reason: str | None) -> Case:
    """The same resumption, by a process designer (not of an edition's postponement: a lead resumes that)."""
    require_may_control(user)
    return _resume_case(user, case, reason)


def _resume_case(user: User, case: Case, reason: str | None) -> Case:
    lock_for_write()
    row = lock_case(case)
    if case.status != CaseStatus.SUSPENDED.value:
        raise Conflict(_("この案件は中断中ではありません。"))
    if case.suspended_with_edition:
        raise Conflict(
            _("この案件は年度全体の延期により中断しています。年度全体の再開はジェトロのリーダーが行います。")
        )
    _resume(user, case, row, _reason("resume", reason))
    return case


def _since(case: Case) -> str:
    return local_date(case.suspended_at, get_edition(case.edition))


def _suspend(user: User, case: Case, row: ProcessInstance, reason: str, *, with_edition: bool) -> None:
    instance = restore(row)
    before = _snapshot(case)
    case.status, case.status_reason = CaseStatus.SUSPENDED.value, reason
    case.suspended_at, case.suspended_with_edition = utcnow(), with_edition
    save_instance(row, instance, status=INSTANCE_SUSPENDED)  # compare-and-set: a completion meanwhile loses
    after = {**_snapshot(case), "suspended_at": case.suspended_at.isoformat(), "with_edition": with_edition}
    record(user, case, "case_suspended", detail=reason, before=before, after=after)


def _resume(user: User, case: Case, row: ProcessInstance, reason: str) -> None:
    suspended_at = case.suspended_at or utcnow()
    paused = max(utcnow() - suspended_at, timedelta(0))
    instance = restore(row)
    shifted = instance.shift_timers(paused)
    before = {**_snapshot(case), "suspended_at": suspended_at.isoformat()}
    case.status, case.status_reason = CaseStatus.ACTIVE.value, None
    case.suspended_at, case.suspended_with_edition = None, False
    save_instance(row, instance, status="running")  # next_timer_due from the shifted timers
    due_dates = _shift_due_dates(case, paused)
    after = {
        **_snapshot(case),
        "suspended_seconds": int(paused.total_seconds()),
        "timers": [
            {"element": t.element, "before": t.before.isoformat(), "after": t.after.isoformat()} for t in shifted
        ],
        "due_dates": due_dates,
    }
    record(user, case, "case_resumed", detail=reason, before=before, after=after)


def _shift_due_dates(case: Case, paused: timedelta) -> list[dict[str, Any]]:
    """Moves the open tasks' due dates later by the suspended time, except a due date that is the edition's
    support-period end (a calendar date the program text fixes; its timer does not move either)."""
    edition = get_edition(case.edition)
    fixed = edition.support_period_end if edition else None
    tasks = db.session.scalars(
        select(HumanTask)
        .where(HumanTask.case_id == case.id, HumanTask.status == TaskStatus.OPEN.value, HumanTask.due_at.is_not(None))
        .order_by(HumanTask.id)
    )
    moved = []
    for task in tasks:
        if task.due_at is None or task.due_at == fixed or not paused:
            continue
        before, task.due_at = task.due_at, task.due_at + paused
        moved.append({"task": task.title, "before": before.isoformat(), "after": task.due_at.isoformat()})
    return moved


# ---------------------------------------------------------------- a whole edition


@dataclass(frozen=True)
class EditionChange:
    edition: Edition
    cases: list[Case]


# The case page and the API run the same operation per action.
OPERATIONS: dict[str, Callable[[User, Case, str | None], Case]] = {
    "withdraw": withdraw,
    "suspend": suspend,
    "resume": resume,
    "cancel": cancel,
}

# The designer pages' instance controls (the same engine operations, a designer's permission).
INSTANCE_ACTIONS = ("suspend", "resume", "terminate")
INSTANCE_OPERATIONS: dict[str, Callable[[User, Case, str | None], Case]] = {
    "suspend": suspend_instance,
    "resume": resume_instance,
    "terminate": terminate,
}


def may_control(action: str, user: User, case: Case) -> bool:
    """Whether the designer pages offer the action on this case now."""
    if not can_control_instance(user):
        return False
    if action == "terminate":
        return case.status in UNFINISHED
    if action == "suspend":
        return case.status == CaseStatus.ACTIVE.value
    return case.status == CaseStatus.SUSPENDED.value and not case.suspended_with_edition


def get_postponable_edition(user: User, code: str) -> Edition:
    """The edition (404), if the user may postpone editions (403): checked before the request's body is read."""
    edition = get_edition(code)
    if edition is None:
        raise NotFound(_("年度が見つかりません。"))
    if not can_postpone_edition(user):
        raise Forbidden(_("年度全体の延期・再開ができるのはジェトロのリーダーのみです。"))
    return edition


def edition_suspended_at(code: str) -> datetime | None:
    """For reading (pages, API): since when the edition is postponed, or None."""
    return db.session.scalar(select(EditionState.suspended_at).where(EditionState.edition == code))


def suspend_edition(user: User, code: str, reason: str | None) -> EditionChange:
    """Postpones the whole edition: every active case is suspended (as suspend() does), and intake closes. Only
    an edition whose file says may_be_postponed (FY2021: 「事業の延期・中止をお願いさせていただく場合もございます」)."""
    edition = get_postponable_edition(user, code)
    lock_for_write()
    if not edition.may_be_postponed:
        raise Conflict(
            _(
                "%(program)sの応募要領には事業の延期・中止の定めがないため、年度全体を延期することはできません"
                "（案件ごとの中断・中止はできます）。",
                program=edition.name_ja,
            )
        )
    state = edition_state(code, for_update=True)
    if state.suspended_at is not None:
        raise Conflict(
            _("%(program)sは既に延期中です（%(date)sから）。", program=edition.name_ja,
              date=local_date(state.suspended_at, edition))
        )  # fmt: skip
    text = _reason("suspend_edition", reason)
    state.suspended_at, state.suspended_reason = utcnow(), text
    cases = list(
        db.session.scalars(
            select(Case).where(Case.edition == code, Case.status == CaseStatus.ACTIVE.value).order_by(Case.id)
        )
    )
    for case in cases:
        _suspend(user, case, lock_case(case), text, with_edition=True)
    record(user, None, "edition_suspended", detail=f"{code}：{text}", after={"cases": [c.number for c in cases]})
    return EditionChange(edition, cases)


def resume_edition(user: User, code: str, reason: str | None) -> EditionChange:
    """Resumes every case the edition's postponement suspended (a case suspended on its own stays suspended);
    each one's due dates and timers shift by its suspended time."""
    edition = get_postponable_edition(user, code)
    lock_for_write()
    state = edition_state(code, for_update=True)
    if state.suspended_at is None:
        raise Conflict(_("%(program)sは延期中ではありません。", program=edition.name_ja))
    text = _reason("resume_edition", reason)
    state.suspended_at, state.suspended_reason = None, None
    cases = list(
        db.session.scalars(
            select(Case)
            .where(
                Case.edition == code,
                Case.status == CaseStatus.SUSPENDED.value,
                Case.suspended_with_edition.is_(True),
            )
            .order_by(Case.id)
        )
    )
    for case in cases:
        _resume(user, case, lock_case(case), text)
    record(user, None, "edition_resumed", detail=f"{code}：{text}", after={"cases": [c.number for c in cases]})
    return EditionChange(edition, cases)
