"""The public page: published case studies, anonymised unless the company consented to be named."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from forms.choices import SITE_TYPES

from ..extensions import db
from ..models import Case, CaseStudy
from ..operations.publicity import display_name
from .cases import country_label

bp = Blueprint("public", __name__)


def published_studies() -> list[dict[str, Any]]:
    query = (
        select(CaseStudy)
        .where(CaseStudy.published.is_(True))
        .options(selectinload(CaseStudy.case).selectinload(Case.company), selectinload(CaseStudy.case, Case.countries))
        .order_by(CaseStudy.published_at.desc(), CaseStudy.id.desc())
    )
    studies = []
    for study in db.session.scalars(query):
        content = study.content
        studies.append(
            {
                "id": study.id,
                "title": display_name(study.case, content, study.named),
                "countries": [country_label(study.case.edition, code) for code in study.case.country_codes],
                "content": content,
                "published_at": study.published_at,
            }
        )
    return studies


@bp.get("/public")
def index():  # type: ignore[no-untyped-def]
    return render_template("public/index.html", studies=published_studies(), site_types=dict(SITE_TYPES))
