"""Case studies for the public page: anonymised unless the company consented to be named."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from workflows.editions import Edition, get_edition

from ..extensions import db
from ..models import Case, CaseStudy, HoursEntry, utcnow

CONTENT_FIELDS = (
    "industry",
    "city",
    "site_type",
    "company_size",
    "issues",
    "support_given",
    "measures",
    "company_voice",
)


def display_name(case: Case, content: dict[str, Any], named: bool) -> str:
    """「A社（精密機器、タイ）」 unless the company agreed to be named."""
    edition = get_edition(case.edition)
    countries = "・".join(_country_name(edition, code) for code in case.country_codes)
    detail = "、".join(p for p in (content.get("industry"), countries) if p)
    if named:
        return f"{case.company.name}（{detail}）"
    letter = chr(ord("A") + (case.id - 1) % 26)
    return _("%(letter)s社（%(detail)s）", letter=letter, detail=detail)


def _country_name(edition: Edition | None, code: str) -> str:
    country = edition.country(code) if edition else None
    return country.name_ja if country else code


def save_case_study(case: Case, data: dict[str, Any]) -> CaseStudy:
    study = db.session.scalar(select(CaseStudy).where(CaseStudy.case_id == case.id))
    if study is None:
        study = CaseStudy(case_id=case.id, content_json="{}")
        db.session.add(study)
    content = {key: data.get(key) for key in CONTENT_FIELDS}
    hours = db.session.scalar(
        select(func.coalesce(func.sum(HoursEntry.hours), 0)).where(
            HoursEntry.case_id == case.id, HoursEntry.counted.is_(True)
        )
    )
    content["hours"] = float(hours or 0)
    study.named = bool(data.get("consent_to_be_named"))
    study.published = bool(data.get("publish"))
    study.published_at = utcnow() if study.published else None
    study.content_json = json.dumps(content, ensure_ascii=False)
    return study
