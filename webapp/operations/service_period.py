"""The support period: 「支援期間について、採択後から（年度の終了日）までとします。」 Every date the service records
falls inside it (Japan time); a country's service is open from its plan's confirmation until its follow-up (or
the period's end); the diagram's messages open and close it."""

from __future__ import annotations

import weakref
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Engine, select

from workflows.editions import get_edition
from workflows.engine import ThrownMessage

from ..extensions import db
from ..labels import CLOSED_REASON_LABELS
from ..models import Case, CaseCountry, CaseStatus, HumanTask, ProcessInstance, ProcessVersion, TaskStatus, utcnow
from .audit import record
from .errors import Conflict, Invalid

JST = ZoneInfo("Asia/Tokyo")
PERIOD_ENDED = "support_period_ended"


def japan_day(moment: datetime) -> date:
    return moment.astimezone(JST).date()


def period_bounds(case: Case) -> tuple[date, date] | None:
    """The first and last day of the case's support period (adoption day to the edition's end, Japan time);
    None before adoption."""
    edition = get_edition(case.edition)
    if case.adopted_at is None or edition is None:
        return None
    return japan_day(case.adopted_at), japan_day(edition.support_period_end)


def period_text(case: Case) -> str:
    bounds = period_bounds(case)
    return f"{bounds[0]:%Y-%m-%d}〜{bounds[1]:%Y-%m-%d}" if bounds else ""


def require_in_period(case: Case, day: Any, field: str, label: str) -> None:
    """Refuses a date outside the support period, naming the allowed range."""
    bounds = period_bounds(case)
    if bounds is None or day is None:
        return
    value = day if isinstance(day, date) else date.fromisoformat(str(day))
    if not bounds[0] <= value <= bounds[1]:
        message = _("%(label)sは支援期間（%(range)s）内の日付にしてください。", label=label, range=period_text(case))
        raise Invalid(message, {field: [message]})


def require_service_dates(case: Case, form: Any) -> None:
    """The dates a task form marks as service dates (its `service_dates`) fall inside the support period."""
    for name in getattr(form, "service_dates", ()):
        if name in form:
            require_in_period(case, form[name].data, name, str(form[name].label.text))


def case_country(case: Case, code: str) -> CaseCountry | None:
    return next((c for c in case.countries if c.country == code), None)


def require_service_open(case: Case, code: str) -> None:
    """Hours are taken only while the country's service is open: adopted and active, plan confirmed, not closed,
    the period not over."""
    edition = get_edition(case.edition)
    country = case_country(case, code)
    if case.status != CaseStatus.ACTIVE.value or case.adopted_at is None or country is None:
        raise Conflict(_("採択された支援中の案件にのみ時間を記録できます。"))
    if country.closed_reason:
        label = CLOSED_REASON_LABELS.get(country.closed_reason, country.closed_reason)
        raise Conflict(_("この国の支援は終了しています（%(reason)s）。時間は記録できません。", reason=label))
    legacy = legacy_service_open(case, code)
    if (country.service_opened_at is None and legacy is None) or legacy is False:
        raise Conflict(
            _("この国のサービス提供はまだ始まっていません。実施内容・実施時期の確定後に時間を記録できます。")
        )
    if edition and utcnow() > edition.support_period_end:
        raise Conflict(_("支援期間（%(end)sまで）が終了しています。", end=f"{japan_day(edition.support_period_end)}"))


# Process versions deployed before the diagram opened and closed a country's service by its messages.
OPENING_MESSAGE = 'name="service_opened"'
# per database (engine): process_version.id -> its sources throw service_opened (a version never changes)
_opens_by_message: weakref.WeakKeyDictionary[Engine, dict[int, bool]] = weakref.WeakKeyDictionary()


def legacy_service_open(case: Case, code: str) -> bool | None:
    """For a case on a version that throws no service_opened (deployed before): open while the country has an open
    service or follow-up task (the stages its diagram marks); None for the versions that throw it."""
    row = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    if row is None or _throws_opening(row.process_version_id):
        return None
    open_task = db.session.scalar(
        select(HumanTask.id).where(
            HumanTask.case_id == case.id,
            HumanTask.country == code,
            HumanTask.status == TaskStatus.OPEN.value,
            HumanTask.stage.in_(("service", "follow_up")),
        )
    )
    return open_task is not None


def _throws_opening(version_id: int) -> bool:
    known = _opens_by_message.setdefault(db.engine, {})
    if version_id not in known:
        version = db.session.get_one(ProcessVersion, version_id)
        known[version_id] = OPENING_MESSAGE in version.sources_json
    return known[version_id]


# ---------------------------------------------------------------- the diagram's messages


def service_opened(case: Case, message: ThrownMessage) -> None:
    """The plan is confirmed: the country's service opens (hours may be logged)."""
    payload = message.payload or {}
    country = case_country(case, str(payload.get("country")))
    if country is not None and country.service_opened_at is None:
        country.service_opened_at = utcnow()
    record(None, case, "service_opened", after=payload)


def forms_period_ended(case: Case, message: ThrownMessage) -> None:
    """The period ended before forms 1 and 2 came: every country closes and so does the case, with the reason."""
    now = utcnow()
    for country in case.countries:
        if not country.closed_reason:
            country.closed_reason, country.closed_at = PERIOD_ENDED, now
    if case.status == CaseStatus.ACTIVE.value:
        case.status = CaseStatus.COMPLETED.value
        case.stage = PERIOD_ENDED
        case.status_reason = str(CLOSED_REASON_LABELS[PERIOD_ENDED])
    record(None, case, "forms_period_ended", detail=case.status_reason)
