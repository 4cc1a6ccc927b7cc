"""The edition report as an Excel workbook, laid out as the ministry receives it: a title, the edition and its
period, then one table per section, each with its totals row."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from forms.choices import localized
from workflows.clock import clock

from ..operations.lifecycle import local_date
from .edition_report import CountryFigures, EditionReport
from .labels import menu_label, reason_label

TITLE_FONT = Font(size=14, bold=True)
SECTION_FONT = Font(size=12, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
TOTAL_FILL = PatternFill("solid", fgColor="F1F1F1")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

Column = tuple[Any, Callable[[CountryFigures], Any]]


def workbook_bytes(report: EditionReport, country_name: Callable[[str], Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("実施状況報告")
    _write(sheet, report, country_name)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write(sheet: Worksheet, report: EditionReport, country_name: Callable[[str], Any]) -> None:
    edition = report.edition
    sheet["A1"] = _("営業秘密漏えい対策支援事業 実施状況報告")
    sheet["A1"].font = TITLE_FONT
    header = (
        (_("年度"), f"{edition.code} {localized(edition.name_ja, edition.name_en)}"),
        (_("対象期間"), f"{edition.announced_on:%Y-%m-%d} 〜 {local_date(edition.support_period_end, edition)}"),
        (_("作成日"), local_date(clock.now(), edition)),
        (_("申込案件数"), report.cases),
        (_("採択案件数"), report.adopted_cases),
    )
    for offset, (label, value) in enumerate(header, start=2):
        sheet.cell(offset, 1, str(label)).font = Font(bold=True)
        sheet.cell(offset, 2, value)
    row = len(header) + 3
    totals = report.totals

    def section(title: Any, columns: Sequence[Column]) -> None:
        nonlocal row
        row = _table(sheet, row, str(title), columns, report.countries, totals, country_name) + 2

    section(
        _("1. 申込・採否（国別）"),
        [(_("申込"), lambda r: r.applications), (_("採択"), lambda r: r.adopted),
         (_("不採択"), lambda r: r.rejected), (_("辞退"), lambda r: r.withdrawn)],
    )  # fmt: skip
    section(
        _("2. 不採択の理由（国別）"),
        [(reason_label(code), _counter_of("rejected_by_reason", code)) for code in report.reasons]
        or [(_("不採択"), lambda r: r.rejected)],
    )
    section(
        _("3. 支援時間（国別、時間）"),
        [(_("支援時間（上限に算入）"), lambda r: r.counted_hours), (_("出張（算入しない）"), lambda r: r.travel_hours)],
    )
    section(
        _("4. 研修・相談（国別）"),
        [(_("研修の実施回数"), lambda r: r.trainings), (_("研修の受講者数"), lambda r: r.attendees),
         (_("相談の実施回数"), lambda r: r.consultations)],
    )  # fmt: skip
    section(
        _("5. 利用されたメニュー項目（実施回数）"),
        [(menu_label(code), _counter_of("menu_items", code)) for code in report.menu_codes]
        or [(_("実施回数"), lambda r: 0)],
    )
    section(_("6. 広報（公開した支援事例）"), [(_("公開した支援事例"), lambda r: r.case_studies)])
    sheet.column_dimensions["A"].width = 22
    for index in range(2, sheet.max_column + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 18


def _counter_of(name: str, code: str) -> Callable[[CountryFigures], int]:
    """The count of one code in a row's counter (its reasons or its menu items)."""
    return lambda figures: int(getattr(figures, name).get(code, 0))


def _table(
    sheet: Worksheet,
    row: int,
    title: str,
    columns: Sequence[Column],
    countries: list[CountryFigures],
    totals: CountryFigures,
    country_name: Callable[[str], Any],
) -> int:
    """Writes one section from `row`; returns the row of its totals."""
    sheet.cell(row, 1, title).font = SECTION_FONT
    row += 1
    for index, heading in enumerate([_("国・地域"), *[label for label, _value in columns]], start=1):
        cell = sheet.cell(row, index, str(heading))
        cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for figures in countries:
        row += 1
        sheet.cell(row, 1, str(country_name(figures.country))).border = BOX
        for index, (_label, value) in enumerate(columns, start=2):
            _number(sheet.cell(row, index), value(figures))
    row += 1
    sheet.cell(row, 1, _("合計")).font = Font(bold=True)
    for index in range(1, len(columns) + 2):
        cell = sheet.cell(row, index)
        cell.fill, cell.border = TOTAL_FILL, BOX
        if index > 1:
            _number(cell, columns[index - 2][1](totals))
            cell.font = Font(bold=True)
    return row


def _number(cell: Any, value: Any) -> None:
    if isinstance(value, Decimal):
        cell.value = float(value)
        cell.number_format = "0.00"
    else:
        cell.value = value
    cell.border = BOX
