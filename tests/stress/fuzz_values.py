"""The fuzz run's vocabulary: every documented field (docs/api.md) with a valid value and its kind, and hostile
values per kind; out-of-range and Unicode-digit ids, non-finite and huge numbers, over-long strings, NUL, lone
surrogates, wrong JSON shapes, and raw bodies that are not JSON objects or not JSON at all."""

from __future__ import annotations

from typing import Any

from .flows import BRIEFING, HEARING, PLAN
from .servers import TODAY

DEEP = 5000  # nesting depth of the deep JSON bodies


def deep_list(depth: int = DEEP) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_object(depth: int = DEEP) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


IDS = ["0", "-1", "1.5", "9" * 19, str(2**31), str(2**31 - 1), str(2**63 - 1), str(2**63), str(2**64), "9" * 40,
       "²", "١٢", "１２", "߁", "1e3", "0x1f", "+1", "00000000000000000000001", "1_0", "ａ", " 1", "null", "%00",
       "FY2025-", "FY2025-0001", "FY2025-" + "9" * 30, "FY2025-²", "x" * 300]  # fmt: skip
NUMBERS: list[Any] = [1e308, -1e308, "1E+30", "1e308", "-1e308", "NaN", "nan", "Infinity", "-Infinity", "inf",
                      "1e-400", 5e-324, "0.1", "-0.25", "0", "24.25", "25", "1.0000000000000000000001",
                      10**40, -(10**40), 2**63, "١.٥", "１.５", "²", "1,5", "0x10", "1_000", "", " ", "9" * 400]  # fmt: skip
INTEGERS: list[Any] = [2**31, 2**63, 2**64, 10**40, -1, -(2**63) - 1, "9" * 30, "²", "١٢", 1.5, "1e5", 1e308, "NaN"]
STRINGS: list[Any] = ["", " ", "a" * 201, "あ" * 301, "x" * 5_000, "y" * 200_000, "a\x00b", "\x00", "\ud800",
                      "\udfff", "a\ud83d", "😀" * 100, "\u202e", "<script>alert(1)</script>", "' OR '1'='1",
                      "../../etc/passwd", "\r\nX-Injected: 1", "%s%n", "\u0000\u0001\u001f", "null"]  # fmt: skip
DATES: list[Any] = ["0001-01-01", "9999-12-31", "2025-02-30", "2025-7-1", "２０２５-０７-０１", "10000-01-01",
                    "2025-07-01T00:00:00", "-2025-01-01", "2025/07/01", "1e308", "", "²⁰²⁵-07-01", 20250701]  # fmt: skip
SHAPES: list[Any] = [None, True, False, 0, -1, 1.5, 1e308, [], [1, 2], ["a", "b"], {}, {"a": 1}, [{"x": 1}],
                     [[[]]], [None], {"": ""}]  # fmt: skip
POOLS = {"id": IDS, "number": NUMBERS, "integer": INTEGERS, "text": STRINGS, "date": DATES, "shape": SHAPES}

RAW_BODIES: list[bytes] = [
    b"", b"{", b'{"a":', b"{'a': 1}", b"[]", b"[1, 2]", b"123", b'"text"', b"null", b"true", b"1e999",
    b"\xff\xfe{}", b"\xef\xbb\xbf{}", b'{"a": NaN}', b'{"a": Infinity}', b'{"hours": "\xed\xa0\x80"}',
    b'{"note": "\xff"}', b'{"a": 1, "a": [1]}', b'{"a": ' + b"1" * 5000 + b"}", deep_list(), deep_object(),
    b'{"countries": ' + deep_list(3000) + b"}", b"\x00" * 64, b"a=1&b=2",
]  # fmt: skip

# field -> kind; the kinds pick the hostile pool used most often for the field
APPLICATION: dict[str, Any] = {
    "edition": "FY2025", "received_on": "2025-06-30", "received_time": "09:30", "company_name": "株式会社ファズ", "company_name_en": "Fuzz KK",
    "corporate_number": "1234567890123", "hq_address": "東京都港区", "representative": "代表 太郎",
    "capital_jpy": "10000000", "employees_hq": "120", "employees_local": "30", "industry": "精密機器",
    "is_sme": True, "contact_department": "知的財産部", "contact_name": "山田 一郎",
    "contact_email": "fuzz@example.jp", "contact_phone": "03-0000-0000", "countries": ["TH"],
    "sites": {"TH": {"site_type": "subsidiary", "site_name": "Fuzz Thailand", "applied_by_japan_side": False,
              "site_wants_service": True}},
    "domestic_experience": "yes", "desired_services": "研修",
    "training_headcount": "20", "prior_use": {"TH": "0"}, "publicity_consent": True, "local_status": "規程なし",
}  # fmt: skip
HOURS: dict[str, Any] = {"country": "CN", "work_date": TODAY, "activity": "meeting", "hours": "0.25", "note": "fuzz"}
COMPLETIONS: dict[str, dict[str, Any]] = {
    "receipt_confirmation": {"sealed_pdf_confirmed": True, "note": "fuzz"},
    "hearing": dict(HEARING, management_status="規程なし", notes="fuzz"),
    "adoption_decision": {"decision": "reject", "reason": "fuzz"},
    "forms_submission": {"note": "fuzz", "assets": [{"name": "製造図面", "category": "technical", "medium": "electronic"}],
                         "self_check": [{"answer": "done", "description": "fuzz"}]},
    "expert_briefing": dict(BRIEFING, expert_comment="fuzz", priority_measures="fuzz"),
    "plan_confirmation": dict(PLAN),
    "service_delivery": {"service_summary": "fuzz", "measures_introduced": "fuzz", "completed": True},
    "follow_up": {"meeting_date": TODAY, "method": "web", "attendees": "fuzz", "outcome": "fuzz",
                  "remaining_issues": "fuzz"},
    "publicity": {"publish": True, "consent_to_be_named": False, "industry": "精密機器", "city": "バンコク",
                  "site_type": "subsidiary", "company_size": "sme", "issues": "fuzz", "support_given": "fuzz",
                  "measures": "fuzz", "company_voice": "fuzz"},
}  # fmt: skip
LIST_PARAMS: dict[str, list[str]] = {
    "status": ["open", "completed", "cancelled", "bogus"], "mine": ["1", "true", "0"], "unclaimed": ["1", "true"],
    "role": ["staff", "expert", "applicant", "admin"], "country": ["CN", "TH", "VN", "ID", "SG", "XX"],
    "stage": ["receipt", "hearing", "adoption", "forms", "briefing", "plan", "service", "follow_up", "publicity"],
    "edition": ["FY2021", "FY2025", "FY1999"], "case": ["1", "FY2025-0001"], "q": ["株式会社", "%", "_"],
    "due": ["overdue", "soon", "later"], "sort": ["due", "created", "-created", "company", "stage", "bogus"],
    "page": ["1", "2", "1000"], "per_page": ["1", "50", "200", "201"],
}  # fmt: skip

_DATE_FIELDS = {"received_on", "hearing_date", "briefing_date", "start_date", "end_date", "meeting_date", "work_date"}
_NUMBER_FIELDS = {"estimated_hours", "hours", "capital_jpy"}
_INTEGER_FIELDS = {"employees_hq", "employees_local", "training_headcount"}


def kind_of(field: str) -> str:
    if field in _DATE_FIELDS:
        return "date"
    if field in _NUMBER_FIELDS:
        return "number"
    if field in _INTEGER_FIELDS:
        return "integer"
    return "text"
