"""Short names for the report's rows and columns (the case pages keep the reasons' full sentences)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from forms.choices import localized
from workflows.service_menu import load_service_menu

from .edition_report import DECIDED_ON_REVIEW

REASON_LABELS = {
    "site_required": _l("対象国に拠点なし"),
    "no_domestic_experience": _l("国内での体制構築経験なし"),
    "site_consent_missing": _l("現地拠点の受講希望なし"),
    "not_willing": _l("体制整備の意思が確認できない"),
    "no_publicity_consent": _l("広報への協力に同意なし"),
    "prior_use_before_open_date": _l("過去の利用による受付開始日前"),
    DECIDED_ON_REVIEW: _l("審査による不採択（採択枠など）"),
    "other_site": _l("他の対象国の要件による不採択"),
}


def reason_label(code: str) -> Any:
    return REASON_LABELS.get(code, code)


def menu_label(code: str) -> Any:
    """A menu code with its name: 「B1 営業秘密とは」 (the code alone when the menu does not hold it)."""
    menu = load_service_menu()
    items = [*menu.consultation, *menu.training, *([menu.other_item] if menu.other_item else [])]
    for item in items:
        if item.code == code:
            return f"{code} {localized(item.name_ja, item.name_en)}"
    return code
