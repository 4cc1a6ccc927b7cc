"""The expert's hours ledger: one entry per piece of work for one company and country."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from forms.base import TaskForm
from forms.choices import localized, select_choices
from forms.fields import CheckField, ChoiceField, DateInputField, DecimalInputField, TextField
from forms.validators import AtLeast, AtMost, QuarterHours, Required
from webapp.models import HoursEntry  # column lengths only: forms never touch the database
from workflows.service_menu import load_service_menu

# The kinds of work and which of them count toward the cap live in workflows/service_menu.toml (one home).
ACTIVITY_KINDS: list[tuple[str, Any]] = [
    (a.code, localized(a.name_ja, a.name_en)) for a in load_service_menu().activities
]
COUNTED_ACTIVITIES = load_service_menu().counted_activities


class HoursEntryForm(TaskForm):
    country = ChoiceField(_l("対象国"), [Required(_l("対象国を選択してください"))])
    work_date = DateInputField(_l("作業日"), [Required(_l("作業日を入力してください"))])
    activity = ChoiceField(
        _l("作業内容"), [Required(_l("作業内容を選択してください"))], choices=select_choices(ACTIVITY_KINDS)
    )
    hours = DecimalInputField(
        _l("時間数"),
        [
            Required(_l("時間数を入力してください")),
            AtLeast(0, _l("時間数は0より大きい数値で入力してください"), exclusive=True),
            AtMost(24, _l("時間数は1日24時間以内で入力してください")),
            QuarterHours(),
        ],
        description=_l("0.25時間（15分）単位"),
    )
    note = TextField(_l("備考"), column=HoursEntry.note)
    confirm_reserved = CheckField(
        _l("フォローアップ面談のために確保した時間を使うことを確認した"),
        description=_l("記録するとフォローアップ面談用の時間が足りなくなる場合に、確認のうえチェックしてください"),
    )

    def bind_context(self) -> None:
        self.country.choices = select_choices((code, self._country_name(code)) for code in self.context.countries)
        if self.country.raw_data is None and self.country.data is None and len(self.context.countries) == 1:
            self.country.data = self.context.countries[0]

    def _country_name(self, code: str) -> Any:
        edition = self.context.edition
        country = edition.country(code) if edition else None
        return localized(country.name_ja, country.name_en) if country else code
