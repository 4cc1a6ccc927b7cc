"""The hours ledger: per cap account (company x country x edition), against the edition's cap; travel is not
counted. Writers of one account are serialised on its row, so two entries cannot both squeeze under the cap.
Entries are never changed: a correction is a reversal entry (the opposite hours, with a reason), so totals are the
net and both stay visible."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workflows.editions import get_edition
from workflows.service_menu import load_service_menu

from ..extensions import db
from ..models import Case, HourAccount, HoursEntry, User
from ..permissions import can_correct_entry, can_log_hours, can_view_case
from .audit import record
from .errors import Conflict, Forbidden, Invalid, NotFound
from .service_period import case_country, require_in_period, require_service_open

REASON_MAX = 500


@dataclass(frozen=True)
class CountryHours:
    country: str
    used: Decimal
    cap: Decimal
    travel: Decimal
    closed_reason: str | None
    edition: str = ""
    reserved: Decimal = Decimal(0)  # kept for the follow-up meeting and not yet used by it

    @property
    def remaining(self) -> Decimal:
        return max(self.cap - self.used, Decimal(0))

    @property
    def free(self) -> Decimal:
        """What other work may use without touching the follow-up's reservation."""
        return max(self.remaining - self.reserved, Decimal(0))


def account_cap(edition_code: str, country: str) -> Decimal:
    """The cap of a cap account: the edition file's figure (its one home)."""
    edition = get_edition(edition_code)
    return edition.hour_cap(country) if edition else Decimal(0)


def account_context(case: Case, country: str | None) -> tuple[Decimal | None, Decimal | None]:
    """What a per-country task form checks hours against: the account's cap and the hours it has left."""
    if country is None:
        return None, None
    cap = account_cap(case.edition, country)
    return cap, max(cap - used_hours(case.company_id, country, case.edition), Decimal(0))


def _sum(*conditions: Any) -> Decimal:
    total = db.session.scalar(select(func.coalesce(func.sum(HoursEntry.hours), 0)).where(*conditions))
    return Decimal(str(total))


def used_hours(company_id: int, country: str, edition: str) -> Decimal:
    """The account's counted hours, net of reversals."""
    return _sum(
        HoursEntry.company_id == company_id,
        HoursEntry.country == country,
        HoursEntry.edition == edition,
        HoursEntry.counted.is_(True),
    )


def follow_up_used(case: Case, country: str) -> Decimal:
    return _sum(
        HoursEntry.case_id == case.id,
        HoursEntry.country == country,
        HoursEntry.activity.in_(load_service_menu().follow_up_activities),
    )


def reserved_left(case: Case, country: str) -> Decimal:
    """The follow-up reservation the briefing named, less what the follow-up already used."""
    row = case_country(case, country)
    if row is None or not row.follow_up_reserved or row.closed_reason:
        return Decimal(0)
    return max(Decimal(row.follow_up_reserved) - follow_up_used(case, country), Decimal(0))


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


def _sums(company_id: int, *conditions: Any) -> dict[tuple[str, str, bool], Decimal]:
    rows = db.session.execute(
        select(HoursEntry.edition, HoursEntry.country, HoursEntry.counted, func.sum(HoursEntry.hours))
        .where(HoursEntry.company_id == company_id, *conditions)
        .group_by(HoursEntry.edition, HoursEntry.country, HoursEntry.counted)
    ).all()
    return {(edition, country, counted): Decimal(str(total)) for edition, country, counted, total in rows}


def hours_summary(case: Case) -> list[CountryHours]:
    """The case's accounts in its own edition, one per target country."""
    sums = _sums(case.company_id, HoursEntry.edition == case.edition)
    return [
        CountryHours(
            country=c.country,
            used=sums.get((case.edition, c.country, True), Decimal(0)),
            cap=account_cap(case.edition, c.country),
            travel=sums.get((case.edition, c.country, False), Decimal(0)),
            closed_reason=c.closed_reason,
            edition=case.edition,
            reserved=reserved_left(case, c.country),
        )
        for c in case.countries
    ]


def accounts_by_edition(case: Case, countries: tuple[str, ...]) -> dict[str, list[CountryHours]]:
    """The company's accounts for these countries in every edition that has entries, the case's own first;
    earlier editions are history (they feed FY2021's prior-use rule, not this edition's cap)."""
    own = {h.country: h for h in hours_summary(case) if h.country in countries}
    sums = _sums(case.company_id, HoursEntry.country.in_(countries), HoursEntry.edition != case.edition)
    others: dict[str, list[CountryHours]] = {}
    for edition, country in sorted({(e, c) for e, c, _counted in sums}, reverse=True):
        used, travel = sums.get((edition, country, True), Decimal(0)), sums.get((edition, country, False), Decimal(0))
        others.setdefault(edition, []).append(
            CountryHours(country, used, account_cap(edition, country), travel, None, edition=edition)
        )
    return {case.edition: list(own.values()), **others}


# ---------------------------------------------------------------- adding an entry


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def add_entry(user: User, case: Case, data: dict[str, Any], *, session_id: int | None = None) -> HoursEntry:
    """Adds one ledger entry; refuses one that would pass the cap, naming the remaining hours, and one that would
    eat into the follow-up's reservation unless confirmed."""
    country = data["country"]
    require_logger(user, case, country)
    require_service_open(case, country)
    require_in_period(case, data["work_date"], "work_date", _("作業日"))
    hours = Decimal(str(data["hours"]))
    menu = load_service_menu()
    counted = data["activity"] in menu.counted_activities
    if counted:
        lock_account(case.company_id, country, case.edition)
        _check_cap(case, country, hours)
        if data["activity"] not in menu.follow_up_activities and not data.get("confirm_reserved"):
            _check_reservation(case, country, hours)
    entry = HoursEntry(
        case_id=case.id,
        company_id=case.company_id,
        country=country,
        edition=case.edition,
        work_date=_day(data["work_date"]),
        activity=data["activity"],
        hours=hours,
        counted=counted,
        note=data.get("note") or None,
        expert_id=user.id,
        session_id=session_id,
    )
    db.session.add(entry)
    record(user, case, "hours_logged", after={"country": country, "hours": str(hours), "counted": counted})
    db.session.flush()  # the entry's id for the answer; the request boundary commits
    return entry


def require_logger(user: User, case: Case, country: str) -> None:
    if not can_view_case(user, case):
        raise NotFound(_("案件が見つかりません。"))
    if not can_log_hours(user, case, country):
        raise Forbidden(_("この国の時間を記録できるのは担当の現地専門家のみです。"))


def _check_cap(case: Case, country: str, hours: Decimal) -> None:
    cap = account_cap(case.edition, country)
    used = used_hours(case.company_id, country, case.edition)
    if used + hours > cap:
        remaining = max(cap - used, Decimal(0))
        message = _(
            "上限（%(cap)s時間）を超えるため記録できません。残りは%(remaining)s時間です。",
            cap=fmt(cap),
            remaining=fmt(remaining),
        )
        raise Invalid(message, {"hours": [message]})


def _check_reservation(case: Case, country: str, hours: Decimal) -> None:
    """「支援後のフォローアップ面談の時間を含み」: time kept for the follow-up is used by other work only when the
    expert confirms it."""
    reserved = reserved_left(case, country)
    if reserved <= 0:
        return
    used = used_hours(case.company_id, country, case.edition)
    free = max(account_cap(case.edition, country) - used - reserved, Decimal(0))
    if hours > free:
        message = _(
            "フォローアップ面談のために確保した%(reserved)s時間に食い込みます（確保分を除く残りは%(free)s時間）。"
            "確保分を使う場合は、確認のチェックを入れて記録してください。",
            reserved=fmt(reserved),
            free=fmt(free),
        )
        raise Conflict(message, {"confirm_reserved": [message]})


# ---------------------------------------------------------------- corrections


def reverse_entry(user: User, case: Case, entry_id: int, reason: str) -> HoursEntry:
    """Cancels one of the expert's own entries by a reversal entry (the opposite hours) with a reason; the
    original stays. A second reversal of the same entry is refused (a form sent twice records once)."""
    entry = db.session.get(HoursEntry, entry_id)
    if entry is None or entry.case_id != case.id or not can_view_case(user, case):
        raise NotFound(_("記録が見つかりません。"))
    if not can_correct_entry(user, entry):
        raise Forbidden(_("記録を取り消せるのは、その記録をした現地専門家のみです。"))
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        message = _("取消の理由を%(max)d文字以内で入力してください。", max=REASON_MAX)
        raise Invalid(message, {"reason": [message]})
    if entry.reverses_id is not None:
        raise Conflict(_("取消の記録は取り消せません。正しい記録を改めて追加してください。"))
    lock_account(entry.company_id, entry.country, entry.edition)
    if _reversal_of(entry.id) is not None:
        raise Conflict(_("この記録は既に取り消されています。"))
    reversal = HoursEntry(
        case_id=entry.case_id,
        company_id=entry.company_id,
        country=entry.country,
        edition=entry.edition,
        work_date=entry.work_date,
        activity=entry.activity,
        hours=-entry.hours,
        counted=entry.counted,
        expert_id=user.id,
        reverses_id=entry.id,
        reason=reason,
    )
    db.session.add(reversal)
    after = {"country": entry.country, "hours": str(-entry.hours), "reverses": entry.id, "reason": reason}
    record(user, case, "hours_reversed", detail=reason, after=after)
    db.session.flush()
    return reversal


def correct_entry(user: User, case: Case, entry_id: int, reason: str, data: dict[str, Any]) -> HoursEntry:
    """A correction: the entry's reversal and the corrected entry, in one transaction (if the corrected entry is
    refused, the reversal is not kept either)."""
    reverse_entry(user, case, entry_id, reason)
    return add_entry(user, case, data)


def _reversal_of(entry_id: int) -> int | None:
    return db.session.scalar(select(HoursEntry.id).where(HoursEntry.reverses_id == entry_id))


def fmt(value: Decimal | int) -> str:
    return f"{Decimal(value).normalize():f}"
