"""Forms for JETRO staff tasks: receipt, hearing, adoption, plan confirmation, publicity."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import Form
from wtforms.validators import StopValidation, ValidationError

from forms.base import TaskForm
from forms.choices import (
    CONTACT_METHODS,
    DECISIONS,
    DOMESTIC_EXPERIENCE,
    HEARING_OUTCOMES,
    SITE_TYPES,
    localized,
    select_choices,
)
from forms.fields import (
    CheckField,
    ChoiceField,
    DateInputField,
    MemoField,
    RadioChoiceField,
    TextField,
    is_blank,
)
from forms.sites import HearingSite, SitesByCountry
from forms.uploads import PDF, UploadCheck
from forms.validators import MustCheck, MustCheckIf, Required, RequiredIf

if TYPE_CHECKING:
    from workflows.editions import Country

PDF_HINT = _l("PDF形式、10MB以下")


class ReceiptConfirmationForm(TaskForm):
    sealed_pdf_confirmed = CheckField(
        _l("捺印済みの申込書PDFを確認した"), [MustCheck(_l("捺印済みの申込書PDFを確認してください"))]
    )
    sealed_pdf = FileField(_l("捺印済みの申込書（PDF）"), [UploadCheck(PDF)], description=PDF_HINT)
    note = MemoField(_l("備考"))


def _hearing_held(form: Any) -> bool:
    return "hearing_held" not in form or form.hearing_held.data != "not_needed"


class HearingForm(TaskForm):
    # The application already answered these; the hearing confirms them.
    prefill_keys = (
        "sites",
        "domestic_experience",
        "publicity_consent",
    )  # prior use is not asked here: registration applies that rule, per region (webapp/operations/prior_use.py)

    hearing_held = RadioChoiceField(
        _l("ヒアリング"), choices=select_choices(HEARING_OUTCOMES), default="held"
    )  # asked only where the edition lets the hearing be skipped (FY2025's 「適宜」)
    not_needed_reason = MemoField(_l("ヒアリングを不要とした理由"))
    hearing_date = DateInputField(
        _l("ヒアリング実施日"), [RequiredIf(lambda form: _hearing_held(form), _l("ヒアリング実施日を入力してください"))]
    )
    method = ChoiceField(_l("ヒアリングの方法"), choices=select_choices(CONTACT_METHODS, blank=True))
    sites = SitesByCountry(HearingSite, _l("現地拠点（対象国ごと）"))
    domestic_experience = ChoiceField(
        _l("国内での営業秘密管理体制構築の経験"), choices=select_choices(DOMESTIC_EXPERIENCE, blank=True)
    )
    willing_to_build = CheckField(_l("管理体制の整備に取り組む意思"))
    publicity_consent = CheckField(_l("広報への協力に同意"))
    management_status = MemoField(_l("営業秘密管理体制導入の検討状況"))
    notes = MemoField(_l("メモ"))

    def validate_not_needed_reason(self, field: Any) -> None:  # WTForms calls validate_<field name>
        if not _hearing_held(self) and is_blank(field.data):
            raise StopValidation(_l("ヒアリングを不要とした理由を入力してください"))

    def bind_context(self) -> None:
        """Only the edition's own conditions are asked, with its own figures."""
        edition = self.context.edition
        if edition is None:
            return
        if edition.hearing_required:
            del self["hearing_held"]
            del self["not_needed_reason"]
            self.hearing_date.flags.required = True
        if not edition.requires_willingness:
            del self["willing_to_build"]
        if not edition.requires_domestic_experience:
            del self["domestic_experience"]
        if not self.sites.form.data or not any(country.form.data for country in self.sites.form):
            del self["sites"]  # no site condition in this edition (or no country): nothing to ask per site

    def site_countries(self) -> list[Country]:
        """The case's target countries, as the edition names them."""
        edition = self.context.edition
        codes = self.context.countries or self.context.task_data.get("countries") or ()
        found = [edition.country(code) for code in codes] if edition else []
        return [c for c in found if c is not None]

    def site_questions_omitted(self) -> tuple[str, ...]:
        """A condition the edition does not have is not asked (FY2025 takes planned sites; consent where required)."""
        edition = self.context.edition
        if edition is None:
            return ()
        omitted = ("site_status",) if edition.allows_planned_site else ()
        return omitted + (() if edition.requires_site_consent else ("applied_by_japan_side", "site_wants_service"))


def _rejected(form: Any) -> bool:
    return form.decision.data == "reject"


def _against_recommendation(form: Any) -> bool:
    """Adopting a case the eligibility table found short of a condition (a person may; they say why)."""
    return form.decision.data == "adopt" and bool(form.context.task_data.get("ineligible_reasons"))


class AdoptionDecisionForm(TaskForm):
    """The eligibility table recommends; a person decides, and confirms a rejection before it is sent."""

    decision = RadioChoiceField(
        _l("採否"), [Required(_l("採択・不採択のどちらかを選択してください"))], choices=select_choices(DECISIONS)
    )
    reason = MemoField(
        _l("理由"), description=_l("不採択の場合、または審査結果が「要件を満たさない」案件を採択する場合は必須")
    )
    beyond_plan_reason = MemoField(
        _l("予定採択件数を超えて採択する理由（リーダーのみ）"),
        description=_l("採択件数が予定に達した後も採択する場合に記入します"),
    )
    confirm_notice = CheckField(
        _l("不採択の通知（理由を含む）を企業に送ることを確認しました"),
        [MustCheckIf(_rejected, _l("不採択の通知を送る前に、内容を確認してチェックしてください"))],
    )

    def validate_reason(self, field: Any) -> None:  # WTForms calls validate_<field name>
        if not is_blank(field.data):
            return
        if _rejected(self):
            raise StopValidation(_l("不採択の理由を入力してください"))
        if _against_recommendation(self):
            raise StopValidation(_l("要件を満たさない案件を採択する場合は、その理由を入力してください"))


class PlanConfirmationForm(TaskForm):
    service_dates = ("start_date", "end_date")  # inside the support period (webapp checks with the adoption day)

    start_date = DateInputField(_l("支援開始日"), [Required(_l("支援開始日を入力してください"))])
    end_date = DateInputField(_l("支援終了日"), [Required(_l("支援終了日を入力してください"))])
    schedule = MemoField(_l("実施スケジュール"), [Required(_l("実施スケジュールを入力してください"))])
    agreed_by_company = CheckField(
        _l("企業と内容・時期について合意した"), [MustCheck(_l("企業との合意を確認してください"))]
    )
    agreed_by_expert = CheckField(
        _l("専門家と内容・時期について合意した"), [MustCheck(_l("専門家との合意を確認してください"))]
    )

    def bind_context(self) -> None:
        end = self._period_end()
        if end:
            self.end_date.description = _l("支援期間は%(end)sまでです", end=_long_date(end))

    def _period_end(self) -> Any:
        edition = self.context.edition
        return edition.support_period_end.date() if edition else None

    def validate_end_date(self, field: Any) -> None:
        start, end, period_end = self.start_date.data, field.data, self._period_end()
        if start and end and end < start:
            raise ValidationError(_l("支援終了日は支援開始日以降の日付にしてください"))
        if end and period_end and end > period_end:
            raise ValidationError(_l("支援期間（%(end)s）までの日付にしてください", end=_long_date(period_end)))


def _long_date(day: Any) -> Any:
    return localized(f"{day.year}年{day.month}月{day.day}日", f"{day.day} {day:%B %Y}")


def _publishing(form: Any) -> bool:
    return bool(form.publish.data)


def _needed_to_publish(message: Any) -> list[Any]:
    return [RequiredIf(_publishing, message)]


class PublicityForm(TaskForm):
    prefill_keys = ("industry",)

    publish = CheckField(_l("事例として公開する"))
    consent_to_be_named = CheckField(
        _l("企業名の公表に同意"), description=_l("同意がない場合は「A社（精密機器、タイ）」のように匿名で紹介します")
    )
    industry = TextField(_l("業種"), _needed_to_publish(_l("公開する場合は業種を入力してください")))
    city = TextField(_l("都市"))
    site_type = ChoiceField(_l("拠点の種類"), choices=select_choices(SITE_TYPES, blank=True))
    company_size = TextField(_l("企業規模"))
    issues = MemoField(_l("課題"), _needed_to_publish(_l("公開する場合は課題を入力してください")))
    support_given = MemoField(_l("支援内容"), _needed_to_publish(_l("公開する場合は支援内容を入力してください")))
    measures = MemoField(_l("導入した対策"), _needed_to_publish(_l("公開する場合は導入した対策を入力してください")))
    company_voice = MemoField(_l("企業の声"))


class OriginalApplicationForm(Form):
    """FY2021: the signed original also comes by post (「申請書原本の郵送先については、改めて個別にご連絡」): when
    the company sent it and when it reached JETRO. Not a task: staff record it on the case when it happens."""

    sent_on = DateInputField(_l("企業が原本を発送した日"))
    received_on = DateInputField(_l("ジェトロが原本を受領した日"))

    def validate_received_on(self, field: Any) -> None:
        if field.data and self.sent_on.data and field.data < self.sent_on.data:
            raise ValidationError(_l("受領日は発送日（%(date)s）以降の日付にしてください", date=self.sent_on.data))
