"""「支援期間について、採択後から…までとします。」: the period's end closes a case still waiting for forms 1 and 2,
through the engine's timer (flask tick), with the reason on the case page and in the API."""

from __future__ import annotations

from datetime import datetime

from tests.fixtures import PASSWORD

from .lifecycle import adopt, open_task, register
from .test_rules import log_hours


def test_the_period_end_closes_the_forms_stage_and_the_case_page_says_why(app, api_as, set_clock):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN", "TH"], "2025-07-01")
    adopt(staff, case["id"])
    forms = open_task(staff, case["id"], "forms_submission")

    set_clock(datetime.fromisoformat("2026-02-07T00:00:01+09:00"))
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output

    detail = staff.get(f"/cases/{case['id']}").get_json()
    assert (detail["status"], detail["stage"], detail["status_reason"]) == (
        "completed",
        "support_period_ended",
        "支援期間の終了により終了",
    )
    assert {h["country"]: h["closed_reason"] for h in detail["hours"]} == {
        "CN": "support_period_ended",
        "TH": "support_period_ended",
    }
    assert staff.get(f"/tasks/{forms['id']}").get_json()["status"] == "cancelled"
    assert "forms_period_ended" in [h["action"] for h in detail["history"]]
    refused = log_hours(api_as("expert_cn"), case["id"], "CN", "1", work_date="2026-02-06")
    assert refused.status_code == 409

    client = app.test_client()
    assert client.post("/login", data={"username": "staff", "password": PASSWORD}).status_code == 302
    page = client.get(f"/cases/{case['id']}").text
    assert "終了の理由：支援期間の終了により終了" in page
