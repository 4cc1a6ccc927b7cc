"""The whole lifecycle through the JSON API: one FY2021 case in Singapore, one FY2025 case in two countries."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from webapp.extensions import db
from webapp.models import OutboxEmail
from workflows.clock import clock

from .lifecycle import PDF, adopt, complete, open_task, register

JST = ZoneInfo("Asia/Tokyo")


def briefing(hours: str, language: str = "ja") -> dict:
    return {
        "briefing_date": clock.now().astimezone(JST).date().isoformat(),  # within the support period
        "consultation_items": ["A1-1", "A2-1"],
        "training_topics": ["B1", "B4"],
        "training_audience": "both",
        "training_language": language,
        "estimated_hours": hours,
        "expert_comment": "就業規則の秘密保持条項を見直す。",
    }


PLAN = {"start_date": "2021-09-10", "end_date": "2022-02-10", "schedule": "9月 現状確認、10月 規程案", "agreed_by_company": True,
        "agreed_by_expert": True}  # fmt: skip
SERVICE = {"service_summary": "規程類のレビューと管理職研修を実施", "completed": True}
FOLLOW_UP = {"meeting_date": "2022-02-01", "method": "web", "outcome": "規程を導入済み"}


def test_fy2021_singapore_case_runs_end_to_end(app, api_as, set_clock):
    set_clock(datetime.fromisoformat("2021-08-02T10:00:00+09:00"))
    staff, expert, applicant = api_as("staff"), api_as("expert_vn"), api_as("applicant")
    case = register(staff, "FY2021", ["SG"], "2021-08-02", company_name="星港精密株式会社")
    assert case["stage"] == "receipt" and case["hours"][0]["cap"] == 10.0
    adopt(staff, case["id"])

    # the applicant sees only its own lane's task; this case belongs to another company, so staff submits on its behalf
    assert applicant.get(f"/cases/{case['id']}").status_code == 404
    forms = open_task(staff, case["id"], "forms_submission")
    response = complete(staff, forms["id"], {"form1_file": PDF, "form2_file": PDF})
    assert response.status_code == 200, response.get_json()

    task = open_task(expert, case["id"], "expert_briefing", "SG")
    too_many = complete(expert, task["id"], briefing("10.25", "en"))
    assert too_many.status_code == 422
    assert "10" in too_many.get_json()["errors"]["estimated_hours"][0]
    assert complete(expert, task["id"], briefing("10", "en")).status_code == 200

    assert complete(staff, open_task(staff, case["id"], "plan_confirmation", "SG")["id"], PLAN).status_code == 200
    logged = expert.post(f"/cases/{case['id']}/hours", json={"country": "SG", "work_date": "2021-10-01",
                                                              "activity": "web_meeting", "hours": "9.75"})  # fmt: skip
    assert logged.status_code == 201 and logged.get_json()["remaining"] == 0.25
    assert complete(expert, open_task(expert, case["id"], "service_delivery", "SG")["id"], SERVICE).status_code == 200
    assert complete(expert, open_task(expert, case["id"], "follow_up", "SG")["id"], FOLLOW_UP).status_code == 200
    publicity = open_task(staff, case["id"], "publicity")
    assert complete(staff, publicity["id"], {"publish": False}).status_code == 200

    detail = staff.get(f"/cases/{case['id']}").get_json()
    assert detail["status"] == "completed" and detail["stage"] == "completed"
    # the follow-up closed Singapore's service as completed (as the API documentation promises)
    assert detail["hours"] == [{"country": "SG", "edition": "FY2021", "used": 9.75, "cap": 10.0, "remaining": 0.25,
                                "follow_up_reserved": 0.0, "travel_not_counted": 0.0, "closed_reason": "completed",
                                "closed_label": "支援完了"}]  # fmt: skip
    actions = [h["action"] for h in detail["history"]]
    assert actions.count("task_completed") == 9 and "hours_logged" in actions
    assert any(h["on_behalf"] for h in detail["history"] if h["action"] == "task_completed")
    with app.app_context():
        templates = [e.template for e in db.session.query(OutboxEmail).order_by(OutboxEmail.id)]
    assert templates == ["receipt_confirmation", "adoption_notice"]


def test_fy2025_case_in_two_countries_runs_end_to_end(app, api_as):
    staff, expert_cn, expert_vn = api_as("staff"), api_as("staff"), api_as("expert_vn")
    expert_cn = api_as("expert_cn")
    case = register(staff, "FY2025", ["CN", "VN"], "2025-07-01")
    adopt(staff, case["id"])
    forms = open_task(staff, case["id"], "forms_submission")
    assert complete(staff, forms["id"], {"form1_file": PDF, "form2_file": PDF}).status_code == 200

    # each country has its own briefing, visible only to that country's expert
    cn = open_task(expert_cn, case["id"], "expert_briefing", "CN")
    vn = open_task(expert_vn, case["id"], "expert_briefing", "VN")
    assert expert_vn.post(f"/tasks/{cn['id']}/complete", json=briefing("23")).status_code == 404
    assert complete(expert_cn, cn["id"], briefing("23", "zh")).status_code == 200
    assert complete(expert_vn, vn["id"], briefing("12", "vi")).status_code == 200
    for country in ("CN", "VN"):
        plan = dict(PLAN, start_date="2025-08-01", end_date="2026-02-06")
        assert (
            complete(staff, open_task(staff, case["id"], "plan_confirmation", country)["id"], plan).status_code == 200
        )

    for expert, country in ((expert_cn, "CN"), (expert_vn, "VN")):
        response = expert.post(f"/cases/{case['id']}/hours", json={"country": country, "work_date": "2025-09-01",
                                                                    "activity": "meeting", "hours": "5"})  # fmt: skip
        assert response.status_code == 201
        assert (
            complete(expert, open_task(expert, case["id"], "service_delivery", country)["id"], SERVICE).status_code
            == 200
        )
        follow = dict(FOLLOW_UP, meeting_date="2026-01-20")
        assert complete(expert, open_task(expert, case["id"], "follow_up", country)["id"], follow).status_code == 200

    publicity = open_task(staff, case["id"], "publicity")
    study = {"publish": True, "consent_to_be_named": False, "industry": "精密機器", "issues": "退職者による情報持ち出し",
             "support_given": "規程整備と研修", "measures": "秘密保持誓約書を導入"}  # fmt: skip
    assert complete(staff, publicity["id"], study).status_code == 200
    detail = staff.get(f"/cases/{case['id']}").get_json()
    assert detail["status"] == "completed"
    assert {h["country"]: (h["used"], h["cap"]) for h in detail["hours"]} == {"CN": (5.0, 23.0), "VN": (5.0, 23.0)}
