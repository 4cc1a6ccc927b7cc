"""The prior-use rule, per region, at intake. FY2021: 「※2019年度以降、本事業における同地域の20時間以上の利用がないこと。
なお、20時間以上の利用がある場合は、2021年7月15日（木）より受け付けを開始いたします。」

Every figure is the edition file's (`[prior_use]`: since_fiscal_year, threshold_hours, accept_from). A company's prior
use in a region is the counted hours of the earlier editions in the ledger (fiscal year from since_fiscal_year up to
the edition's own) plus the use declared for years the ledger does not hold (PriorUseDeclaration, latest per
fiscal year). An application received before accept_from is refused for each region whose prior use reaches the
threshold; its other regions are registered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from forms.choices import localized, long_date
from workflows.editions import Edition, get_edition

from ..extensions import db
from ..models import Case, HoursEntry, PriorUseDeclaration, User, utcnow
from .audit import record
from .errors import Conflict

# What a declaration read from the application form says it came from.
APPLICATION_SOURCE = "申込書の記載"


@dataclass(frozen=True)
class PriorUse:
    """A company's earlier use of the program in one region, as the rule of one edition counts it."""

    country: str
    ledger: Decimal  # counted hours of earlier editions in the system's ledger
    declared: Decimal  # declared use for years the ledger does not hold

    @property
    def hours(self) -> Decimal:
        return self.ledger + self.declared


def edition_fiscal_year(code: str) -> int | None:
    """The fiscal year of an edition code found in the ledger (its file's, else the year the code names)."""
    edition = get_edition(code)
    if edition is not None:
        return edition.fiscal_year
    digits = code.removeprefix("FY")
    return int(digits) if len(digits) == 4 and digits.isascii() and digits.isdigit() else None


def ledger_hours(company_id: int, country: str, since: int, before: int) -> Decimal:
    """Counted hours of the editions whose fiscal year is in [since, before)."""
    rows = db.session.execute(
        select(HoursEntry.edition, func.coalesce(func.sum(HoursEntry.hours), 0))
        .where(HoursEntry.company_id == company_id, HoursEntry.country == country, HoursEntry.counted.is_(True))
        .group_by(HoursEntry.edition)
    ).all()
    total = Decimal(0)
    for code, hours in rows:
        year = edition_fiscal_year(code)
        if year is not None and since <= year < before:
            total += Decimal(str(hours))
    return total


def declared_by_year(company_id: int, country: str, since: int, before: int) -> dict[int, Decimal]:
    """The standing declaration per fiscal year in [since, before): the latest one recorded."""
    rows = db.session.scalars(
        select(PriorUseDeclaration)
        .where(
            PriorUseDeclaration.company_id == company_id,
            PriorUseDeclaration.country == country,
            PriorUseDeclaration.fiscal_year >= since,
            PriorUseDeclaration.fiscal_year < before,
        )
        .order_by(PriorUseDeclaration.recorded_at, PriorUseDeclaration.id)
    )
    return {row.fiscal_year: Decimal(row.hours) for row in rows}


def prior_use(edition: Edition, company_id: int | None, country: str, stated: Decimal | None = None) -> PriorUse | None:
    """The company's prior use in the region as the edition's rule counts it (None without a rule). `stated` is
    what the application being registered declares (it stands for the rule's first year)."""
    rule = edition.prior_use
    if rule is None:
        return None
    since, before = rule.since_fiscal_year, edition.fiscal_year
    ledger, declared = Decimal(0), {}
    if company_id is not None:
        ledger = ledger_hours(company_id, country, since, before)
        declared = declared_by_year(company_id, country, since, before)
    if stated is not None:
        declared[since] = Decimal(stated)
    return PriorUse(country=country, ledger=ledger, declared=sum(declared.values(), Decimal(0)))


@dataclass(frozen=True)
class RegionRefusal:
    """A region refused at registration: the application came before the date its prior use allows."""

    country: str
    hours: Decimal

    def as_json(self) -> dict[str, Any]:
        return {"country": self.country, "hours": str(self.hours)}


def refused_regions(
    edition: Edition,
    company_id: int | None,
    countries: Iterable[str],
    received_on: date,
    stated: Mapping[str, Decimal],
) -> list[RegionRefusal]:
    """The regions to refuse: received before accept_from, with prior use at or over the threshold."""
    rule = edition.prior_use
    if rule is None or received_on >= rule.accept_from:
        return []
    refused = []
    for country in countries:
        use = prior_use(edition, company_id, country, stated.get(country))
        if use is not None and use.hours >= rule.threshold_hours:
            refused.append(RegionRefusal(country=country, hours=use.hours))
    return refused


def _hours(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def _country_name(edition: Edition, code: str) -> str:
    country = edition.country(code)
    return str(localized(country.name_ja, country.name_en)) if country else code


def refusal_message(edition: Edition, country: str, hours: Decimal | str) -> str:
    """Why one region is not accepted yet, and from when it is, in the edition's own figures."""
    rule = edition.prior_use
    assert rule is not None
    return _(
        "%(country)sは、%(year)d年度以降に本事業で同地域の利用が%(hours)s時間（%(threshold)s時間以上）あるため、"
        "%(date)sから受け付けます。",
        country=_country_name(edition, country),
        year=rule.since_fiscal_year,
        hours=_hours(Decimal(str(hours))),
        threshold=_hours(rule.threshold_hours),
        date=str(long_date(rule.accept_from)),
    )


def partial_message(edition: Edition, refused: Iterable[RegionRefusal]) -> str:
    """The case was registered without the refused regions: each one's reason, then that it was left out."""
    refused = list(refused)
    names = "、".join(_country_name(edition, r.country) for r in refused)
    reasons = [refusal_message(edition, r.country, r.hours) for r in refused]
    return " ".join([*reasons, _("%(countries)sを除いて申込書を登録しました。", countries=names)])


def all_refused_message(edition: Edition, refused: Iterable[RegionRefusal]) -> str:
    reasons = [refusal_message(edition, r.country, r.hours) for r in refused]
    return " ".join([*reasons, _("対象国のすべてが受付開始日より前の申込となるため、申込書を登録できません。")])


def refusals_of(case: Case) -> list[dict[str, Any]]:
    """The regions refused when the case was registered, with their messages (for the case page and the API)."""
    edition = get_edition(case.edition)
    rows = case.application.get("prior_use_refused") or []
    if edition is None or edition.prior_use is None:
        return []
    return [
        {
            "country": row["country"],
            "hours": float(Decimal(row["hours"])),
            "accept_from": edition.prior_use.accept_from.isoformat(),
            "message": refusal_message(edition, row["country"], row["hours"]),
        }
        for row in rows
    ]


def intake_notice(case: Case) -> str | None:
    """What the registrar is told when some regions were left out (None when every region was registered)."""
    edition = get_edition(case.edition)
    rows = case.application.get("prior_use_refused") or []
    if edition is None or edition.prior_use is None or not rows:
        return None
    return partial_message(edition, [RegionRefusal(country=r["country"], hours=Decimal(r["hours"])) for r in rows])


def record_declarations(actor: User, case: Case, edition: Edition, stated: Mapping[str, Decimal]) -> None:
    """Keeps what the application declares, per country, under the rule's first year, with its source."""
    rule = edition.prior_use
    if rule is None:
        return
    for country, hours in stated.items():
        declaration = PriorUseDeclaration(
            company_id=case.company_id,
            country=country,
            fiscal_year=rule.since_fiscal_year,
            hours=Decimal(hours),
            source=APPLICATION_SOURCE,
            case_id=case.id,
            recorded_by_id=actor.id,
            recorded_at=utcnow(),
        )
        db.session.add(declaration)
        detail = _(
            "%(country)s：%(year)d年度以降 %(hours)s時間（%(source)s）",
            country=_country_name(edition, country),
            year=rule.since_fiscal_year,
            hours=_hours(hours),
            source=APPLICATION_SOURCE,
        )
        after = {"country": country, "fiscal_year": rule.since_fiscal_year, "hours": str(hours)}
        record(actor, case, "prior_use_declared", detail=detail, after={**after, "source": APPLICATION_SOURCE})


@dataclass(frozen=True)
class Intake:
    """An application as registration takes it: without its refused regions, and what it declared."""

    data: dict[str, Any]
    refused: list[RegionRefusal]
    stated: dict[str, Decimal]


def stated_hours(data: Mapping[str, Any]) -> dict[str, Decimal]:
    """The prior use the application declares, per target country (blank ones left out)."""
    stated = data.get("prior_use") or {}
    return {c: Decimal(str(stated[c])) for c in data["countries"] if stated.get(c) is not None}


def apply_at_intake(edition: Edition, data: dict[str, Any], company_id: int | None) -> Intake:
    """Refuses the regions the rule does not accept yet; refuses the whole application when none is left
    (409, each region's reason beside the countries)."""
    stated = stated_hours(data)
    received = data["received_on"]
    received_on = received if isinstance(received, date) else date.fromisoformat(str(received))
    refused = refused_regions(edition, company_id, data["countries"], received_on, stated)
    if not refused:
        return Intake(data=data, refused=[], stated=stated)
    left_out = {r.country for r in refused}
    kept = [c for c in data["countries"] if c not in left_out]
    if not kept:
        reasons = [refusal_message(edition, r.country, r.hours) for r in refused]
        raise Conflict(all_refused_message(edition, refused), {"countries": reasons})
    registered = {**data, "countries": kept, "prior_use_refused": [r.as_json() for r in refused]}
    return Intake(data=registered, refused=refused, stated=stated)


def record_intake(actor: User, case: Case, edition: Edition, intake: Intake) -> None:
    """The declarations kept as records, and each refused region in the case's history with its reason."""
    record_declarations(actor, case, edition, intake.stated)
    for refusal in intake.refused:
        message = refusal_message(edition, refusal.country, refusal.hours)
        record(actor, case, "prior_use_region_refused", detail=message, after=refusal.as_json())
