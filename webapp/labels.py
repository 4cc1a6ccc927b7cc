"""Display names for codes kept in data (stages, statuses, reasons), in one place."""

from flask_babel import lazy_gettext as _l

from forms.choices import localized
from workflows.editions import Edition

STAGE_LABELS = {
    "receipt": _l("受領確認"),
    "hearing": _l("ヒアリング"),
    "adoption": _l("採否"),
    "forms": _l("様式提出"),
    "briefing": _l("専門家説明"),
    "plan": _l("実施内容の確定"),
    "service": _l("サービス提供"),
    "follow_up": _l("フォローアップ"),
    "publicity": _l("広報"),
    "completed": _l("支援完了"),
    "rejected": _l("不採択"),
    "ineligible": _l("不採択（要件外）"),
    "withdrawn": _l("辞退"),
    "cancelled": _l("中止"),
    "support_period_ended": _l("支援期間の終了により終了"),
}

STATUS_LABELS = {
    "active": _l("支援中"),
    "ineligible": _l("不採択（要件外）"),
    "rejected": _l("不採択"),
    "completed": _l("完了"),
    "withdrawn": _l("辞退"),
    "suspended": _l("中断中"),
    "cancelled": _l("中止"),
}

# Codes produced by workflows/dmn/eligibility.dmn. "prior_use_before_open_date" is no longer produced (registration
# applies the prior-use rule per region: operations/prior_use.py); it stays for the reasons recorded by the table of
# earlier process versions, which running cases keep.
INELIGIBLE_REASON_LABELS = {
    "site_required": _l(
        "対象国に現地法人・工場・駐在員事務所を有していません（この年度は設立予定の企業は対象外です）。"
    ),
    "no_domestic_experience": _l("日本企業において、国内の営業秘密管理体制構築の経験がありません。"),
    "site_consent_missing": _l("日本側からの申請ですが、現地拠点が本サービスを受けることを希望していません。"),
    "not_willing": _l("営業秘密管理体制の整備に積極的に取り組む意思が確認できません。"),
    "no_publicity_consent": _l("事業終了後の広報（事例紹介など）への協力に同意していません。"),
    "prior_use_before_open_date": _l(
        "%(year)d年度以降に同地域で%(hours)s時間以上の利用があるため、受け付けは%(date)sからです"
        "（申込書受領日がそれより前です）。"
    ),
}

CLOSED_REASON_LABELS = {
    "completed": _l("支援完了"),
    "support_period_ended": _l("支援期間の終了により終了"),
}

ROLE_LABELS = {
    "staff": _l("ジェトロ担当者"),
    "expert": _l("現地専門家"),
    "applicant": _l("申請企業"),
    "designer": _l("プロセス設計者"),
    "admin": _l("管理者"),
}


def reason_text(code: str, edition: Edition | None) -> str:
    """The reason in words, with the edition's own figures (its prior-use year, hours and date). A site's reason
    ("TH:site_consent_missing", from site_eligibility.dmn) names its country: 「タイ：…」."""
    country_code, _sep, site_code = code.rpartition(":")
    if country_code:
        country = edition.country(country_code) if edition else None
        name = localized(country.name_ja, country.name_en) if country else country_code
        return f"{name}：{reason_text(site_code, edition)}"
    label = INELIGIBLE_REASON_LABELS.get(code)
    if label is None:
        return code
    rule = edition.prior_use if edition else None
    if code == "prior_use_before_open_date" and rule is not None:
        hours = f"{rule.threshold_hours.normalize():f}"
        return str(label) % {
            "year": rule.since_fiscal_year,
            "hours": hours,
            "date": f"{rule.accept_from:%Y年%-m月%-d日}",
        }
    return str(label)


# How an adopted case counts toward the planned number (the edition file's adoption_counts)
ADOPTION_COUNT_LABELS = {
    "case": _l("1件の申込を1件と数えます（対象国の数によらない）"),
    "country": _l("対象国ごとに1件と数えます"),
}
