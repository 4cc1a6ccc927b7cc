"""How an adopted case counts toward the planned number is the edition file's adoption_counts: FY2021 and FY2025
count an application once whatever its countries; the test edition FY2026 counts each target country. Adopting
takes that many places, withdrawing frees them, and the decision task and GET /editions say which rule holds."""

from __future__ import annotations

from datetime import datetime

from tests.fixtures import PASSWORD
from tests.web.third_edition import third_edition  # noqa: F401  (fixture)

from .lifecycle import HEARING_OK, adopt, open_task, register


def adopted_in(staff, code: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    edition = next(e for e in staff.get("/editions").get_json() if e["code"] == code)
    return edition["adopted"], edition["adoption_counts_label"]


def test_a_two_country_case_takes_one_place_in_fy2025(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN", "TH"], "2025-07-01")
    adopt(staff, case["id"])
    assert adopted_in(staff, "FY2025") == (1, "1件の申込を1件と数えます（対象国の数によらない）")


def test_an_edition_that_counts_countries_takes_and_frees_one_place_per_country(
    app,
    api_as,
    set_clock,
    third_edition,  # noqa: F811
):
    set_clock(datetime.fromisoformat("2026-06-22T10:00:00+09:00"))
    staff = api_as("staff")
    case = register(staff, "FY2026", ["CN", "MY"], "2026-06-22")
    hearing = {**HEARING_OK, "hearing_date": "2026-06-22"}
    receipt = open_task(staff, case["id"], "receipt_confirmation")
    assert staff.post(f"/tasks/{receipt['id']}/complete", json={"sealed_pdf_confirmed": True}).status_code == 200
    task = open_task(staff, case["id"], "hearing")
    assert staff.post(f"/tasks/{task['id']}/complete", json=hearing).status_code == 200, "hearing"
    decision = open_task(staff, case["id"], "adoption_decision")
    client = app.test_client()
    assert client.post("/login", data={"username": "staff", "password": PASSWORD}).status_code == 302
    page = client.get(f"/tasks/{decision['id']}").get_data(as_text=True)
    assert "対象国ごとに1件と数えます。この案件を採択すると2件と数えます。" in page
    assert staff.post(f"/tasks/{decision['id']}/complete", json={"decision": "adopt"}).status_code == 200
    assert adopted_in(staff, "FY2026") == (2, "対象国ごとに1件と数えます")

    assert staff.post(f"/cases/{case['id']}/withdraw", json={"reason": "社内事情のため"}).status_code == 200
    assert adopted_in(staff, "FY2026")[0] == 0
