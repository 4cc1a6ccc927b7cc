"""FY2021 asks for the signed original by post as well as the PDF by email (「申請書原本の郵送先については、改めて
個別にご連絡させていただきます」): staff record when the company sent it and when it arrived."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from workflows.clock import clock
from workflows.editions import get_edition

from ..models import Case, CaseStatus, User
from ..permissions import can_record_original
from .audit import record
from .errors import Conflict, Forbidden, Invalid


def require_may_record_original(user: User, case: Case) -> None:
    if not can_record_original(user):
        raise Forbidden(_("申請書原本の発送・受領を記録できるのはジェトロ担当者のみです。"))
    edition = get_edition(case.edition)
    if edition is None or not edition.original_by_post:
        raise Conflict(_("この年度の事業では申請書原本の郵送はありません。"))


def record_original(user: User, case: Case, sent_on: date | None, received_on: date | None) -> Case:
    """Sets either date or both (a later record corrects an earlier one; the history keeps before and after)."""
    require_may_record_original(user, case)
    if case.status == CaseStatus.CANCELLED.value:
        raise Conflict(_("中止した案件には記録できません。"))
    errors = _date_errors(case, {"sent_on": sent_on, "received_on": received_on})
    if errors:
        raise Invalid(_("入力内容を確認してください。"), errors)
    before = _original(case)
    case.original_sent_on = sent_on or case.original_sent_on
    case.original_received_on = received_on or case.original_received_on
    record(user, case, "original_recorded", before=before, after=_original(case))
    return case


def _date_errors(case: Case, dates: dict[str, date | None]) -> dict[str, list[str]]:
    if not any(dates.values()):
        return {"sent_on": [_("発送日か受領日のどちらかを入力してください。")]}
    edition = get_edition(case.edition)
    assert edition is not None
    today = clock.now().astimezone(edition.support_period_end.tzinfo).date()
    errors: dict[str, list[str]] = {}
    for name, day in dates.items():
        if day and day > today:
            errors[name] = [_("未来の日付は指定できません（今日は%(today)sです）。", today=today)]
        elif day and day < case.received_on:
            errors[name] = [_("申込書の受領日（%(date)s）以降の日付にしてください。", date=case.received_on)]
    return errors


def _original(case: Case) -> dict[str, str | None]:
    return {
        "sent_on": case.original_sent_on.isoformat() if case.original_sent_on else None,
        "received_on": case.original_received_on.isoformat() if case.original_received_on else None,
    }
