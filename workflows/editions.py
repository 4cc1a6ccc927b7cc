"""Program editions (FY2021, FY2025, ...): one TOML data file each under `editions/`.

Adding an edition is adding a file; nothing in the code names an edition. `TSS_EDITIONS_DIR` names further
directories of edition files (separated like PATH), loaded after `editions/` (a test's made-up edition, say).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

EDITIONS_DIR = Path(__file__).parent / "editions"
EXTRA_DIRS_VARIABLE = "TSS_EDITIONS_DIR"
_CODE_YEAR = re.compile(r"FY(\d{4})")


@dataclass(frozen=True)
class Country:
    code: str
    name_ja: str
    name_en: str
    hour_cap: Decimal
    training_languages: tuple[str, ...]


@dataclass(frozen=True)
class PriorUseRule:
    """Companies that used `threshold_hours` or more in the same region since `since_fiscal_year`
    may apply only from `accept_from`."""

    since_fiscal_year: int
    threshold_hours: Decimal
    accept_from: date


ADOPTION_COUNTS = ("case", "country")


@dataclass(frozen=True)
class Edition:
    code: str
    fiscal_year: int  # 年度 (April to March): the file's `fiscal_year`, else the year in its code ("FY2021")
    name_ja: str
    name_en: str
    process_id: str
    announced_on: date
    support_period_end: datetime
    planned_adoptions: int
    forms_reminder_days: int
    allows_planned_site: bool
    requires_domestic_experience: bool
    requires_site_consent: bool
    requires_willingness: bool
    company_prepares_handouts: bool
    may_be_postponed: bool
    countries: tuple[Country, ...]
    prior_use: PriorUseRule | None = None
    # How the hearing happens (the receipt email says it): FY2021 「お電話等にて」, FY2025 「適宜、」
    hearing_manner_ja: str = "お電話等にて"
    hearing_required: bool = True  # FY2025's 「適宜」: a hearing may be recorded as not needed, with a reason
    original_by_post: bool = False  # FY2021: the signed original is also posted (「申請書原本の郵送先…」)
    japan_side_may_join: bool = False  # FY2025 footnote 1: the Japanese company's staff may take part
    # How an adopted case counts toward planned_adoptions: "case" (one application, whatever its countries) or
    # "country" (one per target country). The texts say only 「4カ国・地域で計15件程度」: see features/README.md.
    adoption_counts: str = "case"

    def plan_reached(self, adopted: int) -> bool:
        """「予定採択件数に達した時点でお申し込みを締め切ります」: intake closes and further adoptions need a lead's
        reason once this many are adopted (the one place the planned number is compared)."""
        return adopted >= self.planned_adoptions

    def places_taken(self, countries: int) -> int:
        """How many of the planned number one adopted case takes (the one place adoption_counts is read)."""
        return countries if self.adoption_counts == "country" else 1

    def country(self, code: str) -> Country | None:
        return next((c for c in self.countries if c.code == code), None)

    @property
    def country_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.countries)

    def hour_cap(self, code: str) -> Decimal:
        country = self.country(code)
        return country.hour_cap if country else Decimal(0)

    def process_data(self) -> dict[str, object]:
        """The edition's figures as process variables (what gateways, DMN and timers read). The prior-use rule is
        not among them: it is applied at registration, per region (webapp/operations/prior_use.py)."""
        return {
            "edition": self.code,
            # read only by process versions deployed before the cap's DMN table was removed (their running cases
            # and new cases until the repository's diagram is deployed); the cap itself is Edition.hour_cap
            "edition_caps": {c.code: float(c.hour_cap) for c in self.countries},
            "support_period_end": self.support_period_end.isoformat(),
            "forms_reminder_days": self.forms_reminder_days,
            "allows_planned_site": self.allows_planned_site,
            "requires_domestic_experience": self.requires_domestic_experience,
            "requires_site_consent": self.requires_site_consent,
            "requires_willingness": self.requires_willingness,
        }


class EditionError(ValueError):
    pass


def _parse(path: Path) -> Edition:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        countries = tuple(
            Country(
                code=c["code"],
                name_ja=c["name_ja"],
                name_en=c["name_en"],
                hour_cap=Decimal(str(c["hour_cap"])),
                training_languages=tuple(c["training_languages"]),
            )
            for c in raw.pop("countries")
        )
        prior = raw.pop("prior_use", None)
        prior_use = (
            PriorUseRule(
                since_fiscal_year=prior["since_fiscal_year"],
                threshold_hours=Decimal(str(prior["threshold_hours"])),
                accept_from=prior["accept_from"],
            )
            if prior
            else None
        )
        fiscal_year = raw.pop("fiscal_year", None) or _year_in_code(str(raw.get("code", "")))
        edition = Edition(countries=countries, prior_use=prior_use, fiscal_year=fiscal_year, **raw)
    except (KeyError, TypeError) as exc:
        raise EditionError(f"{path.name}: {exc}") from exc
    if edition.adoption_counts not in ADOPTION_COUNTS:
        raise EditionError(f"{path.name}: adoption_counts must be one of {', '.join(ADOPTION_COUNTS)}")
    if edition.support_period_end.tzinfo is None:
        raise EditionError(f"{path.name}: support_period_end needs a timezone offset")
    return edition


def _year_in_code(code: str) -> int:
    match = _CODE_YEAR.fullmatch(code)
    if match is None:
        raise KeyError("fiscal_year (the code does not name one: FY + four digits)")
    return int(match.group(1))


def edition_dirs() -> tuple[Path, ...]:
    """`editions/`, then the directories named by TSS_EDITIONS_DIR."""
    extra = os.environ.get(EXTRA_DIRS_VARIABLE, "")
    return (EDITIONS_DIR, *(Path(p) for p in extra.split(os.pathsep) if p))


def load_editions(directory: Path | None = None) -> dict[str, Edition]:
    """Every edition, by code: those of `directory` alone when given, else those of edition_dirs()."""
    return _load((directory,) if directory else edition_dirs())


@cache
def _load(directories: tuple[Path, ...]) -> dict[str, Edition]:
    editions: dict[str, Edition] = {}
    for directory in directories:
        for path in sorted(directory.glob("*.toml")):
            edition = _parse(path)
            if edition.code in editions:
                raise EditionError(f"{path}: edition {edition.code} is defined twice")
            editions[edition.code] = edition
    return editions


def get_edition(code: str) -> Edition | None:
    return load_editions().get(code)
