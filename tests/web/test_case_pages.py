"""The case list, the case page (timeline, diagram data, documents, emails, history) and the hours ledger page,
seen by every role."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.fixtures import PASSWORD
from webapp.extensions import db
from webapp.models import Case, User
from webapp.views import cases as case_views

from .lifecycle import PDF, adopt, complete, open_task, register
from .service import into_service


def login(client, username):
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def page_as(app, username, path, **kwargs):
    return login(app.test_client(), username).get(path, **kwargs)


def give_case_to_applicant(app, case_id: int, username: str = "applicant") -> None:
    """Links the applicant's account to the company the case was registered for."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        user.company_id = db.session.get(Case, case_id).company_id
        db.session.commit()


@pytest.fixture
def adopted(app, api_as):
    """An adopted FY2025 case in China and Thailand, waiting for the company's forms; the applicant owns it."""
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN", "TH"], "2025-07-01")
    adopt(staff, case["id"])
    give_case_to_applicant(app, case["id"])
    return case


@pytest.fixture
def serving(app, api_as, adopted):
    """The adopted case in service in both countries (hours are logged once a country's plan is confirmed)."""
    into_service(api_as, adopted["id"])
    return adopted


# ---------------------------------------------------------------- who sees the case


# username -> (status of the case's pages, text shown); a case one may not see is "not found", never a leak
ACCESS = {
    "staff": (200, "FY2025-0001"),
    "admin": (200, "FY2025-0001"),
    "expert_cn": (200, "FY2025-0001"),
    "applicant": (200, "FY2025-0001"),
    "expert_vn": (404, "案件が見つかりません"),
    "applicant_other": (404, "案件が見つかりません"),
    "designer": (403, "権限がありません"),
}


def test_case_pages_are_shown_only_to_those_who_may_see_the_case(app, adopted):
    case_id = adopted["id"]
    attachment = _attachment_path(app, case_id)
    for username, (status, shown) in ACCESS.items():
        client = login(app.test_client(), username)
        for path in (f"/cases/{case_id}", f"/cases/{case_id}/hours", f"/cases/{case_id}/diagram.json", attachment):
            response = client.get(path)
            assert response.status_code == status, (username, path)
            if path.startswith(f"/cases/{case_id}/attachments"):
                assert (response.data == PDF) is (status == 200), (username, path)
            elif not path.endswith(".json"):
                assert shown in response.text, (username, path)
                assert ("株式会社サンプル精機" in response.text) is (status == 200), (username, path)


def test_signed_out_visitors_are_sent_to_sign_in(app, adopted):
    response = app.test_client().get(f"/cases/{adopted['id']}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_case_list_lists_only_visible_cases(app, adopted):
    for username, listed in (("staff", True), ("expert_cn", True), ("applicant", True), ("expert_vn", False),
                             ("applicant_other", False)):  # fmt: skip
        page = page_as(app, username, "/cases").text
        assert (">FY2025-0001</a>" in page) is listed, username
        assert ("条件に合う案件はありません" in page) is not listed, username


def test_designers_have_no_case_list(app, users):
    response = page_as(app, "designer", "/cases")
    assert response.status_code == 403 and "権限がありません" in response.text


def test_case_list_searches_by_number_and_company_and_filters_by_stage(app, api_as, adopted):
    register(api_as("staff"), "FY2025", ["VN"], "2025-07-01", company_name="東海化学工業株式会社")
    client = login(app.test_client(), "staff")

    def listed(**args):
        page = client.get("/cases", query_string=args).text
        return set(re.findall(r">(FY2025-\d{4})</a>", page))

    assert listed() == {"FY2025-0001", "FY2025-0002"}
    assert listed(q="東海化学") == {"FY2025-0002"}
    assert listed(q="FY2025-0001") == {"FY2025-0001"}
    assert listed(stage="forms") == {"FY2025-0001"}
    assert listed(stage="receipt", edition="FY2025", status="active") == {"FY2025-0002"}
    assert listed(edition="FY2021") == set()


def test_case_list_pages_keep_the_filters(app, api_as, adopted, monkeypatch):
    register(api_as("staff"), "FY2025", ["VN"], "2025-07-01", company_name="東海化学工業株式会社")
    monkeypatch.setattr(case_views, "PER_PAGE", 1)
    client = login(app.test_client(), "staff")
    first = client.get("/cases", query_string={"edition": "FY2025"}).text
    assert "1 / 2 ページ（全2件）" in first
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "edition=FY2025" in next_link and "page=2" in next_link
    second = client.get(next_link).text
    assert "2 / 2 ページ" in second and 'rel="prev"' in second


# ---------------------------------------------------------------- what the case page shows


def test_case_page_shows_the_timeline_hours_documents_emails_and_history(app, adopted):
    page = page_as(app, "staff", f"/cases/{adopted['id']}").text
    current = re.search(r'<li class="step step-current" aria-current="step">\s*<span class="step-name">([^<]+)', page)
    assert current and current.group(1) == "様式提出"
    assert page.count("step step-done") == 3  # receipt, hearing, adoption
    assert "0 / 23時間（残り23時間）" in page
    assert "application.pdf" in page and f"/cases/{adopted['id']}/attachments/" in page
    assert "【ジェトロ】申込書受領のお知らせ（FY2025-0001）" in page
    assert "【ジェトロ】採択のお知らせ（FY2025-0001）" in page
    assert "井上 花子" in page and "申込書を登録" in page and "タスクを完了：採否の決定" in page
    assert "メールを送信：採択のお知らせ" in page
    assert f'application.pdf</a> <span class="muted">（{len(PDF)} B）' in page


def test_case_page_links_the_open_tasks_the_user_may_see(app, api_as, adopted):
    forms = open_task(api_as("staff"), adopted["id"], "forms_submission")
    for username, shown in (("staff", True), ("applicant", True), ("expert_cn", False)):
        page = page_as(app, username, f"/cases/{adopted['id']}").text
        assert (f'href="/tasks/{forms["id"]}"' in page) is shown, username
        assert ("対応中のタスク" in page) is shown, username


def test_history_marks_what_staff_did_on_the_company_s_behalf(app, api_as, adopted):
    staff = api_as("staff")
    forms = open_task(staff, adopted["id"], "forms_submission")
    assert complete(staff, forms["id"], {"form1_file": PDF, "form2_file": PDF}).status_code == 200
    page = page_as(app, "applicant", f"/cases/{adopted['id']}").text
    assert page.count("企業に代わって") == 1
    assert "form1_file.pdf" in page and "form2_file.pdf" in page


def test_diagram_data_marks_done_and_current_elements(app, api_as, adopted):
    current = open_task(api_as("staff"), adopted["id"], "forms_submission")
    data = page_as(app, "expert_cn", f"/cases/{adopted['id']}/diagram.json").get_json()
    assert current["element_id"] in data["active"]
    assert {"ConfirmReceipt", "Hearing", "DecideAdoption"} <= set(data["completed"])
    assert "Hearing" not in data["active"]
    assert 'id="trade_secret_support"' in data["xml"] and "bpmndi:BPMNDiagram" in data["xml"]


def test_case_page_loads_the_diagram_viewer(app, adopted):
    page = page_as(app, "staff", f"/cases/{adopted['id']}").text
    assert "/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in page
    assert f'data-url="/cases/{adopted["id"]}/diagram.json"' in page


# ---------------------------------------------------------------- documents


def _attachment_path(app, case_id: int) -> str:
    page = page_as(app, "staff", f"/cases/{case_id}").text
    return re.search(rf'href="(/cases/{case_id}/attachments/\d+)"', page).group(1)


def test_documents_download_with_the_right_type_and_name(app, adopted):
    response = page_as(app, "applicant", _attachment_path(app, adopted["id"]))
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert "application.pdf" in response.headers["Content-Disposition"]


def test_a_document_is_only_reachable_under_its_own_case(app, api_as, adopted):
    other = register(api_as("staff"), "FY2025", ["CN"], "2025-07-01", company_name="他社株式会社")
    path = _attachment_path(app, adopted["id"]).replace(f"/cases/{adopted['id']}/", f"/cases/{other['id']}/")
    assert page_as(app, "staff", path).status_code == 404


# ---------------------------------------------------------------- hours ledger


def log_hours(client, case_id, **fields):
    data = {"country": "TH", "work_date": "2025-07-10", "activity": "meeting", "hours": "1", **fields}
    return client.post(f"/cases/{case_id}/hours", data=data, follow_redirects=True)


def test_expert_logs_up_to_the_cap_and_the_next_quarter_hour_is_refused(app, serving):
    expert = login(app.test_client(), "expert_cn")
    accepted = log_hours(expert, serving["id"], hours="23")
    assert accepted.status_code == 200
    page = accepted.text
    assert "23時間を記録しました（タイ：残り0時間）" in page and "23 / 23時間（残り0時間）" in page

    refused = log_hours(expert, serving["id"], hours="0.25")
    assert refused.status_code == 422
    page = refused.text
    assert page.count("上限（23時間）を超えるため記録できません。残りは0時間です。") == 2  # flash and field error
    assert 'id="hours-error"' in page and 'aria-invalid="true"' in page
    assert "23 / 23時間（残り0時間）" in page


def test_refusal_names_the_hours_left(app, serving):
    expert = login(app.test_client(), "expert_cn")
    log_hours(expert, serving["id"], hours="20.5")
    refused = log_hours(expert, serving["id"], hours="3")
    assert refused.status_code == 422 and "残りは2.5時間です" in refused.text


def test_travel_is_recorded_but_not_counted(app, serving):
    expert = login(app.test_client(), "expert_cn")
    log_hours(expert, serving["id"], hours="23")
    travel = log_hours(expert, serving["id"], activity="travel", hours="6")
    page = travel.text
    assert travel.status_code == 200 and "カウント対象外" in page
    assert "23 / 23時間（残り0時間）" in page and "出張（カウント対象外）：6時間" in page


def test_form_errors_are_shown_on_their_fields(app, serving):
    expert = login(app.test_client(), "expert_cn")
    response = log_hours(expert, serving["id"], hours="0.3")
    assert response.status_code == 422
    page = response.text
    assert 'class="field has-error"' in page and "入力内容を確認してください" in page


def test_only_experts_record_hours(app, serving):
    for username in ("staff", "applicant", "admin"):
        client = login(app.test_client(), username)
        page = client.get(f"/cases/{serving['id']}/hours").text
        assert "作業時間を記録する" not in page and "国別の残り時間" in page, username
        response = log_hours(client, serving["id"])
        assert response.status_code == 403 and "権限がありません" in response.text, username
    assert "記録済みの作業" in page and "まだ記録はありません" in page


def test_expert_chooses_only_countries_that_are_both_theirs_and_the_case_s(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN", "VN"], "2025-07-01")
    adopt(staff, case["id"])
    into_service(api_as, case["id"])
    page = page_as(app, "expert_cn", f"/cases/{case['id']}/hours").text
    options = re.findall(r'<option[^>]*value="([A-Z]{2})"', page)
    assert options == ["CN"]
    refused = log_hours(login(app.test_client(), "expert_cn"), case["id"], country="VN")
    assert refused.status_code == 422 and "VN" not in re.findall(r'<option[^>]*value="([A-Z]{2})"', refused.text)


def test_hours_form_labels_are_tied_to_their_inputs(app, serving):
    page = page_as(app, "expert_cn", f"/cases/{serving['id']}/hours").text
    for name in ("country", "work_date", "activity", "hours", "note"):
        assert f'<label for="{name}">' in page and f'id="{name}"' in page
    assert 'aria-describedby="hours-help"' in page and "0.25時間（15分）単位" in page


# ---------------------------------------------------------------- FY2021: the posted original


def test_staff_record_the_posted_original_on_a_fy2021_case_page(app, api_as, set_clock):
    set_clock(datetime(2021, 8, 5, 10, 0, tzinfo=timezone(timedelta(hours=9))))
    case = register(api_as("staff"), "FY2021", ["CN"], "2021-08-02")
    client = login(app.test_client(), "staff")
    page = client.get(f"/cases/{case['id']}")
    assert "申請書原本（郵送）" in page.text and "発送・受領を記録する" in page.text

    refused = client.post(f"/cases/{case['id']}/original", data={"sent_on": "2021-08-04", "received_on": "2021-08-03"})
    assert refused.status_code == 422 and "受領日は発送日（2021-08-04）以降の日付にしてください" in refused.text
    future = client.post(f"/cases/{case['id']}/original", data={"received_on": "2021-08-06"})
    assert future.status_code == 422 and "未来の日付は指定できません" in future.text

    done = client.post(f"/cases/{case['id']}/original", data={"sent_on": "2021-08-03", "received_on": "2021-08-05"})
    assert done.status_code == 302
    with app.app_context():
        stored = db.session.get(Case, case["id"])
        assert (str(stored.original_sent_on), str(stored.original_received_on)) == ("2021-08-03", "2021-08-05")
    assert login(app.test_client(), "expert_cn").post(f"/cases/{case['id']}/original", data={}).status_code == 403


def test_a_fy2025_case_page_has_no_original_section(app, api_as, adopted):
    page = page_as(app, "staff", f"/cases/{adopted['id']}")
    assert page.status_code == 200 and "申請書原本（郵送）" not in page.text


# ---------------------------------------------------------------- reopening the decision


def test_a_lead_reopens_the_adoption_from_the_case_page_once_per_decision(app, api_as, adopted):
    lead = login(app.test_client(), "staff")
    page = lead.get(f"/cases/{adopted['id']}")
    assert "採否の決定をやり直す" in page.text
    assert "採否の決定をやり直す" not in page_as(app, "staff2", f"/cases/{adopted['id']}").text
    key = re.search(r'id="reopen-decision">.*?name="idempotency_key" value="([^"]+)"', page.text, re.S).group(1)

    blank = lead.post(f"/cases/{adopted['id']}/reopen-decision", data={"reason": " ", "idempotency_key": key})
    assert blank.status_code == 422 and "採否をやり直す理由を500文字以内で入力してください" in blank.text
    done = lead.post(f"/cases/{adopted['id']}/reopen-decision", data={"reason": "取り違え", "idempotency_key": key})
    assert done.status_code == 302
    again = lead.post(f"/cases/{adopted['id']}/reopen-decision", data={"reason": "取り違え", "idempotency_key": key})
    assert again.status_code == 302  # the double submit is answered from the first, not done twice
    with app.app_context():
        reopened = db.session.get(Case, adopted["id"])
        assert (reopened.stage, reopened.adopted_at) == ("adoption", None)
    staff2 = login(app.test_client(), "staff2")
    assert staff2.post(f"/cases/{adopted['id']}/reopen-decision", data={"reason": "x"}).status_code == 403
