"""Takes an adopted case into service: forms 1 and 2, each country's briefing and plan (hours are logged only while
a country's service is open, from its plan's confirmation to its follow-up)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from workflows.clock import clock
from workflows.editions import get_edition

from .lifecycle import PDF, complete, open_task

EXPERT_FOR = {"CN": "expert_cn", "TH": "expert_cn", "VN": "expert_vn", "ID": "expert_vn", "SG": "expert_vn"}
JST = ZoneInfo("Asia/Tokyo")


def into_service(api_as: Any, case_id: int, *, estimated: str = "1", reserve: str = "", forms: bool = True) -> None:
    staff = api_as("staff")
    case = staff.get(f"/cases/{case_id}").get_json()
    today = clock.now().astimezone(JST).date().isoformat()
    edition = get_edition(case["edition"])
    assert edition is not None
    end = edition.support_period_end.astimezone(JST).date().isoformat()
    if forms:
        task = open_task(staff, case_id, "forms_submission")
        assert complete(staff, task["id"], {"form1_file": PDF, "form2_file": PDF}).status_code == 200
    for country in case["countries"]:
        expert = api_as(EXPERT_FOR[country])
        briefing = open_task(staff, case_id, "expert_briefing", country)
        payload = {"briefing_date": today, "consultation_items": ["A1-1"], "estimated_hours": estimated,
                   "follow_up_reserved": reserve}  # fmt: skip
        answer = complete(expert, briefing["id"], payload)
        assert answer.status_code == 200, answer.get_json()
        plan = open_task(staff, case_id, "plan_confirmation", country)
        payload = {"start_date": today, "end_date": end, "schedule": "月1回の面談", "agreed_by_company": True,
                   "agreed_by_expert": True}  # fmt: skip
        answer = complete(staff, plan["id"], payload)
        assert answer.status_code == 200, answer.get_json()
