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

# Each target country's site meets every edition's site conditions. The hearing asks for the case's own
# countries only: a site answer for another country is not a field of its form and is left out.
ELIGIBLE_SITE = {"site_status": "existing", "applied_by_japan_side": False, "site_wants_service": True}
ALL_COUNTRIES = ("CN", "TH", "VN", "ID", "SG", "MY")

HEARING_OK = {
    "hearing_date": "2025-07-02",
    "method": "phone",
    "sites": {code: dict(ELIGIBLE_SITE) for code in ALL_COUNTRIES},
    "domestic_experience": "yes",
    "willing_to_build": True,
    "publicity_consent": True,
}


def application_sites(countries: list[str], **site: Any) -> dict[str, Any]:
    """The application's description of each target country's site (a subsidiary, unless `site` says)."""
    return {code: {"site_type": "subsidiary", **site} for code in countries}


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
        "sites": extra.pop("sites", None) or application_sites(countries, **_site_answers(extra)),
        "domestic_experience": "yes",
        "publicity_consent": True,
        **extra,
    }


def _site_answers(extra: dict[str, Any]) -> dict[str, Any]:
    """Site answers given plainly (applied_by_japan_side=True) describe every target country's site."""
    return {
        key: extra.pop(key)
        for key in ("site_type", "site_name", "applied_by_japan_side", "site_wants_service")
        if key in extra
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
    response = staff.post("/applications", data=form_fields(data))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def form_fields(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A JSON-like dict as an HTML form post: booleans as checkboxes, groups as `sites-CN-site_type`."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(form_fields(value, f"{name}-"))
        elif value is True:
            out[name] = "y"
        elif value is False or value is None:
            continue
        else:
            out[name] = value
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
