"""The program's rules at their boundaries, through the JSON API: hour caps, travel, the quota and the intake,
first come first served, the FY2021 prior-use date, the support-period end and each edition's countries."""

from __future__ import annotations

from datetime import datetime

import pytest

from webapp.extensions import db
from webapp.models import EditionState

from .lifecycle import HEARING_OK, PDF, adopt, application, complete, open_task, register
from .service import into_service
from .test_api_lifecycle import PLAN, SERVICE, briefing

FY2021_OPEN = datetime.fromisoformat("2021-08-02T10:00:00+09:00")
FY2025_NAME = "2025年度 海外における営業秘密漏えい対策支援事業"


def log_hours(expert, case_id: int, country: str, hours: str, *, activity="meeting", work_date="2025-09-01"):  # type: ignore[no-untyped-def]
    payload = {"country": country, "work_date": work_date, "activity": activity, "hours": hours}
    return expert.post(f"/cases/{case_id}/hours", json=payload)


def hours_of(staff, case_id: int, country: str) -> dict:  # type: ignore[no-untyped-def]
    return next(h for h in staff.get(f"/cases/{case_id}").get_json()["hours"] if h["country"] == country)


def fy2025(staff) -> dict:  # type: ignore[no-untyped-def]
    return next(e for e in staff.get("/editions").get_json() if e["code"] == "FY2025")


def at_adoption(staff, case_id: int, hearing: dict | None = None) -> dict:  # type: ignore[no-untyped-def]
    """Receipt confirmation and hearing; returns the open adoption-decision task."""
    task = open_task(staff, case_id, "receipt_confirmation")
    assert complete(staff, task["id"], {"sealed_pdf_confirmed": True}).status_code == 200
    task = open_task(staff, case_id, "hearing")
    assert complete(staff, task["id"], hearing or HEARING_OK).status_code == 200
    return open_task(staff, case_id, "adoption_decision")


# ---------------------------------------------------------------- hour caps


@pytest.mark.parametrize(
    ("edition", "country", "cap", "expert", "received_on", "work_date"),
    [
        ("FY2021", "CN", "17", "expert_cn", "2021-08-02", "2021-10-01"),
        ("FY2021", "SG", "10", "expert_vn", "2021-08-02", "2021-10-01"),
        ("FY2025", "ID", "23", "expert_vn", "2025-07-01", "2025-09-01"),
    ],
)
def test_hours_up_to_the_cap_are_accepted_and_a_quarter_hour_more_is_refused(
    app, api_as, set_clock, edition, country, cap, expert, received_on, work_date
):
    if edition == "FY2021":
        set_clock(FY2021_OPEN)
    staff, expert_api = api_as("staff"), api_as(expert)
    case = register(staff, edition, [country], received_on)
    adopt(staff, case["id"])
    into_service(api_as, case["id"])
    below = f"{int(cap) - 0.25:g}"
    assert log_hours(expert_api, case["id"], country, below, work_date=work_date).status_code == 201

    too_much = log_hours(expert_api, case["id"], country, "0.5", work_date=work_date)
    assert too_much.status_code == 422
    message = f"上限（{cap}時間）を超えるため記録できません。残りは0.25時間です。"
    assert too_much.get_json() == {"error": message, "errors": {"hours": [message]}}

    at_cap = log_hours(expert_api, case["id"], country, "0.25", work_date=work_date)
    assert at_cap.status_code == 201
    assert at_cap.get_json()["used"] == float(cap) and at_cap.get_json()["remaining"] == 0.0

    one_more = log_hours(expert_api, case["id"], country, "0.25", work_date=work_date)
    assert one_more.status_code == 422
    assert one_more.get_json()["errors"]["hours"] == [f"上限（{cap}時間）を超えるため記録できません。残りは0時間です。"]

    # travel is recorded but does not count toward the cap, even once the cap is reached
    travel = log_hours(expert_api, case["id"], country, "6", activity="travel", work_date=work_date)
    assert travel.status_code == 201 and travel.get_json()["counted"] is False
    summary = hours_of(staff, case["id"], country)
    assert (summary["used"], summary["cap"], summary["remaining"]) == (float(cap), float(cap), 0.0)
    assert summary["travel_not_counted"] == 6.0


# ---------------------------------------------------------------- quota and intake


def test_the_last_place_is_taken_the_next_adoption_refused_and_intake_closes(app, api_as):
    staff = api_as("staff")
    first = register(staff, "FY2025", ["CN"], "2025-07-01")
    second = register(staff, "FY2025", ["TH"], "2025-07-01", company_name="株式会社つぎ")
    first_task, second_task = at_adoption(staff, first["id"]), at_adoption(staff, second["id"])
    # Shortcut instead of adopting 14 cases first: the counter stands at planned - 1 = 14 of 15.
    with app.app_context():
        db.session.get(EditionState, "FY2025").adopted_count = 14
        db.session.commit()
    assert fy2025(staff)["intake_open"] is True

    assert complete(staff, first_task["id"], {"decision": "adopt"}).status_code == 200
    refused = complete(staff, second_task["id"], {"decision": "adopt"})
    assert refused.status_code == 409
    assert refused.get_json()["error"] == (
        "予定採択件数（15件程度）に達しています。予定を超えて採択する場合は、リーダーが理由を入力してください。"
    )
    assert open_task(staff, second["id"], "adoption_decision")["id"] == second_task["id"]  # still to be decided

    closed = f"{FY2025_NAME}は予定採択件数（15件程度）に達したため、お申し込みを締め切りました。"
    late = staff.post("/applications", json=application("FY2025", ["VN"], "2025-07-01"))
    assert late.status_code == 409 and late.get_json() == {"error": closed}
    edition = fy2025(staff)
    assert (edition["intake_open"], edition["intake_closed_reason"], edition["adopted"]) == (False, closed, 15)


def test_a_later_case_cannot_be_adopted_while_an_earlier_one_awaits_its_decision(app, api_as):
    staff = api_as("staff")
    earlier = register(staff, "FY2025", ["CN"], "2025-06-30")
    later = register(staff, "FY2025", ["VN"], "2025-07-01", company_name="株式会社あと")
    later_task = at_adoption(staff, later["id"])
    first_come = f"申込順に採否を決定します。先に受領した案件 {earlier['number']} の採否を決定してください。"

    # the earlier case is still being screened (receipt confirmed, hearing open), then awaits its decision
    receipt = open_task(staff, earlier["id"], "receipt_confirmation")
    assert complete(staff, receipt["id"], {"sealed_pdf_confirmed": True}).status_code == 200
    refused = complete(staff, later_task["id"], {"decision": "adopt"})
    assert (refused.status_code, refused.get_json()) == (409, {"error": first_come})
    assert complete(staff, open_task(staff, earlier["id"], "hearing")["id"], HEARING_OK).status_code == 200
    refused = complete(staff, later_task["id"], {"decision": "adopt"})
    assert (refused.status_code, refused.get_json()) == (409, {"error": first_come})

    earlier_task = open_task(staff, earlier["id"], "adoption_decision")
    assert complete(staff, earlier_task["id"], {"decision": "adopt"}).status_code == 200
    assert complete(staff, later_task["id"], {"decision": "adopt"}).status_code == 200


# ---------------------------------------------------------------- FY2021 prior-use date (per region, at intake)


@pytest.mark.parametrize(
    ("received_on", "prior_use_hours", "registered"),
    [("2021-07-14", "20", ["TH"]), ("2021-07-15", "20", ["CN", "TH"]), ("2021-07-14", "19.75", ["CN", "TH"])],
)
def test_prior_use_of_20_hours_in_a_region_is_accepted_from_2021_07_15(
    app, api_as, set_clock, received_on, prior_use_hours, registered
):
    """Decided at registration for each region (tests/web/test_prior_use.py has the rest); the screening that
    follows never refuses on it."""
    set_clock(datetime.fromisoformat("2021-07-15T10:00:00+09:00"))
    staff = api_as("staff")
    case = register(staff, "FY2021", ["CN", "TH"], received_on, **{"prior_use-CN": prior_use_hours})
    assert case["countries"] == registered and [h["country"] for h in case["hours"]] == registered
    if registered == ["TH"]:
        assert case["prior_use_refused"][0]["message"] == (
            "中国大陸は、2019年度以降に本事業で同地域の利用が20時間（20時間以上）あるため、2021年7月15日から受け付けます。"
        )
    at_adoption(staff, case["id"], dict(HEARING_OK, hearing_date="2021-07-15"))
    assert staff.get(f"/cases/{case['id']}").get_json()["ineligible_reasons"] == []


# ---------------------------------------------------------------- support-period end


def test_the_support_period_end_refuses_later_work_and_closes_the_service(app, api_as, set_clock):
    staff, expert_cn, expert_vn = api_as("staff"), api_as("expert_cn"), api_as("expert_vn")
    case = register(staff, "FY2025", ["CN", "VN"], "2025-07-01")
    adopt(staff, case["id"])
    forms = open_task(staff, case["id"], "forms_submission")
    assert complete(staff, forms["id"], {"form1_file": PDF, "form2_file": PDF}).status_code == 200
    briefing_cn = open_task(expert_cn, case["id"], "expert_briefing", "CN")
    assert complete(expert_cn, briefing_cn["id"], briefing("20", "zh")).status_code == 200
    plan = dict(PLAN, start_date="2025-08-01", end_date="2026-02-06")
    assert complete(staff, open_task(staff, case["id"], "plan_confirmation", "CN")["id"], plan).status_code == 200
    service_cn = open_task(expert_cn, case["id"], "service_delivery", "CN")
    briefing_vn = open_task(expert_vn, case["id"], "expert_briefing", "VN")  # VN is still at its briefing

    set_clock(datetime.fromisoformat("2026-02-06T12:00:00+09:00"))
    after_end = log_hours(expert_cn, case["id"], "CN", "1", work_date="2026-02-07")
    message = "作業日は支援期間（2025-07-01〜2026-02-06）内の日付にしてください。"
    assert after_end.status_code == 422 and after_end.get_json()["errors"] == {"work_date": [message]}
    assert log_hours(expert_cn, case["id"], "CN", "1", work_date="2026-02-06").status_code == 201

    set_clock(datetime.fromisoformat("2026-02-07T00:01:00+09:00"))
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0 and "timers fired for 1 case(s)" in result.output

    cancelled = staff.get("/tasks", case=str(case["id"]), status="cancelled").get_json()["tasks"]
    assert {t["id"] for t in cancelled} == {service_cn["id"], briefing_vn["id"]}
    assert staff.get("/tasks", case=str(case["id"]), role="expert").get_json()["tasks"] == []
    assert expert_vn.get(f"/tasks/{briefing_vn['id']}").get_json()["status"] == "cancelled"
    detail = staff.get(f"/cases/{case['id']}").get_json()
    assert {h["country"]: (h["closed_reason"], h["closed_label"]) for h in detail["hours"]} == {
        "CN": ("support_period_ended", "支援期間の終了により終了"),
        "VN": ("support_period_ended", "支援期間の終了により終了"),
    }
    assert hours_of(staff, case["id"], "CN")["used"] == 1.0
    refused = log_hours(expert_cn, case["id"], "CN", "1", work_date="2026-02-06")
    assert refused.status_code == 409
    late_completion = complete(expert_cn, service_cn["id"], SERVICE)
    assert late_completion.status_code == 409
    assert late_completion.get_json()["error"] == "このタスクは既に終了しています（支援期間の終了など）。"


# ---------------------------------------------------------------- each edition's countries


@pytest.mark.parametrize(
    ("edition", "country", "received_on", "message"),
    [
        ("FY2025", "SG", "2025-07-01", f"シンガポールは{FY2025_NAME}の対象国ではありません"),
        (
            "FY2021",
            "ID",
            "2021-08-02",
            "インドネシアは2021年度 日系企業における営業秘密漏えい対策支援事業の対象国ではありません",
        ),
    ],
)
def test_an_application_for_a_country_outside_the_edition_is_refused(
    app, api_as, set_clock, edition, country, received_on, message
):
    if edition == "FY2021":
        set_clock(FY2021_OPEN)
    staff = api_as("staff")
    response = staff.post("/applications", json=application(edition, ["CN", country], received_on))
    assert response.status_code == 422
    assert response.get_json() == {"error": "入力内容を確認してください。", "errors": {"countries": [message]}}
    assert staff.get("/tasks").get_json()["total"] == 0
