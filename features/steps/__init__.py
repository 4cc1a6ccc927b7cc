"""Step definitions per area; features/conftest.py imports them all, so every feature can use every step.

`R("...")` writes a step pattern in the program's words with a few named placeholders:
{年度} an edition, {国} one country, {国の} an optional 「中国の」, {国々} one or more countries (「中国・ベトナム」), {役割} who acts,
{会社} a company name, {タスク} a task's name, {文} quoted text, {数} a number, {日付} YYYY-MM-DD,
{作業} a kind of work in the hours ledger.
"""

from __future__ import annotations

from pytest_bdd import parsers

_COUNTRY = "中国大陸|中国|タイ|ベトナム|シンガポール|インドネシア"
_ROLE = (
    "ジェトロ担当者|ジェトロのリーダー|別のジェトロ担当者|他社の申請企業|申請企業|プロセス設計者"
    f"|(?:{_COUNTRY})担当の現地専門家"
)
_ACTIVITY = (
    "支援後のフォローアップ面談|専門家の出張（移動時間）|契約書・規則類のレビュー|研修会での講演|資料作成"
    "|WEB会議|面談|電話|メール"
)
TOKENS = {
    "{年度}": r"(?P<edition>20\d\d年度)",
    "{国々}": rf"(?P<countries>(?:{_COUNTRY})(?:[・、](?:{_COUNTRY}))*)",
    "{国の}": rf"(?:(?P<country>{_COUNTRY})の)?",
    "{国}": rf"(?P<country>{_COUNTRY})",
    "{役割}": rf"(?P<role>{_ROLE})",
    "{役割2}": rf"(?P<role2>{_ROLE})",
    "{会社}": r"(?P<company>[^、「」（）\s]*株式会社[^、「」（）\sのと]*)",
    "{タスク}": r"(?P<task>[^」]+)",
    "{文}": r"(?P<text>[^」]+)",
    "{数}": r"(?P<number>\d+(?:\.\d+)?)",
    "{日付}": r"(?P<date>\d{4}-\d{2}-\d{2})",
    "{日時}": r"(?P<when>\d{4}-\d{2}-\d{2} \d{2}:\d{2})",
    "{作業}": rf"(?P<activity>{_ACTIVITY})",
}


def R(pattern: str) -> parsers.re:  # noqa: N802 (reads like a constructor in the decorators)
    """A step pattern in Japanese with the placeholders above (matched against the whole step).

    The rest of the pattern is a regular expression too (the program's words use full-width brackets,
    so they need no escaping), which lets a step spell out its own alternatives: 「(?P<x>はい|いいえ)」.
    """
    regex = pattern
    for token, group in TOKENS.items():
        regex = regex.replace(token, group)
    return parsers.re(regex)
