"""Reopening the adoption decision: a lead takes back an adoption or a rejection within the edition's support
period, with a reason, and the decision task is open again (the engine's state goes back to before it was
completed: webapp/operations/process.py stores it with the usual compare-and-set). An adoption frees its place in
the planned number; the company's earlier notice stays in the outbox history, and the new decision sends its own.
An adopted case is reopened only while the company's forms are awaited: once they are in, the service has begun,
and withdrawal or cancellation is the way out."""

from __future__ import annotations

from flask_babel import gettext as _

from workflows.editions import get_edition

from ..extensions import lock_for_write
from ..models import Case, CaseStatus, User, utcnow
from ..permissions import can_reassign
from .audit import record
from .errors import Conflict, Forbidden, Invalid
from .lifecycle import free_adoption_place, lock_case
from .process import restore, save_instance

REASON_MAX = 500
DECIDED = (CaseStatus.REJECTED.value, CaseStatus.INELIGIBLE.value)


def require_may_reopen(user: User) -> None:
    if not can_reassign(user):
        raise Forbidden(_("採否の決定をやり直せるのはジェトロのリーダーのみです。"))


def reopen_decision(user: User, case: Case, reason: str | None) -> Case:
    require_may_reopen(user)
    text = (reason or "").strip()
    if not text or len(text) > REASON_MAX:
        message = _("採否をやり直す理由を%(max)d文字以内で入力してください。", max=REASON_MAX)
        raise Invalid(message, {"reason": [message]})
    lock_for_write()
    row = lock_case(case)
    _require_reopenable(case)
    instance = restore(row)
    element = next(
        (name for name, meta in instance.definition.user_tasks.items() if meta.get("decides") == "adoption"), None
    )
    if element is None:
        raise Conflict(_("この案件のプロセスには採否を決めるタスクがありません。"))
    before = _decision(case)
    task = instance.reopen(element)
    free_adoption_place(case)
    case.adopted_at, case.decision_reason = None, None
    case.status, case.status_reason = CaseStatus.ACTIVE.value, None
    save_instance(row, instance)  # compare-and-set; the forms task closes, the decision task opens again
    record(user, case, "decision_reopened", detail=text, before=before, after={**_decision(case), "task": task.title})
    return case


def may_reopen(user: User, case: Case) -> bool:
    """Whether the case page offers the reopening to this user now."""
    if not can_reassign(user):
        return False
    try:
        _require_reopenable(case)
    except Conflict:
        return False
    return True


def _require_reopenable(case: Case) -> None:
    edition = get_edition(case.edition)
    if edition is None or utcnow() > edition.support_period_end:
        raise Conflict(_("支援期間が終了した年度の採否はやり直せません。"))
    if case.status not in (CaseStatus.ACTIVE.value, *DECIDED):
        raise Conflict(_("辞退・中止・中断中・完了の案件の採否はやり直せません。"))
    adopted = case.adopted_at is not None
    if not adopted and case.status not in DECIDED:
        raise Conflict(_("この案件の採否はまだ決まっていません。"))
    if adopted and case.stage != "forms":  # the forms are in: the service has begun
        raise Conflict(
            _("様式の提出後（サービス提供の開始後）は採否をやり直せません。辞退または中止の手続きをしてください。")
        )


def _decision(case: Case) -> dict[str, object]:
    return {
        "status": case.status,
        "stage": case.stage,
        "adopted_at": case.adopted_at.isoformat() if case.adopted_at else None,
        "decision_reason": case.decision_reason,
    }
