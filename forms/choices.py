"""Fixed choice lists shared by several forms, and helpers to turn (value, label) pairs into field choices.

Labels are lazy so they follow the request's locale; names that come from data files (countries, editions,
menu items) carry both languages and are picked with `localized`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l

try:
    from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
except ImportError:  # WTForms < 3.3 takes plain (value, label) pairs
    SelectChoice = None  # type: ignore[assignment,misc]

Pairs = Iterable[tuple[str, Any]]

BLANK = ("", _l("（未選択）"))

CONTACT_METHODS = (("phone", _l("電話")), ("web", _l("WEB会議")), ("visit", _l("面談")), ("email", _l("メール")))
SITE_STATUSES = (("existing", _l("現地拠点あり")), ("planned", _l("設立予定")))
DOMESTIC_EXPERIENCE = (("yes", _l("あり")), ("partly", _l("一部あり")), ("no", _l("なし")))
SITE_TYPES = (("subsidiary", _l("現地法人")), ("factory", _l("工場")), ("rep_office", _l("駐在員事務所")))
APPLICATION_SITE_TYPES = (*SITE_TYPES, ("planned", _l("設立予定")))
DECISIONS = (("adopt", _l("採択")), ("reject", _l("不採択")))
HEARING_OUTCOMES = (("held", _l("実施した")), ("not_needed", _l("不要と判断した（理由を記録）")))
TRAINING_AUDIENCES = (("managers", _l("管理職")), ("employees", _l("従業員")), ("both", _l("管理職・従業員")))
DESIRED_SERVICES = (("consultation", _l("（A）コンサルテーション")), ("training", _l("（B）研修")))
SELF_CHECK_ANSWERS = (
    ("done", _l("実施済")),
    ("partly", _l("一部実施")),
    ("not_done", _l("未実施")),
    ("na", _l("該当なし")),
)

LANGUAGES = {
    "ja": _l("日本語"),
    "zh": _l("中国語"),
    "th": _l("タイ語"),
    "vi": _l("ベトナム語"),
    "en": _l("英語"),
    "id": _l("インドネシア語"),
    "ms": _l("マレー語"),
}


def select_choices(pairs: Pairs, *, blank: bool = False) -> list[Any]:
    """Field choices from pairs; `blank` adds an empty first option for optional selects."""
    rows = [BLANK, *pairs] if blank else list(pairs)
    if SelectChoice is None:
        return rows
    return [SelectChoice(value=value, label=label) for value, label in rows]


def localized(ja: str, en: str) -> LazyString:
    """A data-file name in the request's language (Japanese unless the locale is English)."""
    return LazyString(lambda: en if _english() else ja)


def long_date(day: date) -> LazyString:
    """2021年7月15日, or 15 July 2021 in English."""
    return localized(f"{day.year}年{day.month}月{day.day}日", f"{day.day} {day:%B %Y}")


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"
