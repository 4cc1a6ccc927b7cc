"""申込書: staff register a received application (the company's sealed PDF arrives by email)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import Form, FormField
from wtforms.utils import unset_value
from wtforms.validators import Email, StopValidation, ValidationError

from forms.base import TaskForm
from forms.choices import (
    DESIRED_SERVICES,
    DOMESTIC_EXPERIENCE,
    localized,
    long_date,
    select_choices,
)
from forms.fields import (
    CheckField,
    ChoiceField,
    DateInputField,
    DecimalInputField,
    IntegerInputField,
    MailField,
    MemoField,
    MultiCheckboxField,
    TextField,
    TimeInputField,
    is_blank,
    nfkc,
)
from forms.sites import ApplicationSite, SitesByCountry
from forms.uploads import PDF, UploadCheck
from forms.validators import AtLeast, Required, format_hours
from webapp.models import Company  # column lengths only: forms never touch the database
from workflows.clock import clock

if TYPE_CHECKING:
    from workflows.editions import Country, Edition

CORPORATE_NUMBER = re.compile(r"[0-9]{13}")


def _not_negative(what: Any) -> list[Any]:
    return [AtLeast(0, _l("%(what)sは0以上の数値で入力してください", what=what))]


def _countries(editions: Mapping[str, Edition]) -> dict[str, Country]:
    """Every edition's countries; a code keeps the first edition's name."""
    countries: dict[str, Country] = {}
    for edition in editions.values():
        for country in edition.countries:
            countries.setdefault(country.code, country)
    return countries


def _taking_applications(edition: Edition) -> bool:
    """Between the announcement and the end of the support period (registration refuses other days)."""
    now = clock.now()
    return edition.announced_on <= now.astimezone(edition.support_period_end.tzinfo).date() and (
        now <= edition.support_period_end
    )


def _with_prior_use_rule(editions: Mapping[str, Edition]) -> dict[str, Edition]:
    """The editions taking applications now whose file has a prior-use rule: the form asks their countries."""
    return {code: e for code, e in editions.items() if e.prior_use is not None and _taking_applications(e)}


@cache
def _prior_use_form(countries: tuple[Country, ...]) -> type[Form]:
    """One hours field per country (the group's fields are named by country code: prior_use-CN …)."""
    fields = {
        c.code: DecimalInputField(localized(c.name_ja, c.name_en), _not_negative(_l("利用時間"))) for c in countries
    }
    return type("PriorUseByCountryForm", (Form,), fields)


class PriorUseByCountry(FormField):
    """The application's statement of earlier use of the program, per target country: the hours the system's own
    ledger does not hold (years before it). Its countries are those of the editions with a prior-use rule, known
    only once the form has its context, so the group is built when the form is."""

    def __init__(self, label: Any = None, **kwargs: Any) -> None:
        super().__init__(Form, label, **kwargs)

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        form = self._form
        editions = _with_prior_use_rule(form._editions()) if isinstance(form, ApplicationForm) else {}
        self.form_class = _prior_use_form(tuple(_countries(editions).values()))
        super().process(formdata, data, extra_filters)

    @property
    def errors(self) -> list[str]:  # type: ignore[override]
        """One list (「中国大陸：…」), so the API answers {"prior_use": [...]} like any other field."""
        return [f"{sub.label.text}：{message}" for sub in self.form for message in sub.errors]

    def hours(self) -> dict[str, Decimal]:
        """The hours stated, by country code (blank fields left out)."""
        return {sub.short_name: sub.data for sub in self.form if sub.data is not None}


class ApplicationForm(TaskForm):
    edition = ChoiceField(_l("事業（年度）"), [Required(_l("事業（年度）を選択してください"))])
    received_on = DateInputField(_l("申込書受領日"), [Required(_l("申込書受領日を入力してください"))])
    received_time = TimeInputField(
        _l("申込メールの受信時刻"),
        [Required(_l("申込メールの受信時刻を入力してください（例: 10:30）"))],
        description=_l("受付順（先着順）は受領日と受信時刻で決まります。同じ時刻のときは案件番号の若い順です。"),
    )
    company_name = TextField(_l("会社名"), [Required(_l("会社名を入力してください"))], column=Company.name)
    company_name_en = TextField(_l("会社名（英語）"), column=Company.name_en)
    corporate_number = TextField(
        _l("法人番号"), filters=[nfkc], description=_l("13桁の数字"), column=Company.corporate_number
    )
    hq_address = TextField(_l("本社所在地"), column=Company.hq_address)
    representative = TextField(_l("代表者役職・氏名"), column=Company.representative)
    capital_jpy = IntegerInputField(_l("資本金（円）"), _not_negative(_l("資本金")))
    employees_hq = IntegerInputField(_l("従業員数（本社）"), _not_negative(_l("従業員数")))
    employees_local = IntegerInputField(_l("従業員数（現地拠点）"), _not_negative(_l("従業員数")))
    industry = TextField(_l("業種"), column=Company.industry)
    is_sme = CheckField(_l("中小企業に該当する"))
    contact_department = TextField(_l("担当部署"), [Required(_l("担当部署を入力してください"))])
    contact_name = TextField(
        _l("担当者氏名"), [Required(_l("担当者氏名を入力してください"))], column=Company.contact_name
    )
    contact_phone = TextField(_l("担当者電話番号"))
    contact_email = MailField(
        _l("担当者メールアドレス"),
        [
            Required(_l("担当者メールアドレスを入力してください")),
            Email(_l("メールアドレスの形式が正しくありません。例: taro@example.co.jp")),
        ],
        column=Company.contact_email,
    )
    countries = MultiCheckboxField(_l("対象国"), [Required(_l("対象国を1つ以上選択してください"))])
    sites = SitesByCountry(
        ApplicationSite,
        _l("現地拠点（対象国ごと）"),
        description=_l("対象国に選んだ国・地域について記入します（ほかの国の欄は空欄のまま）。"),
    )
    domestic_experience = ChoiceField(
        _l("国内での営業秘密管理体制構築の経験"), choices=select_choices(DOMESTIC_EXPERIENCE, blank=True)
    )
    desired_services = MultiCheckboxField(_l("希望するサービス"), choices=select_choices(DESIRED_SERVICES))
    training_headcount = IntegerInputField(_l("研修の想定参加人数"), _not_negative(_l("参加人数")))
    prior_use = PriorUseByCountry(_l("本事業の過去の利用時間（このシステムに記録のない分）"))
    publicity_consent = CheckField(_l("広報への協力に同意"))
    local_status = MemoField(_l("現地の状況・課題"))
    sealed_pdf = FileField(_l("捺印済みの申込書（PDF）"), [UploadCheck(PDF)], description=_l("PDF形式、10MB以下"))

    def bind_context(self) -> None:
        editions = self._editions()
        self.edition.choices = select_choices((e.code, localized(e.name_ja, e.name_en)) for e in editions.values())
        countries = _countries(editions)
        self.countries.choices = select_choices((c.code, localized(c.name_ja, c.name_en)) for c in countries.values())
        if self.edition.raw_data is None and self.edition.data is None and self.context.edition:
            self.edition.data = self.context.edition.code  # shown preselected; a post must still send it
        self._bind_prior_use(editions)

    def _bind_prior_use(self, editions: Mapping[str, Edition]) -> None:
        """Asked only while an edition with the rule takes applications, labelled with its own year, hours and
        date."""
        ruled = _with_prior_use_rule(editions)
        if not ruled:
            del self["prior_use"]
            return
        years = {e.prior_use.since_fiscal_year for e in ruled.values() if e.prior_use}
        if len(years) == 1:
            self.prior_use.label.text = _l(
                "%(year)d年度以降の本事業の利用時間（このシステムに記録のない分）", year=next(iter(years))
            )
        rules = [
            _l(
                "%(program)s：%(year)d年度以降、同地域で%(hours)s時間以上の利用がある場合、その地域は%(date)sから"
                "受け付けます。",
                program=localized(e.name_ja, e.name_en),
                year=e.prior_use.since_fiscal_year,
                hours=format_hours(e.prior_use.threshold_hours),
                date=long_date(e.prior_use.accept_from),
            )
            for e in ruled.values()
            if e.prior_use
        ]
        intro = _l(
            "申込書の記載を対象国ごとに入力します（利用がなければ空欄）。時間記録のある年度の分は自動で数えます。"
        )
        self.prior_use.description = " ".join(str(text) for text in (intro, *rules))

    def site_countries(self) -> Iterable[Country]:
        return _countries(self._editions()).values()

    def site_questions_omitted(self) -> tuple[str, ...]:
        return ()

    def _editions(self) -> Mapping[str, Edition]:
        context = self.context
        if context.editions:
            return context.editions
        return {context.edition.code: context.edition} if context.edition else {}

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        return self._check_prior_use() and self._check_sites() and valid

    def _check_sites(self) -> bool:
        """A site is described only for a chosen country (a line filled in for another is a slip: say so)."""
        chosen = set(self.countries.data or ())
        valid = True
        for country in self.sites.form:
            described = any(not is_blank(country.form[name].data) for name in ("site_type", "site_name"))
            if described and country.short_name not in chosen:
                country.form.site_type.errors.append(str(_l("対象国に選ばれていません")))
                valid = False
        self._errors = None
        return valid

    def _check_prior_use(self) -> bool:
        """Hours are stated only for the application's own countries, and only where its edition has the rule."""
        if "prior_use" not in self:
            return True
        edition = self._editions().get(self.edition.data or "")
        if edition is None:
            return True
        chosen = set(self.countries.data or ())
        valid = True
        for sub in self.prior_use.form:
            if not sub.data or sub.errors:  # blank or 0 says nothing; a parse error already says why
                continue
            if edition.prior_use is None:
                message = _l(
                    "%(edition)sには過去の利用による受付開始日の定めがないため、入力は不要です",
                    edition=localized(edition.name_ja, edition.name_en),
                )
            elif sub.short_name not in chosen:
                message = _l("%(country)sは対象国に選ばれていません", country=sub.label.text)
            else:
                continue
            sub.errors.append(str(message))
            valid = False
        self._errors = None
        return valid

    def validate_received_on(self, field: Any) -> None:
        """Not in the future, nor before the edition's announcement: the earliest date an edition has (its
        intake opens then; a region with prior use at or over the edition's threshold opens later, from its
        prior_use.accept_from, which registration checks per region: webapp/operations/prior_use.py)."""
        edition = self._editions().get(self.edition.data or "")
        if field.data is None or edition is None:
            return
        today = clock.now().astimezone(edition.support_period_end.tzinfo).date()
        if field.data > today:
            raise ValidationError(_l("申込書受領日に未来の日付は指定できません（今日は%(today)sです）", today=today))
        if field.data < edition.announced_on:
            raise ValidationError(
                _l("申込書受領日は募集開始日（%(date)s）以降の日付にしてください", date=edition.announced_on)
            )

    def validate_received_time(self, field: Any) -> None:
        """Received today: not later than now (Japan time, the editions' zone)."""
        edition = self._editions().get(self.edition.data or "")
        if field.data is None or edition is None:
            return
        now = clock.now().astimezone(edition.support_period_end.tzinfo)
        if self.received_on.data == now.date() and field.data > now.time():
            raise ValidationError(
                _l("受信時刻に未来の時刻は指定できません（現在は%(now)sです）", now=now.strftime("%H:%M"))
            )

    def validate_corporate_number(self, field: Any) -> None:
        if field.data and not CORPORATE_NUMBER.fullmatch(field.data):
            raise ValidationError(_l("法人番号は13桁の数字で入力してください"))

    def validate_countries(self, field: Any) -> None:
        edition = self._editions().get(self.edition.data or "")
        if edition is None:
            return  # the edition field reports that
        names = _countries(self._editions())
        errors = [
            _l(
                "%(country)sは%(edition)sの対象国ではありません",
                country=localized(names[code].name_ja, names[code].name_en),
                edition=localized(edition.name_ja, edition.name_en),
            )
            for code in field.data
            if code in names and code not in edition.country_codes
        ]
        if errors:
            field.errors.extend(errors)  # one message per country
            raise StopValidation()
