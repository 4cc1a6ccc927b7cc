"""Read models shared by the pages and the API: inbox queries, case detail, JSON shapes."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case as sql_case
from sqlalchemy import func, literal_column, or_, select
from sqlalchemy.orm import selectinload

from workflows.editions import Edition, get_edition

from .converters import parse_id
from .extensions import db
from .labels import ADOPTION_COUNT_LABELS, CLOSED_REASON_LABELS, STAGE_LABELS, STATUS_LABELS, reason_text
from .models import AuditEvent, Case, HoursEntry, HumanTask, ServiceSession, TaskStatus, User, utcnow
from .operations.cases import adopted_count, intake_closed_reason
from .operations.errors import NotFound
from .operations.hours import CountryHours, accounts_by_edition, hours_summary
from .operations.lifecycle import edition_suspended_at
from .operations.prior_use import refusals_of
from .operations.process import STAGE_ORDER
from .permissions import can_view_case, ledger_countries, visible_tasks_clause

SORTS = {
    "due": (HumanTask.due_at, HumanTask.id),  # every stage has a due date; served by ix_human_task_due
    "created": (HumanTask.created_at, HumanTask.id),
    "-created": (HumanTask.created_at.desc(), HumanTask.id.desc()),
    "company": (HumanTask.company_name, HumanTask.id),
    "stage": (
        sql_case({stage: i for i, stage in enumerate(STAGE_ORDER)}, value=HumanTask.stage, else_=99),
        HumanTask.id,
    ),
}
NEAR_DUE = timedelta(days=3)
# A case number as the system writes it (FY2025-0001), within its column.
CASE_NUMBER = re.compile(rf"[A-Za-z0-9-]{{1,{Case.number.type.length}}}")


def text_search_clause(text: str) -> Any:
    """The search box: a part of the company's name or of the case number (「0001」, 「fy2025-0001」; full-width
    digits as typed on a Japanese keyboard are read as ASCII)."""
    company = HumanTask.company_name.contains(text, autoescape=True)
    number = unicodedata.normalize("NFKC", text).strip().upper()
    if not CASE_NUMBER.fullmatch(number):
        return company
    return or_(company, HumanTask.case.has(Case.number.contains(number, autoescape=True)))


def inbox_filters(user: User, args: Mapping[str, str]) -> list[Any]:
    """The WHERE clauses for an inbox request (one place for the page and the API)."""
    clauses: list[Any] = [visible_tasks_clause(user)]
    status = args.get("status", "open")
    if status in {s.value for s in TaskStatus}:
        clauses.append(HumanTask.status == status)
    if args.get("mine") in ("1", "true"):
        clauses.append(HumanTask.assignee_id == user.id)
    if args.get("unclaimed") in ("1", "true"):
        clauses.append(HumanTask.assignee_id.is_(None))
    for name, column in (("role", HumanTask.role), ("country", HumanTask.country), ("stage", HumanTask.stage),
                         ("edition", HumanTask.edition)):  # fmt: skip
        if args.get(name):
            clauses.append(column == args[name])
    if args.get("case"):
        key = case_ref(args["case"])
        clauses.append(HumanTask.case_id == key if isinstance(key, int) else HumanTask.case.has(Case.number == key))
    if args.get("q"):
        clauses.append(text_search_clause(args["q"]))
    now = utcnow()
    if args.get("due") == "overdue":
        clauses.append(HumanTask.due_at < now)
    elif args.get("due") == "soon":
        clauses.append(HumanTask.due_at.between(now, now + NEAR_DUE))
    return clauses


# Counts stop here (or at the end of the page asked for, when that is further): counting every one of 100,000
# open tasks on each request costs more than the page itself; "1000+" is as useful as the exact number.
COUNT_LIMIT = 1_000
_MAX_LIMIT = 2**62  # SQLite's LIMIT is a signed 64-bit integer


class Count(int):
    """A count of rows that stopped after `limit + 1`: exact unless `capped`, in which case there are more than
    `limit` rows and the int is `limit + 1` (so paging by it always finds the next page). Prints as "1000+"."""

    capped: bool

    def __new__(cls, value: int, capped: bool = False) -> Count:
        count = super().__new__(cls, value)
        count.capped = capped
        return count

    @classmethod
    def of(cls, counted: int, limit: int) -> Count:
        return cls(counted, counted > limit)

    @property
    def at_least(self) -> int:
        """The number shown: exact, or the limit that was passed."""
        return int(self) - 1 if self.capped else int(self)

    def __str__(self) -> str:
        return f"{self.at_least}+" if self.capped else str(int(self))


def count_limit(page: int, per_page: int) -> int:
    return min(max(COUNT_LIMIT, page * per_page), _MAX_LIMIT)


def capped_count_query(clauses: list[Any], limit: int) -> Any:
    """SELECT count(*) over at most limit + 1 matching rows: its cost stops growing at the limit."""
    rows = select(literal_column("1")).select_from(HumanTask).where(*clauses).limit(limit + 1).subquery()
    return select(func.count()).select_from(rows)


def count_tasks(clauses: list[Any], limit: int = COUNT_LIMIT) -> Count:
    return Count.of(db.session.scalar(capped_count_query(clauses, limit)) or 0, limit)


def count_tasks_many(
    named: Mapping[str, list[Any]], limit: int = COUNT_LIMIT, limits: Mapping[str, int] | None = None
) -> dict[str, Count]:
    """Several capped counts in one statement (one scalar subquery each); `limits` overrides `limit` by name."""
    if not named:
        return {}
    keys = list(named)
    each = {key: (limits or {}).get(key, limit) for key in keys}
    columns = [capped_count_query(named[key], each[key]).scalar_subquery().label(f"c{i}") for i, key in enumerate(keys)]
    row = db.session.execute(select(*columns)).one()
    return {key: Count.of(int(value or 0), each[key]) for key, value in zip(keys, row, strict=True)}


def inbox_query(
    user: User, args: Mapping[str, str], *, page: int = 1, per_page: int = 50
) -> tuple[list[HumanTask], Count]:
    """One page of the inbox and the (capped, see Count) number of matching tasks."""
    clauses = inbox_filters(user, args)
    total = count_tasks(clauses, count_limit(page, per_page))
    order = SORTS.get(args.get("sort", "due"), SORTS["due"])
    rows = db.session.scalars(
        select(HumanTask)
        .where(*clauses)
        .options(selectinload(HumanTask.case), selectinload(HumanTask.assignee), selectinload(HumanTask.completed_by))
        .order_by(*order)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total


def due_state(task: HumanTask) -> str | None:
    if task.due_at is None or task.status != TaskStatus.OPEN.value:
        return None
    now = utcnow()
    if task.due_at < now:
        return "overdue"
    return "soon" if task.due_at < now + NEAR_DUE else None


def task_json(task: HumanTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "case_id": task.case_id,
        "case_number": task.case.number,
        "company": task.company_name,
        "edition": task.edition,
        "title": task.title,
        "element_id": task.element_id,
        "form_key": task.form_key,
        "stage": task.stage,
        "stage_label": str(STAGE_LABELS.get(task.stage, task.stage)),
        "role": task.role,
        "country": task.country,
        "status": task.status,
        "assignee": task.assignee.username if task.assignee else None,
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "due_state": due_state(task),
        "created_at": task.created_at.isoformat(),
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
        "completed_by": task.completed_by.username if task.completed_by else None,
    }


def case_ref(ref: str) -> int | str | None:
    """A case id (ASCII digits in range) or number (FY2025-0001, within its column), else None: no case has it."""
    case_id = parse_id(ref)
    if case_id is not None:
        return case_id
    return ref if CASE_NUMBER.fullmatch(ref) and not ref.isdigit() else None


def find_case(user: User, ref: str) -> Case:
    key = case_ref(ref)
    if key is None:
        raise NotFound(_("案件が見つかりません。"))
    query = select(Case).where(Case.id == key if isinstance(key, int) else Case.number == key)
    case = db.session.scalar(query)
    if case is None or not can_view_case(user, case):
        raise NotFound(_("案件が見つかりません。"))
    return case


def visible_hours(user: User, case: Case) -> list[CountryHours]:
    """The balance per country, for the countries whose ledger the user may read."""
    countries = ledger_countries(user, case)
    return [h for h in hours_summary(case) if h.country in countries]


def hours_json(h: CountryHours) -> dict[str, Any]:
    return {
        "country": h.country,
        "edition": h.edition,
        "used": float(h.used),
        "cap": float(h.cap),
        "remaining": float(h.remaining),
        "follow_up_reserved": float(h.reserved),  # kept for the follow-up and not yet used by it
        "travel_not_counted": float(h.travel),
        "closed_reason": h.closed_reason,
        "closed_label": str(CLOSED_REASON_LABELS[h.closed_reason]) if h.closed_reason else None,
    }


def ledger_entries(user: User, case: Case) -> list[HoursEntry]:
    """The company's entries (every edition) for the case's countries the user may read, newest first; reversals
    are entries too, so both the original and its reversal show."""
    query = (
        select(HoursEntry)
        .where(HoursEntry.company_id == case.company_id, HoursEntry.country.in_(ledger_countries(user, case)))
        .options(selectinload(HoursEntry.expert))
        .order_by(HoursEntry.work_date.desc(), HoursEntry.id.desc())
    )
    return list(db.session.scalars(query))


def entry_json(entry: HoursEntry, reversed_ids: set[int]) -> dict[str, Any]:
    return {
        "id": entry.id,
        "case_id": entry.case_id,
        "country": entry.country,
        "edition": entry.edition,
        "work_date": entry.work_date.isoformat(),
        "activity": entry.activity,
        "hours": float(entry.hours),
        "counted": entry.counted,
        "note": entry.note,
        "expert": entry.expert.username,
        "reverses": entry.reverses_id,
        "reason": entry.reason,
        "reversed": entry.id in reversed_ids,
        "session_id": entry.session_id,
    }


def session_json(session: ServiceSession) -> dict[str, Any]:
    return {
        "id": session.id,
        "country": session.country,
        "kind": session.kind,
        "held_on": session.held_on.isoformat(),
        "mode": session.mode,
        "place": session.place,
        "items": session.items,
        "other_item": session.other_item,
        "audiences": session.audiences,
        "language": session.language,
        "interpreter": session.interpreter,
        "attendees": session.attendees,
        "expert": session.expert.username,
    }


def ledger_detail(user: User, case: Case) -> dict[str, Any]:
    """The ledger grouped by edition (cap account = company x country x edition): this case's edition first, then
    earlier editions as history."""
    countries = ledger_countries(user, case)
    entries = ledger_entries(user, case)
    reversed_ids = {e.reverses_id for e in entries if e.reverses_id is not None}
    return {
        "case": case.number,
        "editions": [
            {
                "edition": edition,
                "current": edition == case.edition,
                "accounts": [hours_json(h) for h in accounts],
                "entries": [entry_json(e, reversed_ids) for e in entries if e.edition == edition],
            }
            for edition, accounts in accounts_by_edition(case, countries).items()
        ],
    }


def case_history(user: User, case: Case) -> list[AuditEvent]:
    """The case's audit events; hours logged for a country whose ledger the user may not read are left out."""
    query = select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.at, AuditEvent.id)
    countries = ledger_countries(user, case)
    return [e for e in db.session.scalars(query) if _hours_country(e) in (None, *countries)]


def _hours_country(event: AuditEvent) -> str | None:
    if event.action not in ("hours_logged", "hours_reversed") or not event.after_json:
        return None
    country = json.loads(event.after_json).get("country")
    return str(country) if country else None


def case_detail(user: User, case: Case) -> dict[str, Any]:
    edition = get_edition(case.edition)
    visible = db.session.scalars(
        select(HumanTask).where(HumanTask.case_id == case.id, visible_tasks_clause(user)).order_by(HumanTask.id)
    ).all()
    return {
        "id": case.id,
        "number": case.number,
        "edition": case.edition,
        "company": case.company.name,
        "received_on": case.received_on.isoformat(),
        "received_time": case.received_time.strftime("%H:%M"),
        "status": case.status,
        "status_label": str(STATUS_LABELS.get(case.status, case.status)),
        "status_reason": case.status_reason,  # why it was withdrawn, cancelled or suspended
        "suspended_at": case.suspended_at.isoformat() if case.suspended_at else None,
        "stage": case.stage,
        "stage_label": str(STAGE_LABELS.get(case.stage, case.stage)),
        "adopted_at": case.adopted_at.isoformat() if case.adopted_at else None,
        "countries": case.country_codes,
        "ineligible_reasons": [{"code": c, "message": reason_text(c, edition)} for c in case.ineligible_reasons],
        "prior_use_refused": refusals_of(case),  # regions left out at registration
        "decision_reason": case.decision_reason,
        "order_set_aside_reason": case.order_set_aside_reason,
        "original": {
            "sent_on": case.original_sent_on.isoformat() if case.original_sent_on else None,
            "received_on": case.original_received_on.isoformat() if case.original_received_on else None,
        },
        "tasks": [task_json(t) for t in visible],
        "hours": [hours_json(h) for h in visible_hours(user, case)],
        "history": [
            {
                "at": e.at.isoformat(),
                "actor": e.actor.username if e.actor else None,
                "action": e.action,
                "detail": e.detail,
                "before": json.loads(e.before_json) if e.before_json else None,
                "after": json.loads(e.after_json) if e.after_json else None,
                "on_behalf": e.on_behalf,
            }
            for e in case_history(user, case)
        ],
    }


def edition_summary(edition: Edition) -> dict[str, Any]:
    adopted = adopted_count(edition.code)
    closed = intake_closed_reason(edition)
    postponed = edition_suspended_at(edition.code)
    return {
        "code": edition.code,
        "name_ja": edition.name_ja,
        "name_en": edition.name_en,
        "countries": [
            {
                "code": c.code,
                "name_ja": c.name_ja,
                "name_en": c.name_en,
                "hour_cap": float(c.hour_cap),
                "training_languages": list(c.training_languages),
            }
            for c in edition.countries
        ],  # fmt: skip
        "support_period_end": edition.support_period_end.isoformat(),
        "planned_adoptions": edition.planned_adoptions,
        "adoption_counts": edition.adoption_counts,
        "adoption_counts_label": str(ADOPTION_COUNT_LABELS[edition.adoption_counts]),
        "adopted": adopted,
        "announced_on": edition.announced_on.isoformat(),
        "intake_open": closed is None,
        "intake_closed_reason": closed,
        "prior_use": (
            {
                "since_fiscal_year": edition.prior_use.since_fiscal_year,
                "threshold_hours": float(edition.prior_use.threshold_hours),
                "accept_from": edition.prior_use.accept_from.isoformat(),
            }
            if edition.prior_use
            else None
        ),  # fmt: skip
        "may_be_postponed": edition.may_be_postponed,
        "postponed_since": postponed.isoformat() if postponed else None,
        "requires_domestic_experience": edition.requires_domestic_experience,
        "requires_site_consent": edition.requires_site_consent,
        "allows_planned_site": edition.allows_planned_site,
    }
