"""Application intake and the case-level rules (intake window, quota)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from forms.fields import to_time
from forms.sites import hearing_sites
from workflows.editions import Edition, get_edition
from workflows.engine import Instance

from ..extensions import db, lock_for_write
from ..models import Case, CaseCountry, Company, EditionState, ProcessVersion, User, utcnow
from ..permissions import can_register_application
from .attachments import store_upload
from .audit import record
from .errors import Conflict, Forbidden, Invalid
from .notifications import dispatch
from .prior_use import apply_at_intake, record_intake
from .process import save_started, start_engine

PREFILLED_ANSWERS = ("domestic_experience", "publicity_consent", "industry")
COMPANY_FIELDS = ("name", "name_en", "corporate_number", "hq_address", "representative", "industry")


def adopted_count(code: str) -> int:
    """For reading (pages, API): never writes, so a GET stays a read on SQLite."""
    count = db.session.scalar(select(EditionState.adopted_count).where(EditionState.edition == code))
    return count or 0


def edition_state(code: str, *, for_update: bool = False) -> EditionState:
    """The edition's counters for a writer, created on first use."""
    query = select(EditionState).where(EditionState.edition == code)
    if for_update:  # the current counters, even when an older copy was loaded before the write lock
        query = query.with_for_update().execution_options(populate_existing=True)
    state = db.session.scalars(query).first()
    if state is None:
        state = EditionState(edition=code, adopted_count=0, next_case_seq=1)
        db.session.add(state)
        db.session.flush()
    return state


def intake_closed_reason(edition: Edition) -> str | None:
    """Why an edition takes no more applications now, or None while it is open."""
    today = utcnow().astimezone(edition.support_period_end.tzinfo).date()
    if today < edition.announced_on:
        return _("%(program)sの募集は%(date)sに開始します。", program=edition.name_ja, date=edition.announced_on)
    if utcnow() > edition.support_period_end:
        return _("%(program)sは支援期間が終了しました。", program=edition.name_ja)
    if db.session.scalar(select(EditionState.suspended_at).where(EditionState.edition == edition.code)):
        return _("%(program)sは延期中のため、お申し込みを受け付けていません。", program=edition.name_ja)
    if edition.plan_reached(adopted_count(edition.code)):
        return _(
            "%(program)sは予定採択件数（%(count)d件程度）に達したため、お申し込みを締め切りました。",
            program=edition.name_ja,
            count=edition.planned_adoptions,
        )
    return None


def require_registrar(actor: User) -> None:
    if not can_register_application(actor):
        raise Forbidden(_("申込書を登録できるのはジェトロ担当者のみです。"))


def register_application(actor: User, data: dict[str, Any], uploads: dict) -> Case:
    """Registers a received application and starts its process; one transaction."""
    require_registrar(actor)
    edition = get_edition(data["edition"])
    if edition is None:
        raise Invalid(_("年度を選択してください。"), {"edition": [_("年度を選択してください。")]})
    closed = intake_closed_reason(edition)
    if closed:
        raise Conflict(closed)
    existing = _existing_company(data)
    intake = apply_at_intake(edition, data, existing.id if existing else None)  # the prior-use rule, per region
    data = intake.data
    data["sites"] = {code: site for code, site in (data.get("sites") or {}).items() if code in data["countries"]}
    number, version, instance, messages = _start_process(edition, data)
    company = _company_for(data)
    case = Case(
        number=number,
        edition=edition.code,
        company=company,
        received_on=_as_date(data["received_on"]),
        received_time=to_time(data["received_time"]),
        application_json=json.dumps(data, ensure_ascii=False, default=str),
        created_by_id=actor.id,
    )
    for position, code in enumerate(data["countries"]):
        case.countries.append(CaseCountry(country=code, position=position))
    db.session.add(case)
    db.session.flush()
    for kind, upload in uploads.items():
        store_upload(case, kind, upload, actor)
    save_started(case, version, instance)
    dispatch(case, messages)
    record(actor, case, "application_registered", after={"number": case.number, "countries": case.country_codes})
    record_intake(actor, case, edition, intake)
    return case


OPTIMISTIC_ATTEMPTS = 4


def _start_process(edition: Edition, data: dict[str, Any]) -> tuple[str, ProcessVersion, Instance, list]:
    """Runs the process to its first wait before taking the write lock (a diagram's scripts may be slow), then
    takes the case number; if another registration took that number meanwhile, runs it again. After a few
    lost races it runs under the lock, so a busy intake still registers every application."""
    for _attempt in range(OPTIMISTIC_ATTEMPTS):
        number = _case_number(edition.code, _next_case_seq(edition.code))
        version, instance, messages = start_engine(edition, _process_data(number, edition, data))
        lock_for_write()
        state = edition_state(edition.code, for_update=True)
        if _case_number(edition.code, state.next_case_seq) == number:
            state.next_case_seq += 1
            return number, version, instance, messages
        db.session.rollback()
    lock_for_write()
    state = edition_state(edition.code, for_update=True)
    number = _case_number(edition.code, state.next_case_seq)
    version, instance, messages = start_engine(edition, _process_data(number, edition, data))
    state.next_case_seq += 1
    return number, version, instance, messages


def _case_number(edition_code: str, seq: int) -> str:
    return f"{edition_code}-{seq:04d}"


def _next_case_seq(edition_code: str) -> int:
    seq = db.session.scalar(select(EditionState.next_case_seq).where(EditionState.edition == edition_code))
    return seq or 1


def _existing_company(data: dict[str, Any]) -> Company | None:
    number = data.get("corporate_number")
    match = Company.corporate_number == number if number else Company.name == data["company_name"]
    return db.session.scalars(select(Company).where(match).limit(1)).first()


def _company_for(data: dict[str, Any]) -> Company:
    """The applying company: the same corporate number (else the same name) is the same company, so its
    hours add up across its cases; the application's details refresh the record."""
    company = _existing_company(data) or Company(name=data["company_name"])
    company.contact_name, company.contact_email = data.get("contact_name"), data.get("contact_email")
    for field in COMPANY_FIELDS[1:]:
        value = data.get(field) or data.get(f"company_{field}")
        if value:
            setattr(company, field, value)
    return company


def application_answers(data: dict[str, Any]) -> dict[str, Any]:
    """The application's answers the hearing starts from (and the eligibility decision reads)."""
    answers = {key: data.get(key) for key in PREFILLED_ANSWERS}
    answers["sites"] = hearing_sites(data.get("sites") or {}, data["countries"])
    return answers


def _process_data(number: str, edition: Edition, data: dict[str, Any]) -> dict[str, Any]:
    """What the diagram needs: edition figures, countries, and the application's answers."""
    existing = _existing_company(data)
    return {
        **edition.process_data(),
        **application_answers(data),
        "case_number": number,
        "company_name": existing.name if existing else data["company_name"],
        "countries": list(data["countries"]),
        "received_on": _as_date(data["received_on"]).isoformat(),
    }


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
