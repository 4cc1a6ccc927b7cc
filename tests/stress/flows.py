"""Bringing cases where a scenario needs them, over the HTTP API as staff and experts do (see docs/api.md):
registered with the sealed PDF, receipt confirmed (at the hearing), adopted, forms in, briefing and plan done
(in service, where hours are logged)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from tests.web.lifecycle import HEARING_OK, PDF

from .client import Api, Response
from .servers import TODAY

HEARING = {**HEARING_OK, "hearing_date": TODAY}
BRIEFING = {
    "briefing_date": TODAY,
    "consultation_items": ["A1-1", "A2-1"],
    "training_topics": ["B1"],
    "training_audience": "both",
    "training_language": "ja",
    "estimated_hours": "18",
}
PLAN = {
    "start_date": TODAY,
    "end_date": "2026-01-30",
    "schedule": "7月：現状確認、9月：規程整備、11月：研修",
    "agreed_by_company": True,
    "agreed_by_expert": True,
}


class FlowError(RuntimeError):
    """A step that should have worked did not: the scenario cannot be set up."""


def expect(response: Response, status: int, what: str) -> Any:
    if response.status != status:
        raise FlowError(f"{what}: HTTP {response.status} (expected {status}): {response.excerpt(400)}")
    return response.json()


def register_request(staff: Api, received_on: str, *, company: str, countries: list[str],
                     corporate_number: str = "", contact_email: str = "contact@example.jp") -> Response:  # fmt: skip
    """POST /applications with the sealed PDF (multipart), as staff register a received application."""
    fields = {
        "edition": "FY2025", "received_on": received_on, "received_time": "00:00", "company_name": company,
        "corporate_number": corporate_number or None, "contact_department": "知的財産部",
        "contact_name": "山田 一郎", "contact_email": contact_email, "countries": countries,
        **{f"sites-{code}-site_type": "subsidiary" for code in countries},
        "domestic_experience": "yes", "publicity_consent": True,
    }  # fmt: skip
    return staff.post_multipart("/applications", fields, {"sealed_pdf": ("application.pdf", PDF)})


REGISTRATION_ATTEMPTS = 10
registration_retries = Counter[str]()  # 409s answered to a set-up registration, by message


def register(staff: Api, received_on: str, **kwargs: Any) -> dict[str, Any]:
    """Registers, sending again when told to (409 "同時に別の申込が登録されました。もう一度送信してください。":
    another registration took the case number meanwhile), as the page asks a person to."""
    for _attempt in range(REGISTRATION_ATTEMPTS - 1):
        response = register_request(staff, received_on, **kwargs)
        if response.status != 409:
            break
        registration_retries[str((response.json() or {}).get("error"))] += 1
        time.sleep(0.05)
    else:
        response = register_request(staff, received_on, **kwargs)
    return dict(expect(response, 201, f"register {kwargs.get('company')}"))


def open_task(api: Api, case_id: int, form_key: str, country: str | None = None) -> dict[str, Any]:
    body = expect(api.get(f"/tasks?case={case_id}"), 200, f"tasks of case {case_id}")
    for task in body["tasks"]:
        if task["form_key"] == form_key and (country is None or task["country"] == country):
            return dict(task)
    raise FlowError(f"no open {form_key} task for case {case_id}: {[t['form_key'] for t in body['tasks']]}")


def complete(api: Api, task_id: int, payload: dict[str, Any]) -> Response:
    return api.post(f"/tasks/{task_id}/complete", payload)


def step(api: Api, case_id: int, form_key: str, payload: dict[str, Any], country: str | None = None) -> None:
    task = open_task(api, case_id, form_key, country)
    expect(complete(api, task["id"], payload), 200, f"{form_key} of case {case_id}")


def to_hearing(staff: Api, received_on: str, company: str, **kwargs: Any) -> tuple[dict[str, Any], int]:
    """A fresh case with its receipt confirmed; returns (case, id of the open hearing task)."""
    case = register(staff, received_on, company=company, countries=kwargs.pop("countries", ["TH"]), **kwargs)
    step(staff, case["id"], "receipt_confirmation", {"sealed_pdf_confirmed": True})
    return case, int(open_task(staff, case["id"], "hearing")["id"])


def to_service(staff: Api, expert: Api, case: dict[str, Any], country: str) -> None:
    """Receipt, hearing, adoption, forms 1 and 2 (staff on the company's behalf), the expert's briefing and the
    plan: the case is then in service for `country`."""
    case_id = case["id"]
    step(staff, case_id, "receipt_confirmation", {"sealed_pdf_confirmed": True})
    step(staff, case_id, "hearing", HEARING)
    step(staff, case_id, "adoption_decision", {"decision": "adopt"})
    forms = open_task(staff, case_id, "forms_submission")
    files = {"form1_file": ("form1.pdf", PDF), "form2_file": ("form2.pdf", PDF)}
    expect(staff.post_multipart(f"/tasks/{forms['id']}/complete", {}, files), 200, f"forms of case {case_id}")
    step(expert, case_id, "expert_briefing", BRIEFING, country)
    step(staff, case_id, "plan_confirmation", PLAN, country)


def post_hours(expert: Api, case_id: int, country: str, hours: str, activity: str = "meeting") -> Response:
    payload = {"country": country, "work_date": TODAY, "activity": activity, "hours": hours, "note": "stress"}
    return expert.post(f"/cases/{case_id}/hours", payload)
