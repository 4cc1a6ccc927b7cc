"""Demo data: one account per role and a handful of FY2025 cases at different stages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from workflows.clock import clock

from .extensions import db
from .models import Case, HumanTask, User
from .operations import cases as case_ops
from .operations import tasks as task_ops

DEMO_PASSWORD = "demo-pass-2025"

USERS = [
    # username, role, display name, countries, lead
    ("staff", "staff", "井上 花子（ジェトロ知的財産課）", "", True),
    ("staff2", "staff", "河野 太郎（ジェトロ知的財産課）", "", False),
    ("expert", "expert", "上海 明律師事務所（中国・タイ担当）", "CN,TH", False),
    ("expert2", "expert", "Hanoi IP Law（ベトナム・インドネシア担当）", "VN,ID", False),
    ("applicant", "applicant", "山田 一郎（株式会社サンプル精機）", "", False),
    ("designer", "designer", "プロセス設計者", "", False),
    ("admin", "admin", "システム管理者", "", False),
]

CASES = [
    # company, countries, received_on, how far to drive it
    ("株式会社サンプル精機", ["CN", "TH"], "2025-06-02", "service"),
    ("東海化学工業株式会社", ["VN"], "2025-06-10", "forms"),
    ("北陸テキスタイル株式会社", ["ID"], "2025-07-01", "adoption"),
    ("株式会社みなと食品", ["TH"], "2025-07-15", "hearing"),
    ("大阪電子部品株式会社", ["CN", "VN", "ID"], "2025-08-20", "receipt"),
]

HEARING_OK = {
    "hearing_date": "2025-08-01", "method": "phone", "domestic_experience": "yes", "willing_to_build": "y",
    "publicity_consent": "y",
    "management_status": "就業規則に秘密保持条項あり。現地の管理規程は未整備。",
}  # fmt: skip
PDF = (  # one blank A4 page: the smallest file that opens as a PDF (uploads are parsed, not just sniffed)
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
    b"startxref\n164\n%%EOF\n"
)


def seed(at: datetime) -> Iterator[str]:
    clock.set(at, frozen=False)
    if db.session.scalar(select(User).where(User.username == "staff")) is None:
        _create_users()
        _create_cases()
        db.session.commit()
    yield f"demo date: {at.isoformat()} (the clock runs on from there)"
    yield f"demo accounts (password for all: {DEMO_PASSWORD}):"
    for username, role, name, countries, lead in USERS:
        extra = f" countries={countries}" if countries else ""
        extra += " lead" if lead else ""
        yield f"  {username:<10} {role:<10} {name}{extra}"


def _create_users() -> None:
    for username, role, name, countries, lead in USERS:
        user = User(username=username, role=role, display_name=name, countries_csv=countries, is_lead=lead)
        user.email = f"{username}@example.jp"
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
    db.session.flush()


def _create_cases() -> None:
    staff = db.session.scalars(select(User).where(User.username == "staff")).one()
    expert = {c: u for u in db.session.scalars(select(User).where(User.role == "expert")) for c in u.countries}
    for company, countries, received_on, target in CASES:
        data = {
            "edition": "FY2025", "received_on": received_on, "received_time": "09:30", "company_name": company, "contact_name": "ご担当者", "contact_department": "総務部",
            "contact_email": "contact@example.jp", "countries": countries,
            "sites": {code: {"site_type": "subsidiary", "site_wants_service": True} for code in countries},
            "domestic_experience": "yes", "publicity_consent": True,
        }  # fmt: skip
        case = case_ops.register_application(staff, data, {})
        db.session.commit()
        if case.company.name == "株式会社サンプル精機":  # the demo applicant works for this company
            applicant = db.session.scalars(select(User).where(User.username == "applicant")).one()
            applicant.company_id = case.company_id
            db.session.commit()
        _drive(case, target, staff, expert)


def _demo_day() -> str:
    """Today on the demo's clock, in Japan time (the cases are adopted on it)."""
    return clock.now().astimezone(timezone(timedelta(hours=9))).date().isoformat()


def _drive(case: Case, target: str, staff: User, experts: dict[str, User]) -> None:
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    steps: dict[str, Callable[[], MultiDict]] = {
        "receipt_confirmation": lambda: MultiDict(
            {
                "sealed_pdf_confirmed": "y",
                "sealed_pdf": FileStorage(BytesIO(PDF), "application.pdf", content_type="application/pdf"),
            }
        ),
        "hearing": lambda: MultiDict(HEARING_OK),
        "adoption_decision": lambda: MultiDict({"decision": "adopt"}),
        "forms_submission": lambda: MultiDict(
            {"form1_file": FileStorage(BytesIO(PDF), "form1.pdf"), "form2_file": FileStorage(BytesIO(PDF), "form2.pdf")}
        ),
        "expert_briefing": lambda: MultiDict(
            {
                "briefing_date": _demo_day(),  # within the support period (from the adoption day)
                "consultation_items": ["A1-1", "A2-1"],
                "training_topics": ["B1"],
                "training_audience": "both",
                "training_language": "ja",
                "estimated_hours": "18",
            }
        ),  # fmt: skip
        "plan_confirmation": lambda: MultiDict(
            {
                "start_date": _demo_day(),
                "end_date": "2026-01-30",
                "schedule": "9月：現状確認、10月：規程整備、11月：研修",
                "agreed_by_company": "y",
                "agreed_by_expert": "y",
            }
        ),  # fmt: skip
    }
    order = ["receipt", "hearing", "adoption", "forms", "briefing", "plan", "service"]
    while order.index(case.stage) < order.index(target):
        task = db.session.scalar(
            select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.status == "open").order_by(HumanTask.id)
        )
        if task is None or task.form_key not in steps:
            return
        actor = experts.get(task.country or "", staff) if task.role == "expert" else staff
        task_ops.complete(actor, task.id, steps[task.form_key](), csrf=False)
        db.session.refresh(case)
