"""The hours ledger of one edition as CSV (UTF-8 with a BOM, so Excel opens the Japanese right). Reversals are
rows of their own with the opposite hours, so a column sum is the net."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from forms.choices import localized
from workflows.editions import Edition
from workflows.service_menu import load_service_menu

from ..extensions import db
from ..models import Case, HoursEntry


def _cell(text: str | None) -> str:
    """Text as data, never a formula: a leading = + - @ is quoted with an apostrophe (CSV injection)."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def ledger_csv(edition: Edition, country_name: Any) -> str:
    entries = db.session.scalars(
        select(HoursEntry)
        .where(HoursEntry.edition == edition.code)
        .options(selectinload(HoursEntry.expert))
        .order_by(HoursEntry.work_date, HoursEntry.id)
    ).all()
    cases = {
        case.id: case
        for case in db.session.scalars(
            select(Case).where(Case.id.in_({e.case_id for e in entries})).options(selectinload(Case.company))
        )
    }
    activities = {a.code: localized(a.name_ja, a.name_en) for a in load_service_menu().activities}
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [_("記録番号"), _("受付番号"), _("企業名"), _("国・地域"), _("作業日"), _("作業の種類"), _("時間"),
         _("上限に算入"), _("専門家"), _("備考"), _("取消対象の記録"), _("取消の理由"), _("記録日時")]
    )  # fmt: skip
    for entry in entries:
        case = cases[entry.case_id]
        writer.writerow(
            [
                entry.id,
                case.number,
                _cell(case.company.name),
                str(country_name(entry.country)),
                entry.work_date.isoformat(),
                str(activities.get(entry.activity, entry.activity)),
                f"{entry.hours:f}",
                "1" if entry.counted else "0",
                _cell(entry.expert.display_name),
                _cell(entry.note),
                entry.reverses_id or "",
                _cell(entry.reason),
                entry.created_at.isoformat(timespec="seconds"),
            ]
        )
    return out.getvalue()
