"""Forms for the local expert's tasks: briefing and selection, service delivery, follow-up."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from forms.base import TaskForm
from forms.choices import CONTACT_METHODS, LANGUAGES, TRAINING_AUDIENCES, localized, select_choices
from forms.fields import (
    CheckField,
    ChoiceField,
    DateInputField,
    DecimalInputField,
    MemoField,
    MultiCheckboxField,
    TextField,
)
from forms.validators import AtLeast, MustCheck, QuarterHours, Required, RequiredIf, format_hours
from workflows.service_menu import MenuItem, load_service_menu

AUDIENCE_LABELS = dict(TRAINING_AUDIENCES)


def _audience_label(item: MenuItem) -> Any:
    code = "both" if len(item.audiences) > 1 else (item.audiences or ("both",))[0]
    return AUDIENCE_LABELS[code]


def consultation_choices() -> list[tuple[str, Any]]:
    return [
        (i.code, localized(f"{i.code} {i.name_ja}", f"{i.code} {i.name_en}")) for i in load_service_menu().consultation
    ]


def consultation_choices_with_other() -> list[tuple[str, Any]]:
    """Menu A and 「その他（専門家と協議）」: the menu is an example (「内容が変更となる場合があります」)."""
    other = load_service_menu().other_item
    return [*consultation_choices(), *([(other.code, localized(other.name_ja, other.name_en))] if other else [])]


def other_chosen(codes: list[str] | None) -> bool:
    other = load_service_menu().other_item
    return other is not None and other.code in (codes or [])


def training_choices() -> list[tuple[str, Any]]:
    return [
        (
            i.code,
            _l(
                "%(topic)s（対象：%(audience)s）",
                topic=localized(f"{i.code} {i.name_ja}", f"{i.code} {i.name_en}"),
                audience=_audience_label(i),
            ),
        )
        for i in load_service_menu().training
    ]


def _has_training(form: Any) -> bool:
    return bool(form.training_topics.data)


def topic_misfits(codes: list[str], audiences: list[str]) -> list[str]:
    """Topics of menu B meant for none of the audiences present (B4 is for employees, B6 for managers...)."""
    menu = load_service_menu()
    topics = [menu.training_topic(code) for code in codes]
    return [t.code for t in topics if t is not None and audiences and not any(t.suits(a) for a in audiences)]


def audience_error(codes: list[str], audiences: list[str]) -> Any:
    misfits = topic_misfits(codes, audiences)
    if not misfits:
        return None
    names = "、".join(str(AUDIENCE_LABELS.get(a, a)) for a in audiences)
    return _l(
        "%(topics)sは対象者（%(audience)s）向けのテーマではありません。テーマか対象者を選び直してください",
        topics="、".join(misfits),
        audience=names,
    )


class ExpertBriefingForm(TaskForm):
    service_dates = ("briefing_date",)  # inside the support period (checked with the adoption day)

    briefing_date = DateInputField(_l("説明実施日"), [Required(_l("説明実施日を入力してください"))])
    consultation_items = MultiCheckboxField(_l("（A）コンサルテーションの依頼内容"))
    other_request = TextField(
        _l("その他の依頼内容"),
        [
            RequiredIf(
                lambda form: other_chosen(form.consultation_items.data),
                _l("その他（専門家と協議）の内容を入力してください"),
            )
        ],
        description=_l("「その他（専門家と協議）」を選んだ場合、専門家と協議して決めた内容"),
    )
    training_topics = MultiCheckboxField(_l("（B）研修のテーマ"))
    training_audience = ChoiceField(
        _l("研修の対象者"),
        [RequiredIf(_has_training, _l("研修の対象者を選択してください"))],
        choices=select_choices(TRAINING_AUDIENCES, blank=True),
    )
    training_language = ChoiceField(_l("研修の言語"), [RequiredIf(_has_training, _l("研修の言語を選択してください"))])
    estimated_hours = DecimalInputField(
        _l("想定時間数"),
        [
            Required(_l("想定時間数を入力してください")),
            AtLeast(0, _l("想定時間数は0より大きい数値で入力してください"), exclusive=True),
            QuarterHours(),
        ],
    )
    follow_up_reserved = DecimalInputField(
        _l("フォローアップ面談のために確保する時間数"),
        [AtLeast(0, _l("確保する時間数は0以上の数値で入力してください")), QuarterHours()],
        description=_l("想定時間数のうち、支援後のフォローアップ面談に残しておく時間（上限の時間に含まれます）"),
    )
    expert_comment = MemoField(_l("専門家コメント"), description=_l("様式2（専門家コメントシート）の内容"))
    priority_measures = MemoField(_l("優先して導入すべき対策"))
    japan_side_participants = CheckField(
        _l("日本企業の管理職・社員も参加する"),
        description=_l("現地拠点だけでなく、日本企業の管理職・社員も研修・コンサルテーションに参加する場合"),
    )

    def bind_context(self) -> None:
        edition = self.context.edition
        if edition is not None and not edition.japan_side_may_join:
            del self["japan_side_participants"]  # only where the edition's text allows it (FY2025 footnote 1)
        self.consultation_items.choices = select_choices(consultation_choices_with_other())
        self.training_topics.choices = select_choices(training_choices())
        self.training_language.choices = select_choices(self._languages(), blank=True)
        cap, remaining = self.context.effective_hour_cap(), self.context.remaining_hours()
        if cap is not None and remaining is not None:
            self.estimated_hours.description = _l(
                "1カ国あたりの上限は%(cap)s時間で、残りは%(remaining)s時間です（移動時間は含みません）",
                cap=format_hours(cap),
                remaining=format_hours(remaining),
            )

    def _languages(self) -> list[tuple[str, Any]]:
        country = self.context.country_info()
        codes = country.training_languages if country else tuple(LANGUAGES)
        return [(code, LANGUAGES.get(code, code)) for code in codes]

    def validate_consultation_items(self, field: Any) -> None:
        if not field.data and not self.training_topics.data:
            raise ValidationError(_l("依頼内容を1つ以上選択してください"))

    def validate_estimated_hours(self, field: Any) -> None:
        """Against what the cap account has left (hours already used in this edition count), not the full cap."""
        cap, remaining = self.context.effective_hour_cap(), self.context.remaining_hours()
        if field.data is not None and cap is not None and remaining is not None and field.data > remaining:
            raise ValidationError(
                _l(
                    "想定時間数が上限（%(cap)s時間）の残り（%(remaining)s時間）を超えています。"
                    "%(remaining)s時間以内にしてください。",
                    cap=format_hours(cap),
                    remaining=format_hours(remaining),
                )
            )

    def validate_follow_up_reserved(self, field: Any) -> None:
        estimated = self.estimated_hours.data
        if field.data is not None and estimated is not None and field.data > estimated:
            raise ValidationError(
                _l("確保する時間数は想定時間数（%(hours)s時間）以内にしてください", hours=format_hours(estimated))
            )

    def validate_training_topics(self, field: Any) -> None:
        audience = self.training_audience.data
        audiences = ["managers", "employees"] if audience == "both" else [audience] if audience else []
        error = audience_error(field.data or [], audiences)
        if error:
            raise ValidationError(error)


class ServiceDeliveryForm(TaskForm):
    service_summary = MemoField(_l("実施内容の概要"), [Required(_l("実施内容の概要を入力してください"))])
    measures_introduced = MemoField(_l("導入された対策"))
    # Trainings are recorded one session each (date, topics, audience, language, attendees: forms/sessions.py),
    # not as a tick and a head count here.
    completed = CheckField(_l("サービス提供が完了した"), [MustCheck(_l("サービス提供の完了を確認してください"))])


class FollowUpForm(TaskForm):
    service_dates = ("meeting_date",)  # inside the support period (checked with the adoption day)

    meeting_date = DateInputField(_l("フォローアップ面談日"), [Required(_l("フォローアップ面談日を入力してください"))])
    method = ChoiceField(_l("面談の方法"), choices=select_choices(CONTACT_METHODS, blank=True))
    attendees = TextField(_l("出席者"))
    outcome = MemoField(_l("面談の結果"), [Required(_l("面談の結果を入力してください"))])
    remaining_issues = MemoField(_l("残された課題"))
