"""The API's answers when something is wrong (401/403/404/409/422, always JSON with `error` and, for input,
per-field `errors`), the task list's filters, and what GET /tasks/<id> says about a task's fields."""

from __future__ import annotations

import pytest

from webapp.extensions import db
from webapp.models import User

from .lifecycle import HEARING_OK, PDF, adopt, application, complete, open_task, register
from .service import into_service

TOKEN_NEEDED = "APIトークンが必要です（Authorization: Bearer <token>）。"
NO_RIGHT = "このタスクを処理する権限がありません。"
TASK_NOT_FOUND = "タスクが見つかりません。"
CASE_NOT_FOUND = "案件が見つかりません。"


@pytest.fixture
def two_cases(api_as) -> dict:  # type: ignore[no-untyped-def]
    """Case A (CN+VN) adopted with forms in: one briefing per country. Case B (TH) waits for its receipt."""
    staff = api_as("staff")
    case_a = register(staff, "FY2025", ["CN", "VN"], "2025-07-01")
    adopt(staff, case_a["id"])
    forms = open_task(staff, case_a["id"], "forms_submission")
    assert complete(staff, forms["id"], {"form1_file": PDF, "form2_file": PDF}).status_code == 200
    case_b = register(staff, "FY2025", ["TH"], "2025-07-01", company_name="株式会社タイ工業")
    return {"a": case_a, "b": case_b}


def ids(response) -> set[tuple[str, str | None, str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_json()
    return {(t["form_key"], t["country"], t["case_number"]) for t in response.get_json()["tasks"]}


# ---------------------------------------------------------------- 401


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic c3RhZmY6dGVzdC1wYXNzLTEyMw=="}],
    ids=["no token", "unknown token", "not a bearer token"],
)
def test_without_a_valid_token_every_endpoint_answers_401(app, users, headers):
    client = app.test_client()
    for method, path in (("get", "/api/v1/tasks"), ("get", "/api/v1/editions"), ("post", "/api/v1/applications")):
        response = getattr(client, method)(path, headers=headers)
        assert response.status_code == 401
        assert response.get_json() == {"error": TOKEN_NEEDED}
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_deactivated_users_token_stops_working(app, api_as):
    staff2 = api_as("staff2")
    assert staff2.get("/tasks").status_code == 200
    with app.app_context():
        db.session.query(User).filter_by(username="staff2").one().active = False
        db.session.commit()
    assert staff2.get("/tasks").status_code == 401


def test_a_new_token_replaces_the_old_one(app, api_as):
    staff = api_as("staff")
    result = app.test_cli_runner().invoke(args=["token", "staff"])
    assert result.exit_code == 0
    new_token = result.output.strip()
    assert staff.get("/tasks").status_code == 401
    assert app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {new_token}"}).status_code == 200


# ---------------------------------------------------------------- 403 and hidden tasks


def test_users_who_see_a_task_but_may_not_act_on_it_get_403(app, api_as, two_cases):
    staff, admin = api_as("staff"), api_as("admin")
    briefing_cn = open_task(api_as("expert_cn"), two_cases["a"]["id"], "expert_briefing", "CN")
    receipt_b = open_task(staff, two_cases["b"]["id"], "receipt_confirmation")

    staff_on_expert_task = staff.post(f"/tasks/{briefing_cn['id']}/complete", json={"briefing_date": "2025-08-01"})
    assert (staff_on_expert_task.status_code, staff_on_expert_task.get_json()) == (403, {"error": NO_RIGHT})
    admin_on_staff_task = complete(admin, receipt_b["id"], {"sealed_pdf_confirmed": True})
    assert (admin_on_staff_task.status_code, admin_on_staff_task.get_json()) == (403, {"error": NO_RIGHT})
    assert staff.post(f"/tasks/{briefing_cn['id']}/claim").status_code == 403


def test_only_staff_register_applications_and_only_a_lead_reassigns(app, api_as, two_cases):
    applicant, staff2 = api_as("applicant"), api_as("staff2")
    response = applicant.post("/applications", json=application("FY2025", ["CN"], "2025-07-01"))
    assert response.status_code == 403
    assert response.get_json() == {"error": "申込書を登録できるのはジェトロ担当者のみです。"}
    receipt_b = open_task(staff2, two_cases["b"]["id"], "receipt_confirmation")
    response = staff2.post(f"/tasks/{receipt_b['id']}/reassign", json={"assignee": "staff2"})
    assert response.status_code == 403
    assert response.get_json() == {"error": "担当の割り当てができるのはジェトロのリーダーのみです。"}


def test_an_expert_logs_hours_only_for_their_own_countries(app, api_as, two_cases):
    expert_cn = api_as("expert_cn")
    case_a = two_cases["a"]["id"]
    into_service(api_as, case_a, forms=False)
    entry = {"work_date": "2025-09-01", "activity": "meeting", "hours": "1"}
    response = expert_cn.post(f"/cases/{case_a}/hours", json=dict(entry, country="VN"))  # sees the case via CN
    assert response.status_code == 403
    assert response.get_json() == {"error": "この国の時間を記録できるのは担当の現地専門家のみです。"}
    assert expert_cn.post(f"/cases/{case_a}/hours", json=dict(entry, country="CN")).status_code == 201
    assert api_as("staff").post(f"/cases/{case_a}/hours", json=dict(entry, country="CN")).status_code == 403


def test_tasks_outside_a_users_lane_are_hidden_404_not_403(app, api_as, users, two_cases):
    """An expert of another country and an applicant on a staff task get 404: the task's existence is not
    disclosed (the API answers 403 only to users who can see the task, above)."""
    expert_vn, expert_cn = api_as("expert_vn"), api_as("expert_cn")
    briefing_cn = open_task(expert_cn, two_cases["a"]["id"], "expert_briefing", "CN")
    for response in (
        expert_vn.get(f"/tasks/{briefing_cn['id']}"),
        expert_vn.post(f"/tasks/{briefing_cn['id']}/complete", json={"briefing_date": "2025-08-01"}),
    ):
        assert (response.status_code, response.get_json()) == (404, {"error": TASK_NOT_FOUND})

    # A case registered under the applicant's company name is their company's case: a staff task there is hidden.
    own = register(api_as("staff"), "FY2025", ["TH"], "2025-07-01", company_name="株式会社サンプル精機")
    applicant = api_as("applicant")
    assert applicant.get(f"/cases/{own['id']}").status_code == 200
    receipt = open_task(api_as("staff"), own["id"], "receipt_confirmation")
    for response in (
        applicant.get(f"/tasks/{receipt['id']}"),
        complete(applicant, receipt["id"], {"sealed_pdf_confirmed": True}),
    ):
        assert (response.status_code, response.get_json()) == (404, {"error": TASK_NOT_FOUND})
    assert applicant.get(f"/cases/{two_cases['b']['id']}").status_code == 404  # another company's case


# ---------------------------------------------------------------- 404


def test_unknown_tasks_and_cases_answer_404(app, api_as, two_cases):
    staff = api_as("staff")
    for response, message in (
        (staff.get("/tasks/9999"), TASK_NOT_FOUND),
        (staff.post("/tasks/9999/complete", json={}), TASK_NOT_FOUND),
        (staff.post("/tasks/9999/claim"), TASK_NOT_FOUND),
        (staff.get("/cases/9999"), CASE_NOT_FOUND),
        (staff.get("/cases/FY2025-9999"), CASE_NOT_FOUND),
        (staff.post("/cases/9999/hours", json={}), CASE_NOT_FOUND),
    ):
        assert (response.status_code, response.get_json()) == (404, {"error": message})
    assert staff.get(f"/cases/{two_cases['a']['number']}").get_json()["id"] == two_cases["a"]["id"]


# ---------------------------------------------------------------- 409


def test_completing_a_task_twice_answers_409_naming_who_completed_it(app, api_as, two_cases):
    staff, staff2 = api_as("staff"), api_as("staff2")
    receipt_b = open_task(staff, two_cases["b"]["id"], "receipt_confirmation")
    assert complete(staff, receipt_b["id"], {"sealed_pdf_confirmed": True}).status_code == 200
    again = complete(staff2, receipt_b["id"], {"sealed_pdf_confirmed": True})
    assert (again.status_code, again.get_json()) == (409, {"error": "このタスクは井上 花子さんが既に完了しています。"})
    assert staff.post(f"/tasks/{receipt_b['id']}/claim").status_code == 409


def test_claiming_a_task_someone_else_holds_answers_409(app, api_as, two_cases):
    staff, staff2 = api_as("staff"), api_as("staff2")
    receipt_b = open_task(staff, two_cases["b"]["id"], "receipt_confirmation")
    assert staff.post(f"/tasks/{receipt_b['id']}/claim").get_json()["assignee"] == "staff"
    taken = staff2.post(f"/tasks/{receipt_b['id']}/claim")
    assert (taken.status_code, taken.get_json()) == (409, {"error": "このタスクは井上 花子さんが担当しています。"})


# ---------------------------------------------------------------- 422


def test_invalid_input_answers_422_with_a_message_per_field(app, api_as, two_cases):
    staff = api_as("staff")
    case_b = two_cases["b"]["id"]
    assert complete(staff, open_task(staff, case_b, "receipt_confirmation")["id"], {"sealed_pdf_confirmed": True})
    hearing = open_task(staff, case_b, "hearing")
    response = complete(staff, hearing["id"], {k: v for k, v in HEARING_OK.items() if k != "hearing_date"})
    assert response.status_code == 422
    assert response.get_json() == {
        "error": "入力内容を確認してください。",
        "errors": {"hearing_date": ["ヒアリング実施日を入力してください"]},
    }
    assert open_task(staff, case_b, "hearing")["id"] == hearing["id"]  # nothing was saved

    response = complete(staff, hearing["id"], dict(HEARING_OK, hearing_date="2025-13-40", method="fax"))
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"hearing_date", "method"}
    assert response.get_json()["errors"]["method"] == ["選択肢の中から選んでください"]

    assert complete(staff, hearing["id"], HEARING_OK).status_code == 200
    decision = open_task(staff, case_b, "adoption_decision")
    response = complete(staff, decision["id"], {"decision": "reject"})
    assert response.get_json()["errors"] == {
        "reason": ["不採択の理由を入力してください"],
        "confirm_notice": ["不採択の通知を送る前に、内容を確認してチェックしてください"],
    }


def test_an_empty_application_lists_every_missing_field(app, api_as):
    response = api_as("staff").post("/applications", json={})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "company_name": ["会社名を入力してください"],
        "contact_department": ["担当部署を入力してください"],
        "contact_email": ["担当者メールアドレスを入力してください"],
        "contact_name": ["担当者氏名を入力してください"],
        "countries": ["対象国を1つ以上選択してください"],
        "edition": ["事業（年度）を選択してください"],
        "received_on": ["申込書受領日を入力してください"],
        "received_time": ["申込メールの受信時刻を入力してください（例: 10:30）"],
    }


def test_hours_in_other_than_quarter_hours_are_refused(app, api_as, two_cases):
    entry = {"country": "CN", "work_date": "2025-09-01", "activity": "meeting", "hours": "0.3"}
    response = api_as("expert_cn").post(f"/cases/{two_cases['a']['id']}/hours", json=entry)
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["hours"]


def test_reassigning_to_an_unknown_user_answers_422(app, api_as, two_cases):
    staff = api_as("staff")
    receipt_b = open_task(staff, two_cases["b"]["id"], "receipt_confirmation")
    response = staff.post(f"/tasks/{receipt_b['id']}/reassign", json={"assignee": "nobody"})
    assert response.status_code == 422
    assert response.get_json() == {
        "error": "担当者が見つかりません。",
        "errors": {"assignee": ["担当者のユーザー名を指定してください。"]},
    }
    response = staff.post(f"/tasks/{receipt_b['id']}/reassign", json={"assignee": "expert_cn"})
    assert response.status_code == 422
    assert response.get_json()["error"] == "上海 明律師事務所さんはこのタスクを処理できません。"


def test_a_page_number_that_is_not_a_positive_integer_answers_422(app, api_as):
    staff = api_as("staff")
    for name, value in (("page", "abc"), ("page", "0"), ("per_page", "many"), ("per_page", "-5")):
        response = staff.get("/tasks", **{name: value})
        message = f"{name} は1以上2147483647以下の整数で指定してください。"
        assert (response.status_code, response.get_json()) == (422, {"error": message, "errors": {name: [message]}})
    assert staff.get("/tasks", per_page="500").get_json()["per_page"] == 200  # capped, not refused


# ---------------------------------------------------------------- GET /tasks filters


def test_task_list_filters(app, api_as, two_cases):
    staff, staff2, expert_cn = api_as("staff"), api_as("staff2"), api_as("expert_cn")
    a, b = two_cases["a"]["number"], two_cases["b"]["number"]
    briefings = {("expert_briefing", "CN", a), ("expert_briefing", "VN", a)}
    receipt = {("receipt_confirmation", None, b)}
    assert ids(staff.get("/tasks")) == briefings | receipt
    assert staff.get("/tasks").get_json()["total"] == 3

    receipt_id = open_task(staff, two_cases["b"]["id"], "receipt_confirmation")["id"]
    staff.post(f"/tasks/{receipt_id}/claim")
    assert ids(staff.get("/tasks", mine="1")) == receipt
    assert ids(staff2.get("/tasks", mine="1")) == set()
    assert ids(staff.get("/tasks", unclaimed="1")) == briefings
    assert ids(staff.get("/tasks", role="expert")) == briefings
    assert ids(staff.get("/tasks", role="staff")) == receipt
    assert ids(staff.get("/tasks", country="VN")) == {("expert_briefing", "VN", a)}
    assert ids(staff.get("/tasks", case=str(two_cases["a"]["id"]))) == briefings
    assert ids(staff.get("/tasks", case=a)) == briefings
    assert ids(staff.get("/tasks", stage="briefing")) == briefings
    assert ids(staff.get("/tasks", stage="receipt", role="staff")) == receipt
    assert ids(staff.get("/tasks", stage="briefing", country="TH")) == set()
    completed = staff.get("/tasks", status="completed", case=a, sort="created").get_json()["tasks"]
    assert [t["form_key"] for t in completed] == [
        "receipt_confirmation",
        "hearing",
        "adoption_decision",
        "forms_submission",
    ]
    # an expert's filters narrow their own view and never widen it
    assert ids(expert_cn.get("/tasks")) == {("expert_briefing", "CN", a)}
    assert ids(expert_cn.get("/tasks", country="VN")) == set()
    assert ids(expert_cn.get("/tasks", role="staff")) == set()


def test_task_list_pages(app, api_as, two_cases):
    staff = api_as("staff")
    first = staff.get("/tasks", per_page="2", sort="created").get_json()
    second = staff.get("/tasks", per_page="2", page="2", sort="created").get_json()
    assert (first["total"], first["page"], first["per_page"], len(first["tasks"])) == (3, 1, 2, 2)
    assert len(second["tasks"]) == 1
    assert {t["id"] for t in first["tasks"]} | {t["id"] for t in second["tasks"]} == {
        t["id"] for t in staff.get("/tasks").get_json()["tasks"]
    }


# ---------------------------------------------------------------- GET /tasks/<id>


def test_a_task_describes_its_fields(app, api_as, two_cases):
    staff, expert_cn, expert_vn = api_as("staff"), api_as("expert_cn"), api_as("expert_vn")
    case_b = two_cases["b"]["id"]
    receipt = staff.get(f"/tasks/{open_task(staff, case_b, 'receipt_confirmation')['id']}").get_json()
    assert (receipt["form_key"], receipt["stage_label"], receipt["status"]) == (
        "receipt_confirmation",
        "受領確認",
        "open",
    )
    assert [(f["name"], f["type"], f["label"], f["required"], f["choices"]) for f in receipt["fields"]] == [
        ("sealed_pdf_confirmed", "boolean", "捺印済みの申込書PDFを確認した", True, None),
        ("sealed_pdf", "file", "捺印済みの申込書（PDF）", False, None),
        ("note", "textarea", "備考", False, None),
    ]

    assert complete(staff, receipt["id"], {"sealed_pdf_confirmed": True}).status_code == 200
    hearing = staff.get(f"/tasks/{open_task(staff, case_b, 'hearing')['id']}").get_json()
    fields = {f["name"]: f for f in hearing["fields"]}
    # FY2025 holds the hearing 「適宜」: the date is required only when one was held
    assert fields["hearing_date"] == {"name": "hearing_date", "type": "date", "label": "ヒアリング実施日",
                                      "required": False, "choices": None, "description": ""}  # fmt: skip
    assert fields["hearing_held"]["choices"] == [["held", "実施した"], ["not_needed", "不要と判断した（理由を記録）"]]
    assert fields["method"]["type"] == "select" and fields["method"]["required"] is False
    assert ["phone", "電話"] in fields["method"]["choices"]
    assert fields["publicity_consent"]["type"] == "boolean"
    assert "prior_use_hours" not in fields and "willing_to_build" not in fields  # not FY2025 conditions

    # per-country choices and hints: the training languages and the hour cap of the task's country
    for api, country, language in ((expert_cn, "CN", "zh"), (expert_vn, "VN", "vi")):
        task = api.get(f"/tasks/{open_task(api, two_cases['a']['id'], 'expert_briefing', country)['id']}").get_json()
        fields = {f["name"]: f for f in task["fields"]}
        assert [c[0] for c in fields["training_language"]["choices"]] == ["", "ja", language]
        assert fields["consultation_items"]["type"] == "multi_checkbox"
        assert fields["estimated_hours"]["description"] == (
            "1カ国あたりの上限は23時間で、残りは23時間です（移動時間は含みません）"
        )
        assert fields["estimated_hours"]["required"] is True

    done = staff.get(f"/tasks/{receipt['id']}").get_json()
    assert (done["status"], done["completed_by"], done["fields"]) == ("completed", "staff", [])
