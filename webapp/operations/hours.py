"""The hours ledger: per cap account (company x country x edition), against the edition's cap; travel is not
counted. Writers of one account are serialised on its row, so two entries cannot both squeeze under the cap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from forms import COUNTED_ACTIVITIES
from workflows.editions import get_edition

from ..extensions import db
from ..models import Case, CaseStatus, HourAccount, HoursEntry, User, utcnow
from ..permissions import can_log_hours, can_view_case
from .audit import record
from .errors import Conflict, Forbidden, Invalid, NotFound


@dataclass(frozen=True)
class CountryHours:
    country: str
    used: Decimal
    cap: Decimal
    travel: Decimal
    closed_reason: str | None

    @property
    def remaining(self) -> Decimal:
        return max(self.cap - self.used, Decimal(0))


def used_hours(company_id: int, country: str, edition: str) -> Decimal:
    total = db.session.scalar(
        select(func.coalesce(func.sum(HoursEntry.hours), 0)).where(
            HoursEntry.company_id == company_id,
            HoursEntry.country == country,
            HoursEntry.edition == edition,
            HoursEntry.counted.is_(True),
        )
    )
    return Decimal(str(total))


def lock_account(company_id: int, country: str, edition: str) -> None:
    """Creates the cap account on first use and locks its row until commit (PostgreSQL: FOR UPDATE; SQLite:
    the request already holds the database's write lock)."""
    values = {"company_id": company_id, "country": country, "edition": edition}
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(HourAccount).values(**values).on_conflict_do_nothing())
    db.session.execute(
        select(HourAccount.id)
        .where(HourAccount.company_id == company_id, HourAccount.country == country, HourAccount.edition == edition)
        .with_for_update()
    )


def hours_summary(case: Case) -> list[CountryHours]:
    rows = db.session.execute(
        select(HoursEntry.country, HoursEntry.counted, func.sum(HoursEntry.hours))
        .where(HoursEntry.company_id == case.company_id, HoursEntry.edition == case.edition)
        .group_by(HoursEntry.country, HoursEntry.counted)
    ).all()
    sums = {(country, counted): Decimal(str(total)) for country, counted, total in rows}
    return [
        CountryHours(
            country=c.country,
            used=sums.get((c.country, True), Decimal(0)),
            cap=Decimal(c.hour_cap),
            travel=sums.get((c.country, False), Decimal(0)),
            closed_reason=c.closed_reason,
        )
        for c in case.countries
    ]


def add_entry(user: User, case: Case, data: dict[str, Any]) -> HoursEntry:
    """Adds one ledger entry; refuses one that would pass the cap, naming the remaining hours."""
    if not can_view_case(user, case):
        raise NotFound(_("案件が見つかりません。"))
    country = data["country"]
    if not can_log_hours(user, case, country):
        raise Forbidden(_("この国の時間を記録できるのは担当の現地専門家のみです。"))
    _require_service_open(case, country, data["work_date"])
    hours = Decimal(str(data["hours"]))
    counted = data["activity"] in COUNTED_ACTIVITIES
    if counted:
        lock_account(case.company_id, country, case.edition)
        cap = next(c.hour_cap for c in case.countries if c.country == country)
        used = used_hours(case.company_id, country, case.edition)
        if used + hours > cap:
            remaining = max(Decimal(cap) - used, Decimal(0))
            message = _(
                "上限（%(cap)s時間）を超えるため記録できません。残りは%(remaining)s時間です。",
                cap=_fmt(cap),
                remaining=_fmt(remaining),
            )
            raise Invalid(message, {"hours": [message]})
    entry = HoursEntry(
        case_id=case.id,
        company_id=case.company_id,
        country=country,
        edition=case.edition,
        work_date=data["work_date"] if isinstance(data["work_date"], date) else date.fromisoformat(data["work_date"]),
        activity=data["activity"],
        hours=hours,
        counted=counted,
        note=data.get("note") or None,
        expert_id=user.id,
    )
    db.session.add(entry)
    record(user, case, "hours_logged", after={"country": country, "hours": str(hours), "counted": counted})
    db.session.flush()  # the entry's id for the answer; the request boundary commits
    return entry


def _require_service_open(case: Case, country: str, work_date: Any) -> None:
    edition = get_edition(case.edition)
    if case.status != CaseStatus.ACTIVE.value or case.adopted_at is None:
        raise Conflict(_("採択された支援中の案件にのみ時間を記録できます。"))
    closed = next((c.closed_reason for c in case.countries if c.country == country), None)
    if closed:
        raise Conflict(_("この国の支援は終了しています。時間は記録できません。"))
    if edition and utcnow() > edition.support_period_end:
        raise Conflict(_("支援期間（%(end)sまで）が終了しています。", end=f"{edition.support_period_end:%Y-%m-%d}"))
    day = work_date if isinstance(work_date, date) else date.fromisoformat(str(work_date))
    if edition and day > edition.support_period_end.date():
        message = _(
            "作業日は支援期間（%(end)sまで）内の日付にしてください。", end=f"{edition.support_period_end:%Y-%m-%d}"
        )
        raise Invalid(message, {"work_date": [message]})


def _fmt(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"
