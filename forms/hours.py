"""The expert's hours ledger: one entry per piece of work for one company and country."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from forms.base import TaskForm
from forms.choices import localized, select_choices
from forms.fields import ChoiceField, DateInputField, DecimalInputField, TextField
from forms.validators import AtLeast, AtMost, QuarterHours, Required
from webapp.models import HoursEntry  # column lengths only: forms never touch the database

ACTIVITY_KINDS: list[tuple[str, Any]] = [
    ("meeting", _l("面談")),
    ("web_meeting", _l("WEB会議")),
    ("phone", _l("電話")),
    ("email", _l("メール")),
    ("document_review", _l("契約書・規則類のレビュー")),
    ("materials", _l("資料作成")),
    ("training_lecture", _l("研修会での講演")),
    ("follow_up_meeting", _l("フォローアップ面談")),
    ("travel", _l("出張（移動時間・カウント対象外）")),
]

# The program counts every kind of work toward the cap except the expert's travel time.
COUNTED_ACTIVITIES = frozenset(code for code, _ in ACTIVITY_KINDS if code != "travel")


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

    def bind_context(self) -> None:
        self.country.choices = select_choices((code, self._country_name(code)) for code in self.context.countries)
        if self.country.raw_data is None and self.country.data is None and len(self.context.countries) == 1:
            self.country.data = self.context.countries[0]

    def _country_name(self, code: str) -> Any:
        edition = self.context.edition
        country = edition.country(code) if edition else None
        return localized(country.name_ja, country.name_en) if country else code
