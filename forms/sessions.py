"""A delivered training session (B) or consultation (A), recorded by the expert with its hours for the ledger."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from forms.base import TaskForm
from forms.choices import LANGUAGES, localized, select_choices
from forms.expert import audience_error, consultation_choices_with_other, other_chosen, training_choices
from forms.fields import (
    CheckField,
    ChoiceField,
    DateInputField,
    DecimalInputField,
    IntegerInputField,
    MultiCheckboxField,
    RadioChoiceField,
    TextField,
)
from forms.validators import AtLeast, AtMost, QuarterHours, Required, RequiredIf
from webapp.models import HoursEntry, ServiceSession  # column lengths only: forms never touch the database

SESSION_KINDS = (("training", _l("（B）研修")), ("consultation", _l("（A）コンサルテーション")))
# 「面談（WEB会議を含む。）・電話・メールを通じて提供します」: a training is held on site or on the web
SESSION_MODES = (("onsite", _l("対面（会場）")), ("web", _l("WEB会議")), ("phone", _l("電話")), ("email", _l("メール")))
TRAINING_MODES = ("onsite", "web")
# Who took part. The Japan-side audiences only where the edition allows it (FY2025 footnote 1); the second part of
# each code is the audience of menu B's topics (管理職 / 従業員).
SESSION_AUDIENCES = (
    ("local_managers", _l("現地拠点の管理職")),
    ("local_employees", _l("現地拠点の従業員")),
    ("japan_managers", _l("日本企業の管理職")),
    ("japan_employees", _l("日本企業の社員")),
)
JAPAN_SIDE = ("japan_managers", "japan_employees")
# The audience menu B names (管理職 / 従業員) for each of them
TOPIC_AUDIENCE = {
    "local_managers": "managers",
    "local_employees": "employees",
    "japan_managers": "managers",
    "japan_employees": "employees",
}


def topic_audiences(codes: list[str] | None) -> list[str]:
    """["local_managers", "japan_employees"] -> ["employees", "managers"]; unknown codes are left to the choices."""
    return sorted({TOPIC_AUDIENCE[c] for c in codes or [] if c in TOPIC_AUDIENCE})


def _training(form: Any) -> bool:
    return form.kind.data == "training"


def _onsite(form: Any) -> bool:
    return form.mode.data == "onsite"


def _other_item(form: Any) -> bool:
    return form.kind.data == "consultation" and other_chosen(form.items.data)


class ServiceSessionForm(TaskForm):
    country = ChoiceField(_l("対象国"), [Required(_l("対象国を選択してください"))])
    kind = RadioChoiceField(
        _l("種類"),
        [Required(_l("研修かコンサルテーションかを選択してください"))],
        choices=select_choices(SESSION_KINDS),
    )
    held_on = DateInputField(_l("実施日"), [Required(_l("実施日を入力してください"))])
    mode = ChoiceField(
        _l("実施の方法"),
        [Required(_l("実施の方法を選択してください"))],
        choices=select_choices(SESSION_MODES, blank=True),
    )
    place = TextField(
        _l("会場"), [RequiredIf(_onsite, _l("対面で実施した場合は会場を入力してください"))], column=ServiceSession.place
    )
    topics = MultiCheckboxField(_l("（B）研修のテーマ"))
    items = MultiCheckboxField(_l("（A）コンサルテーションの項目"))
    other_item = TextField(
        _l("その他の項目の内容"),
        [RequiredIf(_other_item, _l("その他（専門家と協議）の内容を入力してください"))],
        column=ServiceSession.other_item,
        description=_l("「その他（専門家と協議）」を選んだ場合、専門家と協議して決めた内容"),
    )
    audiences = MultiCheckboxField(_l("対象者"), [Required(_l("対象者を1つ以上選択してください"))])
    language = ChoiceField(_l("言語"), [RequiredIf(_training, _l("研修の言語を選択してください"))])
    interpreter = CheckField(_l("通訳あり"))
    attendees = IntegerInputField(
        _l("参加者数"),
        [
            RequiredIf(_training, _l("研修の参加者数を入力してください")),
            AtLeast(1, _l("参加者数は1以上の整数で入力してください")),
            AtMost(10000, _l("参加者数は10000以下の整数で入力してください")),
        ],
    )
    hours = DecimalInputField(
        _l("時間数（講演・対応の時間）"),
        [
            Required(_l("時間数を入力してください")),
            AtLeast(0, _l("時間数は0より大きい数値で入力してください"), exclusive=True),
            AtMost(24, _l("時間数は1日24時間以内で入力してください")),
            QuarterHours(),
        ],
        description=_l(
            "作業時間の記録に、研修は「研修会での講演」、コンサルテーションは実施の方法の作業として記録します"
        ),
    )
    note = TextField(_l("備考"), column=HoursEntry.note)
    confirm_reserved = CheckField(_l("フォローアップ面談のために確保した時間を使うことを確認した"))

    def bind_context(self) -> None:
        edition = self.context.edition
        self.country.choices = select_choices((code, self._country_name(code)) for code in self.context.countries)
        if self.country.raw_data is None and self.country.data is None and len(self.context.countries) == 1:
            self.country.data = self.context.countries[0]
        self.topics.choices = select_choices(training_choices())
        self.items.choices = select_choices(consultation_choices_with_other())
        allowed = [
            a for a in SESSION_AUDIENCES if edition is None or edition.japan_side_may_join or a[0] not in JAPAN_SIDE
        ]
        self.audiences.choices = select_choices(allowed)
        self.language.choices = select_choices(self._languages(), blank=True)

    def _country_name(self, code: str) -> Any:
        edition = self.context.edition
        country = edition.country(code) if edition else None
        return localized(country.name_ja, country.name_en) if country else code

    def _languages(self) -> list[tuple[str, Any]]:
        """Japanese and the country's language(s), as the edition file lists them (別紙（B）)."""
        edition, code = self.context.edition, self.country.data
        country = edition.country(code) if edition and code else None
        codes: list[str] = list(country.training_languages) if country else []
        if not country and edition:
            codes = list(dict.fromkeys(lang for c in edition.countries for lang in c.training_languages))
        return [(c, LANGUAGES.get(c, c)) for c in codes]

    def validate_mode(self, field: Any) -> None:
        if _training(self) and field.data and field.data not in TRAINING_MODES:
            raise ValidationError(_l("研修は対面（会場）かWEB会議で実施したものを記録してください"))

    def validate_topics(self, field: Any) -> None:
        if not _training(self):
            return
        if not field.data:
            raise ValidationError(_l("研修のテーマを1つ以上選択してください"))
        error = audience_error(field.data, topic_audiences(self.audiences.data))
        if error:
            raise ValidationError(error)

    def validate_items(self, field: Any) -> None:
        if self.kind.data == "consultation" and not field.data:
            raise ValidationError(_l("コンサルテーションの項目を1つ以上選択してください"))

    def validate_audiences(self, field: Any) -> None:
        """「専門家による管理職向けコンサルテーション」: a consultation is for managers."""
        if self.kind.data == "consultation" and topic_audiences(field.data) not in ([], ["managers"]):
            raise ValidationError(_l("コンサルテーションの対象者は管理職です（管理職向けコンサルテーション）"))
