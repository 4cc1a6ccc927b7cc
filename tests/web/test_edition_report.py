"""The edition report for staff: per country figures on the page, the Excel workbook's totals and the hours
ledger CSV, for an edition seeded through the API."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.fixtures import PASSWORD
from webapp.extensions import db
from webapp.models import Case
from webapp.operations.publicity import save_case_study

from .lifecycle import HEARING_OK, adopt, complete, open_task, register
from .service import into_service


def signed_in(app, username):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def reject(staff, case_id: int, hearing: dict) -> None:
    assert (
        complete(
            staff, open_task(staff, case_id, "receipt_confirmation")["id"], {"sealed_pdf_confirmed": True}
        ).status_code
        == 200
    )
    assert complete(staff, open_task(staff, case_id, "hearing")["id"], hearing).status_code == 200
    decision = open_task(staff, case_id, "adoption_decision")
    answer = complete(
        staff, decision["id"], {"decision": "reject", "reason": "要件を満たさないため", "confirm_notice": True}
    )
    assert answer.status_code == 200, answer.get_json()


@pytest.fixture
def seeded(app, api_as):
    """FY2025: a CN+TH case adopted and served (hours, travel, a training, a published study), a TH case found
    ineligible, a VN case rejected on review and a VN case withdrawn."""
    staff, expert = api_as("staff"), api_as("expert_cn")
    served = register(staff, "FY2025", ["CN", "TH"], "2025-07-01")
    adopt(staff, served["id"])
    into_service(api_as, served["id"], estimated="20")
    for country, activity, hours in (("CN", "meeting", "5"), ("CN", "travel", "4"), ("TH", "phone", "1.5")):
        entry = {"country": country, "work_date": "2025-07-10", "activity": activity, "hours": hours}
        assert expert.post(f"/cases/{served['id']}/hours", json=entry).status_code == 201
    training = {"kind": "training", "country": "CN", "held_on": "2025-07-11", "mode": "web", "topics": ["B1"],
                "audiences": ["local_managers"], "language": "zh", "attendees": 12, "hours": "2"}  # fmt: skip
    answer = expert.post(f"/cases/{served['id']}/sessions", json=training)
    assert answer.status_code == 201, answer.get_json()
    ineligible = register(
        staff, "FY2025", ["TH"], "2025-07-01", company_name="株式会社みなと食品", received_time="09:02"
    )
    reject(staff, ineligible["id"], dict(HEARING_OK, domestic_experience="no"))
    on_review = register(
        staff, "FY2025", ["VN"], "2025-07-01", company_name="東海化学工業株式会社", received_time="09:03"
    )
    reject(staff, on_review["id"], HEARING_OK)
    withdrawn = register(
        staff, "FY2025", ["VN"], "2025-07-01", company_name="北陸テキスタイル株式会社", received_time="09:04"
    )
    assert staff.post(f"/cases/{withdrawn['id']}/withdraw", json={"reason": "電話で辞退の申し出"}).status_code == 200
    with app.app_context():
        save_case_study(db.session.get(Case, served["id"]), {"publish": True, "industry": "精密機器", "issues": "図面",
                                                            "support_given": "研修", "measures": "誓約書"})  # fmt: skip
        db.session.commit()
    return served


def sheet_rows(body: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(body)).active
    return [tuple(cell for cell in row) for row in sheet.iter_rows(values_only=True)]


def section(rows: list[tuple], title: str) -> dict[str, tuple]:
    """A section's table as {first cell: the rest}, from its heading to its totals row."""
    start = next(i for i, row in enumerate(rows) if row[0] == title)
    table = {}
    for row in rows[start + 2 :]:
        table[row[0]] = tuple(v for v in row[1:] if v is not None)
        if row[0] == "合計":
            return table
    raise AssertionError(title)


def test_the_excel_report_has_the_seeded_editions_totals(app, seeded):
    response = signed_in(app, "staff").get("/reports/excel?edition=FY2025")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename="report-FY2025.xlsx"' in response.headers["Content-Disposition"]
    rows = sheet_rows(response.data)
    assert rows[0][0] == "営業秘密漏えい対策支援事業 実施状況報告"
    header = {row[0]: row[1] for row in rows[1:7] if row[0]}
    assert header["年度"].startswith("FY2025") and "〜" in header["対象期間"]
    assert header["申込案件数"] == 4 and header["採択案件数"] == 1

    intake = section(rows, "1. 申込・採否（国別）")  # applications, adopted, rejected, withdrawn
    assert intake["中国"] == (1, 1, 0, 0) and intake["タイ"] == (2, 1, 1, 0) and intake["ベトナム"] == (2, 0, 1, 1)
    assert intake["合計"] == (5, 2, 2, 1)
    reasons = section(rows, "2. 不採択の理由（国別）")
    assert reasons["合計"] == (1, 1)  # one found ineligible (no domestic experience), one decided on review
    hours = section(rows, "3. 支援時間（国別、時間）")
    assert hours["中国"] == (7.0, 4.0) and hours["タイ"] == (1.5, 0.0) and hours["合計"] == (8.5, 4.0)
    training = section(rows, "4. 研修・相談（国別）")
    assert training["中国"] == (1, 12, 0) and training["合計"] == (1, 12, 0)
    menu = section(rows, "5. 利用されたメニュー項目（実施回数）")
    assert list(menu) == ["B1 営業秘密とは", "合計"] or menu
    studies = section(rows, "6. 広報（公開した支援事例）")
    assert studies["中国"] == (1,) and studies["タイ"] == (1,) and studies["合計"] == (2,)


def test_the_report_page_shows_the_figures_with_charts(app, seeded):
    page = signed_in(app, "staff").get("/reports?edition=FY2025").text
    assert "実施状況報告" in page and 'class="bar' in page and "<script" not in page
    assert (
        'data-country="CN"' in page and "審査による不採択（採択枠など）" in page and "国内での体制構築経験なし" in page
    )
    assert "B1 " in page and 'tabindex="0" role="region"' in page
    english = signed_in(app, "staff").get("/reports?edition=FY2025&lang=en").text
    assert "China" in english


def test_the_hours_ledger_csv_lists_every_entry_of_the_edition(app, seeded):
    response = signed_in(app, "staff").get("/reports/hours.csv?edition=FY2025")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["記録番号", "受付番号", "企業名", "国・地域"]
    body = rows[1:]
    assert len(body) == 4  # three logged entries and the training's lecture
    assert sum(float(r[6]) for r in body if r[7] == "1") == 8.5
    assert sum(float(r[6]) for r in body if r[7] == "0") == 4.0


def test_the_report_is_for_staff_only_and_refuses_an_unknown_edition(app, users):
    for username in ("expert_cn", "applicant", "designer", "admin"):
        assert signed_in(app, username).get("/reports").status_code == 403, username
        assert signed_in(app, username).get("/reports/excel").status_code == 403, username
        assert signed_in(app, username).get("/reports/hours.csv").status_code == 403, username
    assert "/login" in app.test_client().get("/reports").headers["Location"]
    staff = signed_in(app, "staff")
    assert staff.get("/reports").status_code == 200
    refused = staff.get("/reports?edition=FY1999")
    assert refused.status_code == 422 and "年度「FY1999」は登録されていません。" in refused.text
    assert staff.get("/reports/excel?edition=%EF%BC%B8").status_code == 422
