"""The case record: the case page shows what the application and each step recorded, labelled as the forms asked
it; a completed task opens read-only with its answers; deciding tasks show the records they decide on."""

from __future__ import annotations

import re

from tests.fixtures import PASSWORD

from .lifecycle import HEARING_OK, PDF, complete, open_task, register


def login(app, username):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def heard_case(api_as):  # type: ignore[no-untyped-def]
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN", "TH"], "2025-07-01", company_name="株式会社記録精機")
    complete(staff, open_task(staff, case["id"], "receipt_confirmation")["id"], {"sealed_pdf_confirmed": True})
    hearing = open_task(staff, case["id"], "hearing")
    note = "本社規程はあるが、タイ拠点では秘密情報の区分が未整備"
    answers = {**HEARING_OK, "management_status": note, "method": "web"}
    answers["sites"] = {**HEARING_OK["sites"], "TH": {"applied_by_japan_side": True, "site_wants_service": True}}
    assert complete(staff, hearing["id"], answers).status_code == 200
    return case, hearing, note


def test_the_case_page_shows_the_hearing_record_with_its_labels(app, api_as):
    case, _hearing, note = heard_case(api_as)
    page = text_of(login(app, "staff").get(f"/cases/{case['id']}").get_data(as_text=True))
    assert "記録（段階ごと）" in page
    assert f"営業秘密管理体制導入の検討状況 {note}" in page
    assert "ヒアリングの方法 WEB会議" in page  # a choice's name, not its code
    assert "日本側から現地拠点分を申請 はい" in page  # Thailand's site, under its country
    assert "会社名 株式会社記録精機" in page  # the application's answers


def test_a_completed_task_opens_read_only_with_its_answers(app, api_as):
    case, hearing, note = heard_case(api_as)
    page = login(app, "staff").get(f"/tasks/{hearing['id']}").get_data(as_text=True)
    assert "完了時の入力内容（読み取り専用）" in page and note in page
    assert 'name="management_status"' not in page  # no form: nothing to submit again


def test_the_adoption_decision_shows_the_hearing_it_decides_on(app, api_as):
    case, _hearing, note = heard_case(api_as)
    decision = open_task(api_as("staff"), case["id"], "adoption_decision")
    page = login(app, "staff").get(f"/tasks/{decision['id']}").get_data(as_text=True)
    assert "判断の材料（これまでの記録）" in page and note in page


def test_an_expert_sees_only_their_countries_steps_and_not_the_application(app, api_as):
    case, _hearing, note = heard_case(api_as)
    page = login(app, "expert_cn").get(f"/cases/{case['id']}").get_data(as_text=True)
    record = text_of(page).split("記録（段階ごと）")[1].split("履歴")[0]
    assert "会社名" not in record and "担当者メールアドレス" not in record  # the company's details stay with JETRO


def test_the_case_record_shows_a_row_of_form_1(app, api_as):
    import io

    case, _hearing, _note = heard_case(api_as)
    staff = api_as("staff")
    decision = open_task(staff, case["id"], "adoption_decision")
    assert complete(staff, decision["id"], {"decision": "adopt"}).status_code == 200
    forms_task = open_task(staff, case["id"], "forms_submission")
    client = login(app, "staff")
    done = client.post(
        f"/tasks/{forms_task['id']}",
        data={
            "form1_file": (io.BytesIO(PDF), "list.pdf"),
            "form2_file": (io.BytesIO(PDF), "sheet.pdf"),
            "assets-0-name": "金型図面データ",
            "assets-0-department": "設計部",
            "self_check-0-answer": "done",
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    page = text_of(client.get(f"/cases/{case['id']}").get_data(as_text=True))
    assert "情報の名称 金型図面データ" in page and "設計部" in page
