"""「支援期間について、採択後から…までとします。」: the period's end closes a case still waiting for forms 1 and 2,
through the engine's timer (flask tick), with the reason on the case page and in the API."""

from __future__ import annotations

from datetime import datetime

from tests.fixtures import PASSWORD
from webapp.extensions import db
from webapp.models import CaseCountry
from webapp.operations.process import repository_files

from .lifecycle import PDF, adopt, complete, open_task, register
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


def test_a_case_on_a_version_deployed_before_the_opening_message_is_open_while_its_service_task_is(
    app, api_as, tmp_path
):
    """Running cases keep their version: one whose diagram throws no service_opened is open for hours while the
    country's service or follow-up task is open (not at the briefing)."""
    files = repository_files()
    files["support_program.bpmn"] = files["support_program.bpmn"].replace(
        'name="service_opened"', 'name="service_opening_v0"'
    )
    paths = []
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(str(tmp_path / name))
    assert app.test_cli_runner().invoke(args=["deploy", *paths]).exit_code == 0
    staff, expert = api_as("staff"), api_as("expert_cn")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, case["id"])
    forms = open_task(staff, case["id"], "forms_submission")
    assert complete(staff, forms["id"], {"form1_file": PDF, "form2_file": PDF}).status_code == 200
    assert log_hours(expert, case["id"], "CN", "1").status_code == 409  # at the briefing
    briefing = open_task(expert, case["id"], "expert_briefing", "CN")
    payload = {"briefing_date": "2025-07-01", "consultation_items": ["A1-1"], "estimated_hours": "5"}
    assert complete(expert, briefing["id"], payload).status_code == 200
    plan = {"start_date": "2025-07-01", "end_date": "2026-02-06", "schedule": "月1回", "agreed_by_company": True,
            "agreed_by_expert": True}  # fmt: skip
    assert complete(staff, open_task(staff, case["id"], "plan_confirmation", "CN")["id"], plan).status_code == 200
    with app.app_context():
        assert db.session.query(CaseCountry).one().service_opened_at is None  # the old diagram did not say so
    assert log_hours(expert, case["id"], "CN", "1").status_code == 201
