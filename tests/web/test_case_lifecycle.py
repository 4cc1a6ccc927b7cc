"""Withdrawal (辞退), suspension and resumption (中断・再開), cancellation (中止) and the postponement of a whole
edition: the API, the case page, the task page, the inbox and the dashboard, and a withdrawal racing a completion."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.fixtures import DEMO_NOW, PASSWORD
from webapp.extensions import db
from webapp.models import AuditEvent, Case, EditionState, HumanTask, OutboxEmail, ProcessInstance

from .lifecycle import HEARING_OK, PDF, adopt, complete, open_task, register
from .test_api_lifecycle import PLAN, briefing

REASON = "海外拠点の再編により、今年度の導入を見送るため"
FY2021_DAY = datetime.fromisoformat("2021-08-02T10:00:00+09:00")


def tick(app) -> str:
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    return str(result.output)


def rows(app, case_id: int) -> dict:
    """What the database holds for the case: its status, task rows, instance row, counters, emails, history."""
    with app.app_context():
        case = db.session.get(Case, case_id)
        instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case_id))
        tasks = db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id).order_by(HumanTask.id))
        state = db.session.get(EditionState, case.edition)
        emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.case_id == case_id).order_by(OutboxEmail.id))
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id))
        return {
            "status": case.status,
            "stage": case.stage,
            "reason": case.status_reason,
            "tasks": [(t.form_key, t.country, t.status, t.due_at) for t in tasks],
            "instance": (instance.status, instance.next_timer_due, instance.lock_version),
            "adopted": state.adopted_count if state else 0,
            "emails": [(e.template, e.to_addr, e.subject, e.body) for e in emails],
            "events": [(e.action, e.detail, e.before_json, e.after_json) for e in events],
        }


def event(data: dict, action: str) -> tuple:
    found = [e for e in data["events"] if e[0] == action]
    assert len(found) == 1, data["events"]
    _action, detail, before, after = found[0]
    return detail, json.loads(before or "null"), json.loads(after or "null")


def in_service(api_as, case_id: int) -> None:
    """Forms submitted, the briefing and the plan done: the case's one country is in service."""
    staff, expert = api_as("staff"), api_as("expert_cn")
    assert complete(staff, open_task(staff, case_id, "forms_submission")["id"], {"form1_file": PDF, "form2_file": PDF})
    assert (
        complete(expert, open_task(expert, case_id, "expert_briefing", "CN")["id"], briefing("23")).status_code == 200
    )
    plan = dict(PLAN, start_date="2025-08-01", end_date="2026-02-06")
    assert complete(staff, open_task(staff, case_id, "plan_confirmation", "CN")["id"], plan).status_code == 200


# ---------------------------------------------------------------- withdrawal


def test_the_company_withdraws_its_adopted_case_and_frees_its_place(app, api_as):
    staff, applicant = api_as("staff"), api_as("applicant")
    case = register(staff, "FY2025", ["CN", "TH"], "2025-07-01")  # the applicant's company (same name)
    adopt(staff, case["id"])
    assert rows(app, case["id"])["adopted"] == 1

    response = applicant.post(f"/cases/{case['id']}/withdraw", json={"reason": REASON})

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["stage"], body["status_label"], body["status_reason"]) == (
        "withdrawn", "withdrawn", "辞退", REASON
    )  # fmt: skip
    assert [t["status"] for t in body["tasks"] if t["form_key"] == "forms_submission"] == ["cancelled"]
    data = rows(app, case["id"])
    assert data["adopted"] == 0  # the place is free again, in the same transaction
    assert all(status in ("completed", "cancelled") for _key, _country, status, _due in data["tasks"])
    assert data["instance"][:2] == ("cancelled", None)  # cancelled through the engine: no timer left
    detail, before, after = event(data, "case_withdrawn")
    assert detail == REASON
    assert before == {"status": "active", "stage": "forms", "adopted_count": 1}
    assert after == {"status": "withdrawn", "stage": "withdrawn", "adopted_count": 0}
    template, to_addr, subject, text = data["emails"][-1]
    assert (template, to_addr) == ("withdrawal_confirmation", "yamada@sample-seiki.example.jp")
    assert subject == f"【ジェトロ】辞退のご連絡を承りました（{case['number']}）"
    assert "辞退のご連絡を承りました" in text and REASON in text

    again = applicant.post(f"/cases/{case['id']}/withdraw", json={"reason": REASON})
    assert again.status_code == 409 and again.get_json()["error"] == "この案件は「辞退」のため、この操作はできません。"
    forms = next(t for t in body["tasks"] if t["form_key"] == "forms_submission")
    late = complete(applicant, forms["id"], {"form1_file": PDF, "form2_file": PDF})
    assert late.status_code == 409
    assert late.get_json()["error"] == "この案件は「辞退」となったため、このタスクは取り消されました。"
    assert staff.get("/tasks", case=str(case["id"])).get_json()["tasks"] == []  # nothing workable in the inbox


def test_staff_withdraw_a_case_in_screening_on_the_companys_word(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["VN"], "2025-07-01", company_name="越南精工株式会社")
    response = staff.post(f"/cases/{case['number']}/withdraw", json={"reason": "電話で辞退の申し出があった"})
    assert response.status_code == 200, response.get_json()
    data = rows(app, case["id"])
    assert data["adopted"] == 0 and data["tasks"][0][2] == "cancelled"
    assert "ご連絡いただいた辞退の手続きを完了しました" in data["emails"][-1][3]
    assert event(data, "case_withdrawn")[1] == {"status": "active", "stage": "receipt"}  # no place was held


def test_a_company_cannot_withdraw_another_companys_case_and_others_may_not_at_all(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    other = api_as("applicant_other").post(f"/cases/{case['id']}/withdraw", json={"reason": REASON})
    assert other.status_code == 404  # another company's case is not even visible
    expert = api_as("expert_cn").post(f"/cases/{case['id']}/withdraw", data={"reason": "\x00"})
    assert expert.status_code == 403  # who may, before what was sent
    assert expert.get_json()["error"] == "案件を辞退できるのは、その申請企業の担当者とジェトロ担当者のみです。"
    for role in ("applicant", "applicant_other", "expert_cn"):
        response = api_as(role).post(f"/cases/{case['id']}/cancel", json={"reason": REASON})
        assert response.status_code in (403, 404), role
    assert rows(app, case["id"])["status"] == "active"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 422, "辞退の理由を500文字以内で入力してください。"),
        ({"reason": "   "}, 422, "辞退の理由を500文字以内で入力してください。"),
        ({"reason": 12}, 422, "辞退の理由を500文字以内で入力してください。"),
        ({"reason": ["x"]}, 422, "辞退の理由を500文字以内で入力してください。"),
        ({"reason": "あ" * 501}, 422, "辞退の理由を500文字以内で入力してください。"),
        (
            {"reason": "a\u0000b"},
            422,
            "reason に使用できない文字（NUL文字または対になっていないサロゲート）が含まれています。",
        ),
    ],
)
def test_a_withdrawal_needs_a_reason_of_at_most_500_characters(app, api_as, body, status, message):
    staff, applicant = api_as("staff"), api_as("applicant")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    response = applicant.post(f"/cases/{case['id']}/withdraw", json=body)
    assert response.status_code == status
    assert response.get_json()["error"] == message
    assert response.get_json()["errors"]["reason"] == [message]
    assert rows(app, case["id"])["status"] == "active"


def test_a_body_that_is_not_json_is_refused_before_anything_changes(app, api_as):
    staff, applicant = api_as("staff"), api_as("applicant")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    response = applicant.client.post(
        f"/api/v1/cases/{case['id']}/withdraw", data="{", content_type="application/json",
        headers={"Authorization": f"Bearer {applicant.token}"},
    )  # fmt: skip
    assert response.status_code == 400
    assert rows(app, case["id"])["status"] == "active"


def test_a_withdrawn_earlier_case_no_longer_holds_up_later_adoptions(app, api_as):
    staff = api_as("staff")
    earlier = register(staff, "FY2025", ["CN"], "2025-06-30", company_name="先着精機株式会社")
    later = register(staff, "FY2025", ["CN"], "2025-07-01", company_name="後着電機株式会社")
    for case in (later,):
        complete(staff, open_task(staff, case["id"], "receipt_confirmation")["id"], {"sealed_pdf_confirmed": True})
        complete(staff, open_task(staff, case["id"], "hearing")["id"], HEARING_OK)
    decision = open_task(staff, later["id"], "adoption_decision")
    assert complete(staff, decision["id"], {"decision": "adopt"}).status_code == 409  # the earlier one first
    assert staff.post(f"/cases/{earlier['id']}/withdraw", json={"reason": REASON}).status_code == 200
    assert complete(staff, decision["id"], {"decision": "adopt"}).status_code == 200


# ---------------------------------------------------------------- suspension and resumption


def test_a_suspended_case_cannot_be_worked_on_and_its_timers_wait_then_shift(app, api_as, set_clock):
    staff, applicant = api_as("staff"), api_as("applicant")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, case["id"])  # at DEMO_NOW: the forms are due, and reminded, 14 days later
    reminder = DEMO_NOW + timedelta(days=14)
    forms = open_task(staff, case["id"], "forms_submission")
    assert datetime.fromisoformat(forms["due_at"]) == reminder
    assert rows(app, case["id"])["instance"][1] == reminder

    set_clock(DEMO_NOW + timedelta(days=2))
    suspended = staff.post(f"/cases/{case['id']}/suspend", json={"reason": "現地の操業停止のため"})
    assert suspended.status_code == 200, suspended.get_json()
    assert (suspended.get_json()["status"], suspended.get_json()["stage"]) == ("suspended", "forms")
    assert datetime.fromisoformat(suspended.get_json()["suspended_at"]) == DEMO_NOW + timedelta(days=2)
    assert rows(app, case["id"])["instance"][:2] == ("suspended", None)  # tick has nothing to fire

    message = "この案件は2025-07-03から中断中のため、タスクの担当・完了はできません。再開されてから処理してください。"
    claim = applicant.post(f"/tasks/{forms['id']}/claim")
    assert (claim.status_code, claim.get_json()["error"]) == (409, message)
    done = complete(applicant, forms["id"], {"form1_file": PDF, "form2_file": PDF})
    assert (done.status_code, done.get_json()["error"]) == (409, message)
    takeover = staff.post(f"/tasks/{forms['id']}/takeover", json={"reason": "代理で提出"})
    assert takeover.status_code == 409
    assert staff.post(f"/cases/{case['id']}/suspend", json={"reason": "再度"}).status_code == 409

    set_clock(DEMO_NOW + timedelta(days=15))  # the reminder's day has passed while suspended
    tick(app)
    assert [e[0] for e in rows(app, case["id"])["emails"]] == ["receipt_confirmation", "adoption_notice"]

    resumed = staff.post(f"/cases/{case['id']}/resume", json={"reason": "操業を再開したため"})
    assert resumed.status_code == 200, resumed.get_json()
    shifted = reminder + timedelta(days=13)  # suspended from day 2 to day 15
    data = rows(app, case["id"])
    assert data["status"] == "active" and data["instance"][:2] == ("running", shifted)
    assert [due for key, _c, status, due in data["tasks"] if status == "open"] == [shifted]
    detail, before, after = event(data, "case_resumed")
    assert detail == "操業を再開したため" and before["status"] == "suspended"
    assert after["suspended_seconds"] == 13 * 86400
    assert [(t["element"], datetime.fromisoformat(t["before"]), datetime.fromisoformat(t["after"])) for t in
            after["timers"]] == [("FormsOverdue", reminder, shifted)]  # fmt: skip
    assert [d["task"] for d in after["due_dates"]] == ["様式1・様式2の提出"]
    assert event(data, "case_suspended")[0] == "現地の操業停止のため"

    set_clock(shifted - timedelta(minutes=1))
    tick(app)
    assert "forms_reminder" not in [e[0] for e in rows(app, case["id"])["emails"]]
    set_clock(shifted + timedelta(minutes=1))
    tick(app)
    assert [e[0] for e in rows(app, case["id"])["emails"]][-1] == "forms_reminder"
    assert staff.post(f"/cases/{case['id']}/resume", json={"reason": "再度"}).status_code == 409
    assert applicant.post(f"/tasks/{forms['id']}/claim").status_code == 200  # workable again


def test_resuming_keeps_the_support_period_end_where_the_edition_puts_it(app, api_as, set_clock):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, case["id"])
    in_service(api_as, case["id"])
    period_end = datetime.fromisoformat("2026-02-06T23:59:59+09:00")
    service = open_task(staff, case["id"], "service_delivery", "CN")
    assert datetime.fromisoformat(service["due_at"]) == period_end
    assert staff.post(f"/cases/{case['id']}/suspend", json={"reason": "一時中断"}).status_code == 200
    hours = {"country": "CN", "work_date": "2025-07-01", "activity": "meeting", "hours": "1"}
    assert api_as("expert_cn").post(f"/cases/{case['id']}/hours", json=hours).status_code == 409  # no work meanwhile
    set_clock(DEMO_NOW + timedelta(days=30))
    assert staff.post(f"/cases/{case['id']}/resume", json={"reason": "再開"}).status_code == 200
    data = rows(app, case["id"])
    assert data["instance"][:2] == ("running", period_end)  # the timeDate timer is a calendar date
    assert [due for key, _c, status, due in data["tasks"] if status == "open"] == [period_end]
    assert event(data, "case_resumed")[2]["timers"] == []
    assert api_as("expert_cn").post(f"/cases/{case['id']}/hours", json=hours).status_code == 201


def test_only_staff_suspend_and_a_reason_is_required(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    for role in ("applicant", "expert_cn"):
        response = api_as(role).post(f"/cases/{case['id']}/suspend", json={"reason": "x"})
        assert response.status_code == 403, role
        assert response.get_json()["error"] == "案件の中断・再開・中止ができるのはジェトロ担当者のみです。"
    missing = staff.post(f"/cases/{case['id']}/suspend", json={})
    assert missing.status_code == 422 and missing.get_json()["errors"] == {
        "reason": ["中断の理由を500文字以内で入力してください。"]
    }
    assert staff.post(f"/cases/{case['id']}/resume", json={"reason": "x"}).status_code == 409  # not suspended
    assert api_as("staff2").post(f"/cases/{case['id']}/suspend", json={"reason": "x"}).status_code == 200
    assert api_as("staff2").post(f"/cases/{case['id']}/withdraw", json={"reason": "辞退"}).status_code == 200


# ---------------------------------------------------------------- cancellation


def test_staff_cancel_a_case_with_a_notice_to_the_company(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, case["id"])
    assert staff.post(f"/cases/{case['id']}/suspend", json={"reason": "現地の状況確認"}).status_code == 200
    response = staff.post(
        f"/cases/{case['id']}/cancel", json={"reason": "現地の治安悪化により専門家の支援が困難なため"}
    )
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["status"], response.get_json()["status_label"]) == ("cancelled", "中止")
    data = rows(app, case["id"])
    assert data["adopted"] == 0 and data["instance"][:2] == ("cancelled", None)
    template, _to, subject, text = data["emails"][-1]
    assert template == "cancellation_notice" and subject == f"【ジェトロ】支援中止のお知らせ（{case['number']}）"
    assert "中止の理由：現地の治安悪化により専門家の支援が困難なため" in text
    assert event(data, "case_cancelled")[1] == {"status": "suspended", "stage": "forms", "adopted_count": 1}
    assert staff.post(f"/cases/{case['id']}/cancel", json={"reason": "x"}).status_code == 409
    missing = register(staff, "FY2025", ["TH"], "2025-07-01", company_name="タイ精密株式会社")
    refused = staff.post(f"/cases/{missing['id']}/cancel", json={"reason": ""})
    assert refused.get_json()["errors"]["reason"] == [
        "中止の理由を500文字以内で入力してください（企業への通知に記載されます）。"
    ]


# ---------------------------------------------------------------- a whole edition


def test_a_lead_postpones_and_resumes_a_whole_edition_that_allows_it(app, api_as, set_clock):
    set_clock(FY2021_DAY)
    staff, lead = api_as("staff2"), api_as("staff")
    adopted = register(lead, "FY2021", ["CN"], "2021-08-02", company_name="甲精工株式会社")
    adopt(lead, adopted["id"])
    screening = register(lead, "FY2021", ["TH"], "2021-08-02", company_name="乙電機株式会社")
    alone = register(lead, "FY2021", ["VN"], "2021-08-02", company_name="丙商事株式会社")
    gone = register(lead, "FY2021", ["SG"], "2021-08-02", company_name="丁工業株式会社")
    assert lead.post(f"/cases/{alone['id']}/suspend", json={"reason": "企業の都合"}).status_code == 200
    assert lead.post(f"/cases/{gone['id']}/withdraw", json={"reason": "辞退"}).status_code == 200

    assert staff.post("/editions/FY2021/suspend", json={"reason": "x"}).status_code == 403
    assert lead.post("/editions/FY1999/suspend", json={"reason": "x"}).status_code == 404
    fy2025 = lead.post("/editions/FY2025/suspend", json={"reason": "感染拡大"})
    assert fy2025.status_code == 409
    assert "応募要領には事業の延期・中止の定めがない" in fy2025.get_json()["error"]
    assert lead.post("/editions/FY2021/suspend", json={}).status_code == 422

    response = lead.post("/editions/FY2021/suspend", json={"reason": "新型コロナウイルス感染拡大の影響"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["cases"] == [adopted["number"], screening["number"]]
    edition = response.get_json()["edition"]
    assert datetime.fromisoformat(edition["postponed_since"]) == FY2021_DAY and edition["may_be_postponed"] is True
    assert edition["intake_open"] is False and "延期中" in edition["intake_closed_reason"]
    assert [rows(app, c["id"])["status"] for c in (adopted, screening, alone, gone)] == [
        "suspended", "suspended", "suspended", "withdrawn"
    ]  # fmt: skip
    refused = lead.post("/applications", json={})
    assert refused.status_code in (409, 422)
    individually = lead.post(f"/cases/{adopted['id']}/resume", json={"reason": "x"})
    assert individually.status_code == 409 and "年度全体の延期" in individually.get_json()["error"]
    assert lead.post("/editions/FY2021/suspend", json={"reason": "再度"}).status_code == 409

    set_clock(FY2021_DAY + timedelta(days=7))
    resumed = lead.post("/editions/FY2021/resume", json={"reason": "感染状況が落ち着いたため"})
    assert resumed.status_code == 200, resumed.get_json()
    assert resumed.get_json()["cases"] == [adopted["number"], screening["number"]]
    assert resumed.get_json()["edition"]["postponed_since"] is None
    assert [rows(app, c["id"])["status"] for c in (adopted, screening, alone)] == ["active", "active", "suspended"]
    forms = open_task(lead, adopted["id"], "forms_submission")
    assert datetime.fromisoformat(forms["due_at"]) == FY2021_DAY + timedelta(days=14 + 7)
    assert lead.post("/editions/FY2021/resume", json={"reason": "x"}).status_code == 409
    assert lead.get("/editions").get_json()[0]["intake_open"] is True


# ---------------------------------------------------------------- pages


def login(app, username):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def test_the_case_page_offers_each_role_what_it_may_do(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, case["id"])
    path = f"/cases/{case['id']}"

    applicant_page = login(app, "applicant").get(path).text
    assert 'id="lifecycle-withdraw"' in applicant_page and "辞退の理由" in applicant_page
    assert 'id="lifecycle-suspend"' not in applicant_page and 'id="lifecycle-cancel"' not in applicant_page
    staff_page = login(app, "staff").get(path).text
    assert all(f'id="lifecycle-{a}"' in staff_page for a in ("withdraw", "suspend", "cancel"))
    assert 'id="lifecycle-resume"' not in staff_page
    assert "lifecycle-" not in login(app, "expert_cn").get(path).text
    assert login(app, "expert_cn").post(f"{path}/withdraw", data={"reason": REASON}).status_code == 403
    assert login(app, "applicant_other").post(f"{path}/withdraw", data={"reason": REASON}).status_code == 404


def test_the_company_withdraws_from_the_case_page(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, case["id"])
    client = login(app, "applicant")
    path = f"/cases/{case['id']}"

    empty = client.post(f"{path}/withdraw", data={"reason": " "})
    assert empty.status_code == 422 and "辞退の理由を500文字以内で入力してください。" in empty.text
    assert '<details class="lifecycle-action" open>' in empty.text
    assert rows(app, case["id"])["status"] == "active"

    key = f"case:{case['id']}:withdraw:active:"
    done = client.post(f"{path}/withdraw", data={"reason": REASON, "idempotency_key": key})
    assert done.status_code == 302 and done.headers["Location"].endswith(path)
    twice = client.post(f"{path}/withdraw", data={"reason": REASON, "idempotency_key": key})
    assert twice.status_code == 302  # the same form sent twice: the first answer, nothing done again
    page = client.get(path).text
    assert "案件を辞退しました。企業に確認のメールを送ります。" in page
    assert "status-withdrawn" in page and f"辞退の理由：{REASON}" in page and "lifecycle-" not in page
    data = rows(app, case["id"])
    assert [e[0] for e in data["events"]].count("case_withdrawn") == 1 and data["adopted"] == 0


def test_a_suspended_case_shows_so_on_its_pages_and_offers_no_form(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    client = login(app, "staff")
    assert client.post(f"/cases/{case['id']}/suspend", data={"reason": "企業からの依頼"}).status_code == 302
    page = client.get(f"/cases/{case['id']}").text
    assert "この案件は2025-07-01から中断中です。" in page and "中断の理由：企業からの依頼" in page
    assert 'id="lifecycle-resume"' in page and 'id="lifecycle-suspend"' not in page
    task = open_task(staff, case["id"], "receipt_confirmation")
    task_page = client.get(f"/tasks/{task['id']}").text
    assert 'id="task-suspended"' in task_page and 'class="task-form"' not in task_page
    inbox = client.get("/inbox/").text
    assert "row-suspended" in inbox and "中断中" in inbox
    refused = client.post(f"/tasks/{task['id']}", data={"sealed_pdf_confirmed": "y", "action": "complete"})
    assert refused.status_code == 409
    again = client.post(f"/cases/{case['id']}/suspend", data={"reason": "再度"})
    assert again.status_code == 409 and "既に中断中です" in again.text
    assert client.post(f"/cases/{case['id']}/resume", data={"reason": "再開"}).status_code == 302
    assert 'class="task-form"' in client.get(f"/tasks/{task['id']}").text


def test_the_dashboard_lets_a_lead_postpone_only_an_edition_that_allows_it(app, api_as, set_clock):
    set_clock(FY2021_DAY)
    register(api_as("staff"), "FY2021", ["CN"], "2021-08-02", company_name="甲精工株式会社")
    lead = login(app, "staff")
    page = lead.get("/dashboard").text
    assert 'id="edition-FY2021-suspend"' in page and 'id="edition-FY2025-suspend"' not in page
    assert 'id="edition-FY2021-suspend"' not in login(app, "staff2").get("/dashboard").text
    assert login(app, "staff2").post("/dashboard/editions/FY2021/suspend", data={"reason": "x"}).status_code == 403
    refused = lead.post("/dashboard/editions/FY2025/suspend", data={"reason": "x"})
    assert refused.status_code == 409 and "延期・中止の定めがない" in refused.text
    done = lead.post("/dashboard/editions/FY2021/suspend", data={"reason": "感染拡大"})
    assert done.status_code == 302
    page = lead.get("/dashboard").text
    assert "FY2021を延期しました（1件の案件を中断）。" in page and 'id="edition-FY2021-resume"' in page


# ---------------------------------------------------------------- a withdrawal racing a completion


@pytest.mark.parametrize("attempt", range(3))
def test_a_withdrawal_and_a_completion_at_once_one_wins_and_nothing_is_half_written(app, api_as, attempt):
    staff, applicant = api_as("staff"), api_as("applicant")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    receipt = open_task(staff, case["id"], "receipt_confirmation")
    assert complete(staff, receipt["id"], {"sealed_pdf_confirmed": True}).status_code == 200
    hearing = open_task(staff, case["id"], "hearing")
    barrier = threading.Barrier(2)
    results: dict[str, tuple[int, dict]] = {}

    def completion() -> None:
        barrier.wait()
        response = complete(staff, hearing["id"], HEARING_OK)
        results["complete"] = (response.status_code, response.get_json())

    def withdrawal() -> None:
        barrier.wait()
        response = applicant.post(f"/cases/{case['id']}/withdraw", json={"reason": REASON})
        results["withdraw"] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=completion), threading.Thread(target=withdrawal)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    completed, withdrawn = results["complete"][0], results["withdraw"][0]
    assert {completed, withdrawn} <= {200, 409} and 200 in (completed, withdrawn), results
    data = rows(app, case["id"])
    actions = [e[0] for e in data["events"]]
    hearing_row = next(t for t in data["tasks"] if t[0] == "hearing")
    saves = 2 + (completed == 200) + (withdrawn == 200)  # start, receipt, then each winner once
    assert data["instance"][2] == saves
    assert actions.count("task_completed") == 1 + (completed == 200)
    if withdrawn == 200:
        assert data["status"] == "withdrawn" and data["instance"][:2] == ("cancelled", None)
        assert not [t for t in data["tasks"] if t[2] == "open"]
        assert hearing_row[2] == ("completed" if completed == 200 else "cancelled")
        assert actions.count("case_withdrawn") == 1
        assert [e[0] for e in data["emails"]].count("withdrawal_confirmation") == 1
    else:
        assert data["status"] == "active" and hearing_row[2] == "completed"
        assert "case_withdrawn" not in actions and [t[0] for t in data["tasks"] if t[2] == "open"] == [
            "adoption_decision"
        ]
        assert "withdrawal_confirmation" not in [e[0] for e in data["emails"]]


def test_a_withdrawal_while_the_engine_runs_a_completion_makes_the_completion_lose(app, api_as, monkeypatch):
    """The completion's engine step ran on the state before the withdrawal; storing it would undo the withdrawal.
    The withdrawal commits in between, so the completion is refused and leaves nothing behind."""
    from workflows.engine import Instance

    staff, applicant = api_as("staff"), api_as("applicant")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    complete(staff, open_task(staff, case["id"], "receipt_confirmation")["id"], {"sealed_pdf_confirmed": True})
    hearing = open_task(staff, case["id"], "hearing")
    engine_ran, withdrawn = threading.Event(), threading.Event()
    original = Instance.complete

    def complete_then_wait(self, task_id, data):  # type: ignore[no-untyped-def]
        messages = original(self, task_id, data)
        engine_ran.set()
        assert withdrawn.wait(30)
        return messages

    monkeypatch.setattr(Instance, "complete", complete_then_wait)
    results: dict[str, int] = {}

    def completion() -> None:
        results["complete"] = complete(staff, hearing["id"], HEARING_OK).status_code

    thread = threading.Thread(target=completion)
    thread.start()
    assert engine_ran.wait(30)
    results["withdraw"] = applicant.post(f"/cases/{case['id']}/withdraw", json={"reason": REASON}).status_code
    withdrawn.set()
    thread.join(timeout=30)

    assert results == {"withdraw": 200, "complete": 409}
    data = rows(app, case["id"])
    assert data["status"] == "withdrawn" and data["instance"] == ("cancelled", None, 3)
    assert [(t[0], t[2]) for t in data["tasks"]] == [("receipt_confirmation", "completed"), ("hearing", "cancelled")]
    assert [e[0] for e in data["events"]].count("task_completed") == 1


def test_the_case_page_speaks_english_too(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    client = login(app, "staff")
    client.get("/inbox/?lang=en")
    assert client.post(f"/cases/{case['id']}/suspend", data={"reason": "企業からの依頼"}).status_code == 302
    page = client.get(f"/cases/{case['id']}").text
    assert "The case was suspended." in page and "This case has been suspended since 2025-07-01." in page
    assert "Withdraw, suspend, cancel" in page and "Reason for resuming (kept in the history)" in page
