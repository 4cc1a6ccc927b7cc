"""Helpers that drive a case through the API (shared by the web tests and the benchmark)."""

from __future__ import annotations

import io
from typing import Any

PDF = (  # one blank A4 page: the smallest file that opens as a PDF (uploads are parsed, not just sniffed)
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
    b"startxref\n164\n%%EOF\n"
)

HEARING_OK = {
    "hearing_date": "2025-07-02",
    "method": "phone",
    "site_status": "existing",
    "domestic_experience": "yes",
    "applied_by_japan_side": False,
    "site_wants_service": True,
    "willing_to_build": True,
    "publicity_consent": True,
}


def application(edition: str, countries: list[str], received_on: str, **extra: Any) -> dict[str, Any]:
    return {
        "edition": edition,
        "received_on": received_on,
        "received_time": extra.pop("received_time", "00:00"),
        "company_name": extra.pop("company_name", "株式会社サンプル精機"),
        "contact_department": "知的財産部",
        "contact_name": "山田 一郎",
        "contact_email": "yamada@sample-seiki.example.jp",
        "countries": countries,
        "site_type": "subsidiary",
        "domestic_experience": "yes",
        "publicity_consent": True,
        **extra,
    }


def open_task(api: Any, case_id: int, form_key: str, country: str | None = None) -> dict[str, Any]:
    tasks = api.get("/tasks", case=str(case_id)).get_json()["tasks"]
    for task in tasks:
        if task["form_key"] == form_key and (country is None or task["country"] == country):
            return task
    raise AssertionError(f"no open {form_key} task for case {case_id} ({country}); open: {tasks}")


def complete(api: Any, task_id: int, payload: dict[str, Any]) -> Any:
    files = {k: v for k, v in payload.items() if isinstance(v, bytes)}
    if files:
        data: dict[str, Any] = {k: v for k, v in payload.items() if not isinstance(v, bytes)}
        for name, content in files.items():
            data[name] = (io.BytesIO(content), f"{name}.pdf")
        return api.post(f"/tasks/{task_id}/complete", data=data)
    return api.post(f"/tasks/{task_id}/complete", json=payload)


def register(staff: Any, edition: str, countries: list[str], received_on: str, **extra: Any) -> dict[str, Any]:
    data = application(edition, countries, received_on, **extra)
    data["sealed_pdf"] = (io.BytesIO(PDF), "application.pdf")
    response = staff.post("/applications", data=_multipart(data))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _multipart(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is True:
            out[key] = "y"
        elif value is False or value is None:
            continue
        else:
            out[key] = value
    return out


def adopt(staff: Any, case_id: int, hearing: dict[str, Any] | None = None) -> None:
    """Receipt confirmation, hearing and adoption for one case."""
    task = open_task(staff, case_id, "receipt_confirmation")
    assert complete(staff, task["id"], {"sealed_pdf_confirmed": True}).status_code == 200
    task = open_task(staff, case_id, "hearing")
    assert complete(staff, task["id"], hearing or HEARING_OK).status_code == 200
    task = open_task(staff, case_id, "adoption_decision")
    response = complete(staff, task["id"], {"decision": "adopt"})
    assert response.status_code == 200, response.get_json()
