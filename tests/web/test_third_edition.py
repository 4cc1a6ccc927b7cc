"""A third edition is only a data file (issue 9): a made-up FY2026 (tests/data/editions/fy2026.toml — China 20 h,
Malaysia 15 h, support until 2027-02-05, prior use since FY2023 of 15 h or more accepted from 2026-07-01) runs a
China + Malaysia case end to end through the API, and everything it shows states FY2026's own figures: never one of
FY2021's or FY2025's (caps, years, hours, dates, planned numbers)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Flask

from forms import TaskContext, describe_form
from tests.fixtures import PASSWORD
from webapp.extensions import db
from webapp.models import OutboxEmail
from workflows.editions import load_editions

from .lifecycle import PDF, complete, open_task, register
from .test_api_lifecycle import FOLLOW_UP, SERVICE
from .third_edition import expert_for, third_edition  # noqa: F401  (fixture)

# What FY2021 and FY2025 state, and FY2026 does not: if any of it shows, a figure was written into the code.
OTHER_EDITIONS = (
    "2019年度", "2021年7月15日", "2021-07-15", "20時間以上", "17時間", "10時間", "23時間",
    "2022年2月18日", "2022-02-18", "2026年2月6日", "2026-02-06", "40件", "15件",
    "2021年度", "2025年度", "FY2021", "FY2025", "お電話等にて",
)  # fmt: skip
FY2026_NAME = "2026年度 海外における営業秘密漏えい対策支援事業（試験用）"


class Shown:
    """Everything the users were shown along the way (API answers, form fields, emails, pages)."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, where: str, value: Any) -> Any:
        self.texts.append((where, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)))
        return value

    def answer(self, where: str, response: Any, status: int = 200) -> Any:
        body = response.get_json()
        assert response.status_code == status, (where, response.status_code, body)
        return self.add(where, body)

    def other_editions_figures(self) -> list[tuple[str, str]]:
        return [(where, figure) for where, text in self.texts for figure in OTHER_EDITIONS if figure in text]


def task_fields(shown: Shown, api: Any, task: dict[str, Any]) -> list[dict[str, Any]]:
    detail = shown.answer(f"GET /tasks/{task['id']} ({task['form_key']})", api.get(f"/tasks/{task['id']}"))
    return list(detail["fields"])


def field(fields: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(f for f in fields if f["name"] == name)


def hours(expert: Any, case_id: int, country: str, amount: str, work_date: str = "2026-09-01") -> Any:
    payload = {"country": country, "work_date": work_date, "activity": "meeting", "hours": amount}
    return expert.post(f"/cases/{case_id}/hours", json=payload)


def page(app: Flask, username: str, path: str) -> str:
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_a_third_edition_file_runs_a_case_end_to_end_with_its_own_figures(
    app,
    api_as,
    password_hash,
    set_clock,
    third_edition,  # noqa: F811
):
    shown = Shown()
    set_clock(datetime.fromisoformat("2026-06-22T10:00:00+09:00"))  # FY2026 takes applications; its rule applies
    staff = api_as("staff")
    expert_cn = api_as("expert_cn")
    expert_my = expert_for(app, password_hash, "expert_my", "MY")

    # -- the edition and the application form, as the registration page describes them today
    editions = staff.get("/editions").get_json()  # lists every edition; FY2026's entry is what this case shows
    edition = shown.add("GET /editions (FY2026)", next(e for e in editions if e["code"] == "FY2026"))
    assert {c["code"]: c["hour_cap"] for c in edition["countries"]} == {"CN": 20.0, "MY": 15.0}
    assert edition["prior_use"] == {"since_fiscal_year": 2023, "threshold_hours": 15.0, "accept_from": "2026-07-01"}
    assert edition["support_period_end"] == "2027-02-05T23:59:59+09:00" and edition["planned_adoptions"] == 12
    with app.test_request_context("/"):
        form = shown.add("application form", describe_form("application", TaskContext(editions=load_editions())))
    prior = field(form, "prior_use")
    assert prior["label"] == "2023年度以降の本事業の利用時間（このシステムに記録のない分）"
    assert (
        f"{FY2026_NAME}：2023年度以降、同地域で15時間以上の利用がある場合、その地域は2026年7月1日から"
        in prior["description"]
    )
    assert [(f["name"], f["label"]) for f in prior["fields"]] == [("CN", "中国"), ("MY", "マレーシア")]
    shown.texts.pop()  # the edition choice lists every edition's name (FY2021's, FY2025's): checked above instead
    shown.add("application form (prior use)", prior)

    case = shown.add("POST /applications", register(staff, "FY2026", ["CN", "MY"], "2026-06-22"))
    assert case["number"] == "FY2026-0001" and case["countries"] == ["CN", "MY"]
    assert {h["country"]: h["cap"] for h in case["hours"]} == {"CN": 20.0, "MY": 15.0}

    # -- another company's application: China is left out under FY2026's prior-use rule, in its figures
    other = register(
        staff, "FY2026", ["CN", "MY"], "2026-06-22", company_name="株式会社さきの", **{"prior_use-CN": "15"}
    )
    shown.add("POST /applications (prior use)", other)
    assert other["countries"] == ["MY"]
    assert other["notice"] == (
        "中国は、2023年度以降に本事業で同地域の利用が15時間（15時間以上）あるため、2026年7月1日から受け付けます。"
        " 中国を除いて申込書を登録しました。"
    )
    refused = staff.post("/applications", json={
        "edition": "FY2026", "received_on": "2026-06-22", "received_time": "09:30", "company_name": "株式会社さきの", "contact_department": "法務部",
        "contact_name": "先野 一郎", "contact_email": "sakino@example.jp", "countries": ["CN"],
        "prior_use": {"CN": "16"}})  # fmt: skip
    assert shown.answer("POST /applications (refused)", refused, 409)["error"].endswith("申込書を登録できません。")
    assert "16時間（15時間以上）" in refused.get_json()["error"]

    # -- the China + Malaysia case, end to end (received before the other company's, so decided first)
    receipt = open_task(staff, case["id"], "receipt_confirmation")
    task_fields(shown, staff, receipt)
    shown.answer("receipt", complete(staff, receipt["id"], {"sealed_pdf_confirmed": True}))

    hearing = open_task(staff, case["id"], "hearing")
    shown.add("hearing page", page(app, "staff", f"/tasks/{hearing['id']}"))
    names = {f["name"] for f in task_fields(shown, staff, hearing)}
    assert "prior_use_hours" not in names and "willing_to_build" not in names  # not FY2026 conditions here
    assert "hearing_held" in names  # FY2026 lets the hearing be recorded as not needed (its file says so)
    answers = {"hearing_date": "2026-06-24", "method": "web", "domestic_experience": "yes", "publicity_consent": True,
               "sites": {"CN": {"site_wants_service": True}, "MY": {"site_wants_service": True}}}  # fmt: skip
    shown.answer("hearing", complete(staff, hearing["id"], answers))

    decision = open_task(staff, case["id"], "adoption_decision")
    task_fields(shown, staff, decision)
    shown.answer("adoption", complete(staff, decision["id"], {"decision": "adopt"}))
    forms = open_task(staff, case["id"], "forms_submission")
    task_fields(shown, staff, forms)
    shown.answer("forms", complete(staff, forms["id"], {"form1_file": PDF, "form2_file": PDF}))

    for expert, country, cap, language in ((expert_cn, "CN", "20", "zh"), (expert_my, "MY", "15", "ms")):
        task = open_task(expert, case["id"], "expert_briefing", country)
        fields = task_fields(shown, expert, task)
        username = "expert_cn" if country == "CN" else "expert_my"
        briefing_page = shown.add(f"briefing page ({country})", page(app, username, f"/tasks/{task['id']}"))
        assert f"1カ国あたりの上限は{cap}時間で、残りは{cap}時間です" in briefing_page
        assert (
            field(fields, "estimated_hours")["description"]
            == f"1カ国あたりの上限は{cap}時間で、残りは{cap}時間です（移動時間は含みません）"
        )
        languages = dict(field(fields, "training_language")["choices"])
        assert language in languages and languages[language] != language  # a language name, not its code
        payload = {"briefing_date": "2026-07-10", "consultation_items": ["A1-1"], "training_topics": ["B1"],
                   "training_audience": "both", "training_language": language, "expert_comment": "規程を見直す。"}  # fmt: skip
        over = complete(expert, task["id"], {**payload, "estimated_hours": f"{int(cap) + 0.25}"})
        assert shown.answer(f"briefing over the cap ({country})", over, 422)["errors"]["estimated_hours"] == [
            f"想定時間数が上限（{cap}時間）の残り（{cap}時間）を超えています。{cap}時間以内にしてください。"
        ]
        shown.answer(f"briefing ({country})", complete(expert, task["id"], {**payload, "estimated_hours": cap}))

        plan_task = open_task(staff, case["id"], "plan_confirmation", country)
        assert "支援期間は2027年2月5日までです" in shown.add(
            "plan page", page(app, "staff", f"/tasks/{plan_task['id']}")
        )
        assert (
            field(task_fields(shown, staff, plan_task), "end_date")["description"] == "支援期間は2027年2月5日までです"
        )
        late = {"start_date": "2026-07-15", "end_date": "2027-02-06", "schedule": "7月 現状確認",
                "agreed_by_company": True, "agreed_by_expert": True}  # fmt: skip
        refused_plan = shown.answer(f"plan after the period ({country})", complete(staff, plan_task["id"], late), 422)
        assert refused_plan["errors"]["end_date"] == ["支援期間（2027年2月5日）までの日付にしてください"]
        plan = {**late, "end_date": "2027-02-05"}
        shown.answer(f"plan ({country})", complete(staff, plan_task["id"], plan))

        # hours up to the edition's cap for the country, and not a quarter hour more
        below = f"{int(cap) - 0.25:g}"
        shown.answer(f"hours ({country})", hours(expert, case["id"], country, below), 201)
        at_cap = shown.answer(f"hours at the cap ({country})", hours(expert, case["id"], country, "0.25"), 201)
        assert (at_cap["used"], at_cap["cap"], at_cap["remaining"]) == (float(cap), float(cap), 0.0)
        more = shown.answer(f"hours over the cap ({country})", hours(expert, case["id"], country, "0.25"), 422)
        assert more["error"] == f"上限（{cap}時間）を超えるため記録できません。残りは0時間です。"
        after = shown.answer(
            f"hours after the period ({country})", hours(expert, case["id"], country, "0.25", "2027-02-06"), 422
        )
        assert after["errors"]["work_date"] == ["作業日は支援期間（2026-06-22〜2027-02-05）内の日付にしてください。"]

        service = open_task(expert, case["id"], "service_delivery", country)
        task_fields(shown, expert, service)
        shown.answer(f"service ({country})", complete(expert, service["id"], SERVICE))
        follow = open_task(expert, case["id"], "follow_up", country)
        task_fields(shown, expert, follow)
        shown.answer(
            f"follow-up ({country})", complete(expert, follow["id"], dict(FOLLOW_UP, meeting_date="2027-01-20"))
        )

    publicity = open_task(staff, case["id"], "publicity")
    task_fields(shown, staff, publicity)
    shown.answer("publicity", complete(staff, publicity["id"], {"publish": False}))

    detail = shown.answer("GET /cases", staff.get(f"/cases/{case['id']}"))
    assert detail["status"] == "completed"
    assert {h["country"]: (h["used"], h["cap"]) for h in detail["hours"]} == {"CN": (20.0, 20.0), "MY": (15.0, 15.0)}

    with app.app_context():
        emails = db.session.query(OutboxEmail).filter_by(case_id=case["id"]).order_by(OutboxEmail.id).all()
        for email in emails:
            shown.add(f"email {email.template}", f"{email.subject}\n{email.body}")
        bodies = {e.template: e.body for e in emails}
    assert "今後、適宜、営業秘密管理体制導入の検討状況等をお伺いし" in bodies["receipt_confirmation"]
    assert "支援期間は採択後から2027年2月5日までです。" in bodies["adoption_notice"]
    assert FY2026_NAME in bodies["adoption_notice"]

    # the pages staff and experts read for this case
    shown.add("case page", page(app, "staff", f"/cases/{case['id']}"))
    shown.add("refused region's case page", page(app, "staff", f"/cases/{other['id']}"))

    found = shown.other_editions_figures()
    assert found == [], "\n".join(f"{where}: {figure}" for where, figure in found)
