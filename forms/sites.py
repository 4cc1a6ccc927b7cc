"""A case's local sites, one per target country.

What belongs to a site — whether it exists or is only planned, whether the Japanese side applies for it and the
site itself wants the service — is asked per target country, on the application and again at the hearing, and
decided per country (workflows/dmn/site_eligibility.dmn runs once for each). The group field is named `sites`;
its sub-fields are named by country code (multipart `sites-CN-site_type`, JSON {"sites": {"CN": {...}}}).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from wtforms import Form, FormField
from wtforms.utils import unset_value

from forms.choices import APPLICATION_SITE_TYPES, SITE_STATUSES, localized, select_choices
from forms.fields import CheckField, ChoiceField, TextField

if TYPE_CHECKING:
    from workflows.editions import Country


class ApplicationSite(Form):
    """The application sheet's lines about one target country's site."""

    site_type = ChoiceField(_l("現地拠点の種類"), choices=select_choices(APPLICATION_SITE_TYPES, blank=True))
    site_name = TextField(_l("現地拠点名"))
    applied_by_japan_side = CheckField(_l("日本側から現地拠点分を申請"))
    site_wants_service = CheckField(_l("現地拠点がサービスを希望"))


class HearingSite(Form):
    """What the hearing confirms about one target country's site (only the edition's own conditions are kept)."""

    site_status = ChoiceField(_l("現地拠点の状況"), choices=select_choices(SITE_STATUSES, blank=True))
    applied_by_japan_side = CheckField(_l("日本側から現地拠点分を申請"))
    site_wants_service = CheckField(_l("現地拠点がサービスを希望"))


@cache
def _group_form(entry: type[Form], countries: tuple[Country, ...], omit: frozenset[str]) -> type[Form]:
    """One sub-form per country, labelled with its name; `omit` drops questions the edition does not ask."""
    kept = type(f"{entry.__name__}Kept", (entry,), dict.fromkeys(omit))  # None removes an inherited field
    fields: dict[str, Any] = {c.code: FormField(kept, localized(c.name_ja, c.name_en)) for c in countries}
    return type(f"{entry.__name__}ByCountry", (Form,), fields)


class SitesByCountry(FormField):
    """The `sites` group. Its countries (and the questions left out) come from the form that holds it,
    `form.site_countries()` and `form.site_questions_omitted()`, known only once that form has its context."""

    def __init__(self, entry: type[Form], label: Any = None, **kwargs: Any) -> None:
        super().__init__(Form, label, **kwargs)
        self.entry = entry

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        form: Any = self._form  # the form that holds the group (ApplicationForm, HearingForm)
        countries = tuple(form.site_countries()) if form is not None else ()
        omitted = frozenset(form.site_questions_omitted()) if form is not None else frozenset()
        self.form_class = _group_form(self.entry, countries, omitted)
        super().process(formdata, data, extra_filters)

    @property
    def errors(self) -> list[str]:  # type: ignore[override]
        """One list (「中国・現地拠点の種類：…」), so the API answers {"sites": [...]} like any other field."""
        return [
            f"{country.label.text}・{field.label.text}：{message}"
            for country in self.form
            for field in country.form
            for message in field.errors
        ]

    def by_country(self) -> dict[str, dict[str, Any]]:
        return {country.short_name: dict(country.data) for country in self.form}


def hearing_sites(application_sites: dict[str, dict[str, Any]], countries: Iterable[str]) -> dict[str, Any]:
    """What the hearing starts from for each target country: the application's statement of its site."""
    sites = {}
    for code in countries:
        stated = application_sites.get(code) or {}
        sites[code] = {
            "site_status": "planned" if stated.get("site_type") == "planned" else "existing",
            "applied_by_japan_side": bool(stated.get("applied_by_japan_side")),
            "site_wants_service": bool(stated.get("site_wants_service")),
        }
    return sites
