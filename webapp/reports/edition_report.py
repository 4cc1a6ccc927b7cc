"""An edition's figures per country, as the office reports them to METI: applications, adoptions, rejections by
reason, withdrawals, hours counted and travel, trainings and attendees, menu items used, case studies published.

Reads only; every figure comes from the cases, the hours ledger and the service records of that edition.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from workflows.editions import Edition

from ..extensions import db
from ..models import Case, CaseCountry, CaseStatus, CaseStudy, HoursEntry, ServiceSession

# A rejection without a finding of the eligibility table: decided on review (e.g. the places were taken)
DECIDED_ON_REVIEW = "decided_on_review"


@dataclass
class CountryFigures:
    country: str
    applications: int = 0
    adopted: int = 0
    rejected: int = 0
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    withdrawn: int = 0
    counted_hours: Decimal = Decimal(0)
    travel_hours: Decimal = Decimal(0)
    trainings: int = 0
    attendees: int = 0
    consultations: int = 0
    menu_items: Counter[str] = field(default_factory=Counter)  # sessions that delivered each menu code
    case_studies: int = 0


@dataclass
class EditionReport:
    edition: Edition
    countries: list[CountryFigures]
    cases: int = 0  # applications as cases (a two-country case is one application, and one row per country)
    adopted_cases: int = 0

    @property
    def totals(self) -> CountryFigures:
        total = CountryFigures(country="")
        for row in self.countries:
            total.applications += row.applications
            total.adopted += row.adopted
            total.rejected += row.rejected
            total.rejected_by_reason.update(row.rejected_by_reason)
            total.withdrawn += row.withdrawn
            total.counted_hours += row.counted_hours
            total.travel_hours += row.travel_hours
            total.trainings += row.trainings
            total.attendees += row.attendees
            total.consultations += row.consultations
            total.menu_items.update(row.menu_items)
            total.case_studies += row.case_studies
        return total

    @property
    def reasons(self) -> list[str]:
        """Every rejection reason that occurs, in order of first appearance."""
        return list(self.totals.rejected_by_reason)

    @property
    def menu_codes(self) -> list[str]:
        return sorted(self.totals.menu_items, key=_menu_sort_key)


def _menu_sort_key(code: str) -> tuple[str, int, str]:
    """B1, B2 … B10 in numeric order; A1-1, A2-4, A-other after them within their letter."""
    head, _sep, rest = code.partition("-")
    digits = "".join(ch for ch in head[1:] if ch.isdigit())
    return (code[:1], int(digits) if digits else 99, rest)


def build_report(edition: Edition) -> EditionReport:
    rows = {code: CountryFigures(code) for code in edition.country_codes}

    def row(country: str) -> CountryFigures:
        return rows.setdefault(country, CountryFigures(country))

    cases = db.session.execute(
        select(Case.id, Case.status, Case.adopted_at, Case.ineligible_reasons_json, CaseCountry.country)
        .join(CaseCountry, CaseCountry.case_id == Case.id)
        .where(Case.edition == edition.code)
    ).all()
    case_ids, adopted_ids = set(), set()
    for case_id, status, adopted_at, reasons_json, country in cases:
        case_ids.add(case_id)
        if adopted_at is not None:
            adopted_ids.add(case_id)
        figures = row(country)
        figures.applications += 1
        if adopted_at is not None:
            figures.adopted += 1
        if status in (CaseStatus.REJECTED.value, CaseStatus.INELIGIBLE.value):
            figures.rejected += 1
            for reason in _reasons_for_country(json.loads(reasons_json or "[]"), country):
                figures.rejected_by_reason[reason] += 1
        if status == CaseStatus.WITHDRAWN.value:
            figures.withdrawn += 1

    hours = db.session.execute(
        select(HoursEntry.country, HoursEntry.counted, func.sum(HoursEntry.hours))
        .where(HoursEntry.edition == edition.code)
        .group_by(HoursEntry.country, HoursEntry.counted)
    ).all()
    for country, counted, total in hours:
        amount = Decimal(str(total or 0))
        if counted:
            row(country).counted_hours += amount
        else:
            row(country).travel_hours += amount

    sessions = db.session.execute(
        select(ServiceSession.country, ServiceSession.kind, ServiceSession.attendees, ServiceSession.items_json)
        .join(Case, Case.id == ServiceSession.case_id)
        .where(Case.edition == edition.code)
    ).all()
    for country, kind, attendees, items_json in sessions:
        figures = row(country)
        if kind == "training":
            figures.trainings += 1
            figures.attendees += attendees or 0
        else:
            figures.consultations += 1
        figures.menu_items.update(set(json.loads(items_json or "[]") or []))

    studies = db.session.execute(
        select(CaseCountry.country, func.count(CaseStudy.id))
        .join(Case, Case.id == CaseStudy.case_id)
        .join(CaseCountry, CaseCountry.case_id == Case.id)
        .where(Case.edition == edition.code, CaseStudy.published.is_(True))
        .group_by(CaseCountry.country)
    ).all()
    for country, count in studies:
        row(country).case_studies += count

    order = {code: index for index, code in enumerate(edition.country_codes)}
    ordered = sorted(rows.values(), key=lambda r: (order.get(r.country, len(order)), r.country))
    return EditionReport(edition, ordered, cases=len(case_ids), adopted_cases=len(adopted_ids))


def _reasons_for_country(reasons: list[str], country: str) -> list[str]:
    """A case's reasons that concern this country: the whole-case ones, and the site ones of this country
    ("TH:site_consent_missing" counts for Thailand only). None at all: rejected on review."""
    if not reasons:
        return [DECIDED_ON_REVIEW]
    mine = []
    for reason in reasons:
        site_country, _sep, code = reason.rpartition(":")
        if not site_country:
            mine.append(reason)
        elif site_country == country:
            mine.append(code)
    # Rejected for another country's site only: this country's application fell with the case.
    return mine or ["other_site"]
