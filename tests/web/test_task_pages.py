"""The task page: instructions and form, case summary, who may open and submit, Japanese errors beside the
fields, drafts, uploads, acting on the company's behalf, and the refusals (403, 404, 409, 422)."""

from __future__ import annotations

import io
import re

import pytest

from tests.fixtures import PASSWORD
from webapp.extensions import db
from webapp.models import AuditEvent, Case, HumanTask, User

from .lifecycle import HEARING_OK, PDF, adopt, complete, form_fields, open_task, register


def login(app, username):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def link_applicant(app, case_id: int, username: str = "applicant") -> None:
    with app.app_context():
        user = db.session.query(User).filter_by(username=username).one()
        user.company_id = db.session.get(Case, case_id).company_id
        db.session.commit()


def holder_of(app, task_id: int) -> str | None:  # type: ignore[no-untyped-def]
    with app.app_context():
        task = db.session.get(HumanTask, task_id)
        return task.assignee.username if task and task.assignee else None


def task_row(app, task_id: int) -> HumanTask:
    with app.app_context():
        task = db.session.get(HumanTask, task_id)
        db.session.expunge(task)
        return task


def field_block(html: str, field_id: str) -> str:
    """The markup of one rendered field (from its label to the next field)."""
    start = html.index(f'for="{field_id}"')
    end = html.find('<div class="field', start)
    return html[start : end if end != -1 else len(html)]


@pytest.fixture
def case(app, api_as):
    """A FY2025 case in China at the receipt step."""
    return register(api_as("staff"), "FY2025", ["CN"], "2025-06-20", company_name="株式会社サンプル精機")


@pytest.fixture
def receipt(api_as, case):
    return open_task(api_as("staff"), case["id"], "receipt_confirmation")["id"]


@pytest.fixture
def forms_task(app, api_as, case):
    """The applicant-lane forms step; the `applicant` user works for the case's company."""
    staff = api_as("staff")
    adopt(staff, case["id"])
    link_applicant(app, case["id"])
    return open_task(staff, case["id"], "forms_submission")["id"]


@pytest.mark.parametrize(
    ("username", "status", "says"),
    [
        ("staff", 200, "完了する"),
        ("staff2", 200, "完了する"),
        ("admin", 200, "内容の確認のみできます"),
        ("expert_cn", 403, "このタスクを処理する権限がありません。"),  # the case is in the expert's country
        ("expert_vn", 404, "タスクが見つかりません。"),
        ("applicant", 403, "このタスクを処理する権限がありません。"),  # its own company's case, staff's step
        ("applicant_other", 404, "タスクが見つかりません。"),
        ("designer", 404, "タスクが見つかりません。"),
    ],
)
def test_a_staff_task_page_for_every_role(app, users, case, receipt, username, status, says):
    link_applicant(app, case["id"])
    response = login(app, username).get(f"/tasks/{receipt}")
    assert response.status_code == status
    assert says in response.get_data(as_text=True)


def test_an_unknown_task_is_not_found(app, users):
    response = login(app, "staff").get("/tasks/999")
    assert response.status_code == 404 and "タスクが見つかりません。" in response.get_data(as_text=True)


def test_the_page_shows_the_rendered_instructions_and_the_case_summary(app, case, receipt):
    page = login(app, "staff").get(f"/tasks/{receipt}").get_data(as_text=True)
    assert "株式会社サンプル精機 の申込書（捺印済みPDF）を確認し、受領確認の連絡をしてください。" in page
    assert "{{" not in page.split('id="main"', 1)[1]
    summary = page.split('class="case-summary', 1)[1]
    for text in ("株式会社サンプル精機", case["number"], "2025年度 海外における営業秘密漏えい対策支援事業", "中国",
                 "受領確認", "2025-06-20", "0 / 23 時間", "時間の記録を開く"):  # fmt: skip
        assert text in summary, text
    assert re.search(rf'捺印済みの申込書：<a href="/cases/{case["id"]}/attachments/\d+">application.pdf</a>', summary)
    assert 'enctype="multipart/form-data"' in page
    assert '<span class="required">必須</span>' in field_block(page, "sealed_pdf_confirmed")
    assert 'accept=".pdf"' in field_block(page, "sealed_pdf")


def test_completing_a_task_flashes_and_returns_to_the_inbox_without_it(app, receipt):
    client = login(app, "staff")
    response = client.post(f"/tasks/{receipt}", data={"sealed_pdf_confirmed": "y", "action": "complete"})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox/"
    inbox = client.get("/inbox/").get_data(as_text=True)
    assert "完了しました。" in inbox and f'href="/tasks/{receipt}"' not in inbox
    assert task_row(app, receipt).status == "completed"


def test_a_missing_required_field_is_explained_beside_it_and_focusable(app, api_as, case, receipt):
    staff = api_as("staff")
    assert complete(staff, receipt, {"sealed_pdf_confirmed": True}).status_code == 200
    hearing = open_task(staff, case["id"], "hearing")["id"]
    response = login(app, "staff").post(f"/tasks/{hearing}", data={"method": "phone", "notes": "電話で確認"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    block = field_block(page, "hearing_date")
    assert 'aria-invalid="true"' in block and 'aria-describedby="hearing_date-error"' in block
    assert re.search(r'id="hearing_date-error" class="error"><p>ヒアリング実施日を入力してください</p>', block)
    assert '<a href="#hearing_date">ヒアリング実施日：ヒアリング実施日を入力してください</a>' in page
    assert "電話で確認" in page and 'selected value="phone"' in page  # what was typed is kept
    assert '<script src="/static/task-form.js"></script>' in page  # the first field in error gets the focus
    assert "[aria-invalid=true]" in app.test_client().get("/static/task-form.js").get_data(as_text=True)


def test_the_hearing_starts_from_what_the_application_already_answered(app, api_as, case, receipt):
    staff = api_as("staff")
    complete(staff, receipt, {"sealed_pdf_confirmed": True})
    hearing = open_task(staff, case["id"], "hearing")["id"]
    page = login(app, "staff").get(f"/tasks/{hearing}").get_data(as_text=True)
    assert 'selected value="yes"' in field_block(page, "domestic_experience")
    assert "checked" in field_block(page, "publicity_consent")
    assert 'id="willing_to_build"' not in page  # not a FY2025 condition: not asked at all


def test_the_sealed_pdf_rule_of_the_operations_shows_beside_the_upload(app, api_as, case):
    with app.app_context():
        db.session.execute(db.text("DELETE FROM attachment"))
        db.session.commit()
    task = open_task(api_as("staff"), case["id"], "receipt_confirmation")["id"]
    response = login(app, "staff").post(f"/tasks/{task}", data={"sealed_pdf_confirmed": "y"})
    assert response.status_code == 422
    block = field_block(response.get_data(as_text=True), "sealed_pdf")
    assert "捺印済みの申込書PDFが添付されていません。PDFを添付してください。" in block
    assert 'aria-invalid="true"' in block


def test_completing_a_task_someone_already_completed_names_them(app, receipt):
    late = login(app, "staff2")
    assert late.get(f"/tasks/{receipt}").status_code == 200
    login(app, "staff").post(f"/tasks/{receipt}", data={"sealed_pdf_confirmed": "y"})
    response = late.post(f"/tasks/{receipt}", data={"sealed_pdf_confirmed": "y"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "このタスクは井上 花子さんが既に完了しています。" in page
    assert '<a href="/inbox/">受付箱へ戻る</a>' in page and "完了する" not in page
    reopened = late.get(f"/tasks/{receipt}").get_data(as_text=True)
    assert "井上 花子さんが2025-07-01 10:00に完了しています" in reopened


def test_an_applicant_posting_to_a_staff_task_is_refused(app, case, receipt):
    link_applicant(app, case["id"])
    response = login(app, "applicant").post(f"/tasks/{receipt}", data={"sealed_pdf_confirmed": "y"})
    assert response.status_code == 403
    assert "このタスクを処理する権限がありません。" in response.get_data(as_text=True)
    assert task_row(app, receipt).status == "open"


def test_an_applicant_cannot_open_another_companys_task(app, users, forms_task):
    response = login(app, "applicant_other").get(f"/tasks/{forms_task}")
    assert response.status_code == 404 and "タスクが見つかりません。" in response.get_data(as_text=True)


def test_a_draft_is_saved_and_fills_the_form_next_time(app, api_as, case, receipt):
    staff = api_as("staff")
    complete(staff, receipt, {"sealed_pdf_confirmed": True})
    hearing = open_task(staff, case["id"], "hearing")["id"]
    client = login(app, "staff")
    response = client.post(
        f"/tasks/{hearing}",
        data={
            "action": "draft",
            "hearing_date": "2025-07-03",
            "notes": "来週もう一度電話する",
            "sites-CN-applied_by_japan_side": "y",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{hearing}"
    page = client.get(f"/tasks/{hearing}").get_data(as_text=True)
    assert "下書きを保存しました。" in page and "保存した下書きを表示しています。" in page
    assert 'value="2025-07-03"' in field_block(page, "hearing_date")
    assert "来週もう一度電話する" in page
    assert "checked" in field_block(page, "sites-CN-applied_by_japan_side")
    assert task_row(app, hearing).status == "open"
    done = client.post(f"/tasks/{hearing}", data=form_fields(HEARING_OK))
    assert done.status_code == 302 and task_row(app, hearing).draft_json is None


def test_the_applicant_fills_forms_1_and_2_and_a_text_file_is_refused(app, forms_task):
    client = login(app, "applicant")
    page = client.get(f"/tasks/{forms_task}").get_data(as_text=True)
    assert "申請企業に代わって" not in page
    assert 'accept=".xlsx,.pdf"' in field_block(page, "form1_file")
    assert "方針・組織体制" in page and "リスク評価" in page  # 様式2 items under their headings
    assert 'name="assets-__index__-name"' in page and "行を追加" in page  # 様式1 rows

    refused = client.post(
        f"/tasks/{forms_task}",
        data={
            "form1_file": (io.BytesIO(b"just text"), "list.txt"),
            "form2_file": (io.BytesIO(PDF), "sheet.pdf"),
            "assets-0-name": "図面データ",
            "self_check-0-answer": "done",
        },  # fmt: skip
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Excelファイル（.xlsx）またはPDFファイル（.pdf）を添付してください" in field_block(page, "form1_file")
    assert 'value="図面データ"' in page and 'selected value="done"' in page

    blank_row = client.post(
        f"/tasks/{forms_task}",
        data={
            "form1_file": (io.BytesIO(PDF), "list.pdf"),
            "form2_file": (io.BytesIO(PDF), "sheet.pdf"),
            "assets-0-department": "設計部",
        },  # fmt: skip
        content_type="multipart/form-data",
    )
    assert blank_row.status_code == 422
    assert "保有情報リスト（様式1）の内容 1：情報の名称：情報の名称を入力してください" in blank_row.get_data(
        as_text=True
    )

    done = client.post(
        f"/tasks/{forms_task}",
        data={
            "form1_file": (io.BytesIO(PDF), "list.pdf"),
            "form2_file": (io.BytesIO(PDF), "sheet.pdf"),
            "assets-0-name": "図面データ",
            "self_check-0-answer": "done",
        },  # fmt: skip
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    assert task_row(app, forms_task).status == "completed"


def test_staff_completing_the_companys_step_is_told_and_it_is_recorded(app, forms_task):
    client = login(app, "staff")
    page = client.get(f"/tasks/{forms_task}").get_data(as_text=True)
    assert "申請企業に代わって入力します（履歴に記録されます）" in page
    response = client.post(
        f"/tasks/{forms_task}",
        data={"form1_file": (io.BytesIO(PDF), "list.pdf"), "form2_file": (io.BytesIO(PDF), "sheet.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        event = db.session.query(AuditEvent).filter_by(action="task_completed").order_by(AuditEvent.id.desc()).first()
        assert event.on_behalf and event.actor.username == "staff"


def test_claiming_from_the_task_page_comes_back_to_it(app, receipt):
    client = login(app, "staff")
    response = client.post("/inbox/claim", data={"task_id": receipt, "next": f"/tasks/{receipt}"})
    assert response.headers["Location"] == f"/tasks/{receipt}"
    page = client.get(f"/tasks/{receipt}").get_data(as_text=True)
    assert "担当：井上 花子" in page and "担当を外す" in page
    assert (
        client.post("/inbox/claim", data={"task_id": receipt, "next": "https://evil.example/"}).headers["Location"]
        == "/inbox/"
    )


def test_a_task_post_without_the_csrf_token_is_refused(app, users, receipt):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "staff", "password": PASSWORD, "csrf_token": token.group(1)})
    page = client.get(f"/tasks/{receipt}").get_data(as_text=True)
    assert 'name="csrf_token"' in page  # the form carries its token
    response = client.post(f"/tasks/{receipt}", data={"sealed_pdf_confirmed": "y"})
    assert response.status_code == 400
    assert "ページを再読み込みしてからやり直してください" in response.get_data(as_text=True)
    assert task_row(app, receipt).status == "open"


def test_a_claimed_task_is_completed_only_by_its_holder_and_a_lead_takes_it_over_with_a_reason(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["TH"], "2025-07-01")
    task = open_task(staff, case["id"], "receipt_confirmation")
    assert api_as("staff2").post(f"/tasks/{task['id']}/claim").status_code == 200
    holder = login(app, "staff2").get(f"/tasks/{task['id']}").text
    assert "さんが担当しています" not in holder  # the holder works as usual

    lead = login(app, "staff")  # a lead, but not the holder
    page = lead.get(f"/tasks/{task['id']}").text
    assert "河野 太郎さんが担当しています" in page and "理由を記録して引き継ぐ" in page
    refused = lead.post(f"/tasks/{task['id']}", data={"sealed_pdf_confirmed": "y"})
    assert refused.status_code == 409 and "担当者だけが処理できます" in refused.text
    assert task_row(app, task["id"]).status == "open"

    blank = lead.post(f"/tasks/{task['id']}/takeover", data={"reason": "  "}, follow_redirects=True)
    assert "引き継ぐ理由を500文字以内で入力してください。" in blank.text
    assert holder_of(app, task["id"]) == "staff2"
    done = lead.post(f"/tasks/{task['id']}/takeover", data={"reason": "担当者の休暇中"}, follow_redirects=True)
    assert "タスクを引き継ぎました。" in done.text
    assert holder_of(app, task["id"]) == "staff"
    with app.app_context():
        event = db.session.query(AuditEvent).filter_by(action="task_taken_over").one()
        assert (event.detail, event.before_json, event.after_json) == (
            "受領確認：担当者の休暇中",
            '"staff2"',
            '"staff"',
        )
    not_lead = api_as("staff2").post(f"/tasks/{task['id']}/takeover", json={"reason": "戻します"})
    assert not_lead.status_code == 403
