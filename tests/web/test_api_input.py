"""Every input is bounded before it reaches the database (issue 8): one test per rule, API and pages alike.

Each test sends what used to get through (or crash with a 500) and checks the refusal: 404 for a path id,
400 for a body that is not a JSON object, 422 naming the field for everything else, in Japanese."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from werkzeug.routing import IntegerConverter

from tests.fixtures import PASSWORD
from webapp.converters import MAX_ID, IdConverter
from webapp.models import Company, HoursEntry

from .lifecycle import HEARING_OK, PDF, adopt, application, complete, open_task, register
from .service import into_service

NOT_FOUND = {"error": "ページが見つかりません。"}
CHECK_INPUT = "入力内容を確認してください。"
ONE_VALUE = "値は1つだけ指定してください（リストは指定できません）"


def login(app: Any, username: str = "staff") -> Any:
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def arabic_indic(number: int) -> str:
    """The same number in Arabic-Indic digits (٣ for 3): str.isdigit() and werkzeug's `\\d` took them."""
    return "".join(chr(0x660 + int(d)) for d in str(number))


def refusal(response: Any) -> tuple[int, dict[str, Any]]:
    return response.status_code, response.get_json()


def post_raw(api: Any, path: str, body: bytes) -> Any:
    return api.client.post(f"/api/v1{path}", headers=api._headers(), data=body, content_type="application/json")


@pytest.fixture
def case(api_as: Any) -> dict[str, Any]:
    """A registered FY2025 case in China, waiting for its receipt confirmation."""
    return register(api_as("staff"), "FY2025", ["CN"], "2025-07-01")


@pytest.fixture
def adopted(api_as: Any, case: dict[str, Any]) -> dict[str, Any]:
    """The case adopted and in service (forms in, briefing and plan done): the China expert may log hours."""
    staff = api_as("staff")
    adopt(staff, case["id"])
    into_service(api_as, case["id"])  # hours are logged once the plan is confirmed
    return case


def hours(api: Any, case_id: int, **entry: Any) -> Any:
    return api.post(f"/cases/{case_id}/hours", json={"country": "CN", "work_date": "2025-08-05",
                                                     "activity": "meeting", "hours": "1", **entry})  # fmt: skip


# ---------------------------------------------------------------- ids in paths and query strings


def test_every_int_route_takes_only_bounded_ascii_ids(app):
    converters = [c for rule in app.url_map.iter_rules() for c in rule._converters.values()]
    integers = [c for c in converters if isinstance(c, IntegerConverter)]
    assert len(integers) >= 10 and all(isinstance(c, IdConverter) for c in integers)


def test_path_ids_in_unicode_digits_or_beyond_the_column_range_answer_404(app, api_as, case):
    staff, task_id = api_as("staff"), open_task(api_as("staff"), case["id"], "receipt_confirmation")["id"]
    assert staff.get(f"/tasks/{task_id}").status_code == 200 and staff.get(f"/cases/{case['id']}").status_code == 200
    for ref in (arabic_indic(task_id), "²", "0", str(MAX_ID + 1), "9" * 20):
        for response in (staff.get(f"/tasks/{ref}"), staff.post(f"/tasks/{ref}/claim"),
                         staff.post(f"/tasks/{ref}/complete", json={})):  # fmt: skip
            assert refusal(response) == (404, NOT_FOUND), ref
    for ref in (arabic_indic(case["id"]), "²", str(MAX_ID + 1), "9" * 20, "%00", "FY2025-" + "0" * 40):
        assert refusal(staff.get(f"/cases/{ref}")) == (404, {"error": "案件が見つかりません。"}), ref
    pages = login(app)
    for path in (f"/tasks/{arabic_indic(task_id)}", f"/tasks/{MAX_ID + 1}", f"/cases/{'9' * 20}",
                 f"/cases/{MAX_ID + 1}/hours", f"/cases/{case['id']}/attachments/{'9' * 20}"):  # fmt: skip
        assert pages.get(path).status_code == 404, path


def test_page_numbers_and_case_ids_in_query_strings_are_ascii_integers_in_range_else_422(app, api_as):
    staff, pages = api_as("staff"), login(app)
    for value in ("²", "٣", "0", str(MAX_ID + 1), "9" * 30):
        for name in ("page", "per_page", "case"):
            status, body = refusal(staff.get("/tasks", **{name: value}))
            assert status == 422 and list(body["errors"]) == [name] and str(MAX_ID) in body["error"], (name, body)
        for path in (f"/inbox/?page={value}", f"/cases?page={value}"):  # pages are lenient: the first page
            assert pages.get(path).status_code == 200, path
    assert staff.get("/tasks", page=str(MAX_ID)).status_code == 200


# ---------------------------------------------------------------- text


def test_text_longer_than_the_column_it_is_stored_in_is_refused(api_as, adopted):
    staff, limit = api_as("staff"), Company.name.type.length
    too_long = staff.post(
        "/applications", json=application("FY2025", ["TH"], "2025-07-01", company_name="長" * (limit + 1))
    )
    assert too_long.status_code == 422
    assert too_long.get_json()["errors"] == {
        "company_name": [f"{limit}文字以内で入力してください（{limit + 1}文字あります）"]
    }
    just_fits = application("FY2025", ["TH"], "2025-07-01", company_name="長" * limit)
    assert staff.post("/applications", json=just_fits).status_code == 201

    note = HoursEntry.note.type.length
    refused = hours(api_as("expert_cn"), adopted["id"], note="a" * (note + 1))
    assert refused.status_code == 422 and f"{note}文字以内" in refused.get_json()["errors"]["note"][0]


def test_free_text_stored_inside_json_has_a_global_bound(api_as):
    response = api_as("staff").post("/applications", json=application(
        "FY2025", ["CN"], "2025-07-01", contact_department="部" * 1001, local_status="状" * 10_001))  # fmt: skip
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "contact_department": ["1000文字以内で入力してください（1001文字あります）"],
        "local_status": ["10000文字以内で入力してください（10001文字あります）"],
    }


def test_pages_share_the_length_bounds(app, users):
    data = {**application("FY2025", ["CN"], "2025-07-01", company_name="長" * 201), "publicity_consent": "y",
            "sealed_pdf": (io.BytesIO(PDF), "申込書.pdf")}  # fmt: skip
    response = login(app).post("/applications/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "200文字以内で入力してください（201文字あります）" in response.get_data(
        as_text=True
    )


# ---------------------------------------------------------------- NUL and lone surrogates


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800", "x\udfffy"])
def test_nul_and_lone_surrogates_in_json_are_refused_naming_the_field(api_as, bad):
    staff = api_as("staff")
    message = "company_name に使用できない文字（NUL文字または対になっていないサロゲート）が含まれています。"
    response = staff.post("/applications", json=application("FY2025", ["CN"], "2025-07-01", company_name=bad))
    assert refusal(response) == (422, {"error": message, "errors": {"company_name": [message]}})
    rows = staff.post("/applications", json={"assets": [{"name": "x"}, {"name": bad}]})
    assert list(rows.get_json()["errors"]) == ["assets-1-name"]
    key = staff.post("/applications", json={f"note{bad}": "x"})
    assert key.status_code == 422 and "\x00" not in key.get_data(as_text=True)


def test_nul_in_query_strings_and_form_posts_is_refused_naming_the_field(app, api_as):
    staff = api_as("staff")
    status, body = refusal(staff.get("/tasks", q="a\x00"))
    assert status == 422 and list(body["errors"]) == ["q"]
    multipart = {**application("FY2025", ["CN"], "2025-07-01", company_name="a\x00"), "publicity_consent": "y"}
    status, body = refusal(staff.post("/applications", data=multipart))
    assert status == 422 and list(body["errors"]) == ["company_name"]

    pages = login(app)
    for response in (pages.get("/inbox/?q=%00"), pages.get("/cases?stage=%00"),
                     pages.post("/applications/new", data=multipart, content_type="multipart/form-data")):  # fmt: skip
        assert response.status_code == 422 and "使用できない文字" in response.get_data(as_text=True)


# ---------------------------------------------------------------- numbers


def test_hours_must_be_finite_numbers_of_sane_size(app, api_as, adopted):
    api, page = api_as("expert_cn"), login(app, "expert_cn")  # the hours page uses the same form
    for value in ("1e308", "1E+30", "-1e308", "NaN", "Infinity", "-Infinity", "1e999999999", 1e308, 10**30):
        response = hours(api, adopted["id"], hours=value)
        assert response.status_code == 422 and list(response.get_json()["errors"]) == ["hours"], value
        entry = {"country": "CN", "work_date": "2025-08-05", "activity": "meeting", "hours": str(value)}
        assert page.post(f"/cases/{adopted['id']}/hours", data=entry).status_code == 422, value
    assert hours(api, adopted["id"], hours="0.25").status_code == 201


def test_numbers_in_other_fields_are_bounded_too(api_as, set_clock):
    set_clock(datetime.fromisoformat("2021-07-20T10:00:00+09:00"))  # FY2021 takes applications: prior use is asked
    response = api_as("staff").post("/applications", json=application(
        "FY2021", ["CN"], "2021-07-20", capital_jpy=10**30, prior_use={"CN": "1e308"}))  # fmt: skip
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"capital_jpy", "prior_use"}


# ---------------------------------------------------------------- JSON bodies


@pytest.mark.parametrize(
    "body,error",
    [(b'{"edition": "FY2025",', "JSONの形式が正しくありません（1行22列目）。"),
     (b"{'edition': 'FY2025'}", "JSONの形式が正しくありません（1行2列目）。"),
     (b"", "JSONの形式が正しくありません（1行1列目）。"),
     (b'{"a": NaN}', "JSONの形式が正しくありません（NaN・Infinity はJSONの数値ではありません）。"),
     (b"\xff{}", "本文をUTF-8で送ってください。")],
)  # fmt: skip
def test_json_that_does_not_parse_answers_400_saying_so(api_as, body, error):
    assert refusal(post_raw(api_as("staff"), "/applications", body)) == (400, {"error": error})


@pytest.mark.parametrize("body", [b"[" * 5000 + b"]" * 5000, b'{"a":' * 20 + b"1" + b"}" * 20])
def test_deeply_nested_json_answers_400(api_as, body):
    assert refusal(post_raw(api_as("staff"), "/applications", body)) == (
        400,
        {"error": "JSONの入れ子が深すぎます（10段まで）。"},
    )


@pytest.mark.parametrize("body", [b"[]", b'[{"edition": "FY2025"}]', b'"FY2025"', b"1", b"null", b"true"])
def test_a_body_that_is_not_a_json_object_answers_400(api_as, case, body):
    staff = api_as("staff")
    task_id = open_task(staff, case["id"], "receipt_confirmation")["id"]
    for path in ("/applications", f"/tasks/{task_id}/complete", f"/tasks/{task_id}/reassign"):
        assert refusal(post_raw(staff, path, body)) == (
            400,
            {"error": "本文はJSONのオブジェクト（{…}）で送ってください。"},
        )


@pytest.mark.parametrize(
    "field,value",
    [("company_name", ["株式会社A", "株式会社B"]), ("company_name", ["株式会社A"]), ("received_on", ["2025-07-01"]),
     ("edition", ["FY2025"]), ("publicity_consent", [True, False])],
)  # fmt: skip
def test_a_list_for_a_single_valued_field_answers_422(api_as, field, value):
    response = api_as("staff").post("/applications", json={**application("FY2025", ["CN"], "2025-07-01"), field: value})
    assert response.status_code == 422 and response.get_json()["errors"] == {field: [ONE_VALUE]}


def test_a_field_repeated_in_a_multipart_post_answers_422(api_as):
    data = {**application("FY2025", ["CN"], "2025-07-01"), "publicity_consent": "y", "edition": ["FY2025", "FY2021"]}
    response = api_as("staff").post("/applications", data=data)
    assert response.status_code == 422 and response.get_json()["errors"] == {"edition": [ONE_VALUE]}


@pytest.mark.parametrize("assignee", [["staff2"], 5, 1.5, {"name": "staff2"}, None, True])
def test_reassign_takes_the_assignee_only_as_a_string(api_as, case, assignee):
    staff = api_as("staff")
    task_id = open_task(staff, case["id"], "receipt_confirmation")["id"]
    assert refusal(staff.post(f"/tasks/{task_id}/reassign", json={"assignee": assignee})) == (
        422,
        {"error": CHECK_INPUT, "errors": {"assignee": ["担当者のユーザー名を指定してください。"]}},
    )
    assert staff.post(f"/tasks/{task_id}/reassign", json={"assignee": "staff2"}).get_json()["assignee"] == "staff2"


# ---------------------------------------------------------------- filters and sorting


@pytest.mark.parametrize(
    "name,value,allowed",
    [("status", "bogus", "open, completed, cancelled"), ("sort", "-due", "due, created, -created, company, stage"),
     ("stage", "nowhere", "receipt, hearing, adoption"), ("country", "XX", "CN, TH, VN, SG, ID"),
     ("edition", "FY1999", "FY2021, FY2025"), ("role", "designer", "staff, expert, applicant"),
     ("due", "later", "overdue, soon"), ("mine", "yes", "1, true, 0, false")],
)  # fmt: skip
def test_unknown_filter_and_sort_values_answer_422_naming_the_allowed_ones(api_as, name, value, allowed):
    status, body = refusal(api_as("staff").get("/tasks", **{name: value}))
    assert status == 422 and list(body["errors"]) == [name]
    assert body["error"].startswith(f"{name} に指定できる値は次のいずれかです：") and allowed in body["error"]


def test_unknown_parameters_and_empty_values_are_ignored(api_as, case):
    staff = api_as("staff")
    assert staff.get("/tasks", colour="red", status="", sort="").get_json()["total"] == 1


def test_a_search_text_longer_than_the_company_name_column_answers_422(api_as):
    status, body = refusal(api_as("staff").get("/tasks", q="長" * (Company.name.type.length + 1)))
    assert status == 422 and body["errors"] == {"q": ["q は200文字以内で指定してください。"]}


# ---------------------------------------------------------------- dates


def test_received_on_is_neither_in_the_future_nor_before_the_editions_announcement(api_as):
    staff = api_as("staff")  # the clock says 2025-07-01 10:00 JST; FY2025 was announced on 2025-05-20
    for day, message in (("2025-07-02", "申込書受領日に未来の日付は指定できません（今日は2025-07-01です）"),
                         ("2025-05-19", "申込書受領日は募集開始日（2025-05-20）以降の日付にしてください"),
                         ("0001-01-01", "2000-01-01から2100-12-31までの日付を入力してください")):  # fmt: skip
        response = staff.post("/applications", json=application("FY2025", ["CN"], day))
        assert response.status_code == 422 and response.get_json()["errors"] == {"received_on": [message]}, day
    for day in ("2025-05-20", "2025-07-01"):
        assert staff.post("/applications", json=application("FY2025", ["CN"], day)).status_code == 201


@pytest.mark.parametrize("day", ["1999-12-31", "2101-01-01", "0001-01-01", "9999-12-31"])
def test_other_dates_lie_between_2000_and_2100(api_as, case, day):
    staff = api_as("staff")
    assert complete(staff, open_task(staff, case["id"], "receipt_confirmation")["id"], {"sealed_pdf_confirmed": True})
    response = complete(staff, open_task(staff, case["id"], "hearing")["id"], dict(HEARING_OK, hearing_date=day))
    assert response.get_json()["errors"] == {"hearing_date": ["2000-01-01から2100-12-31までの日付を入力してください"]}


# ---------------------------------------------------------------- authorisation first


def test_who_may_act_is_checked_before_what_they_sent(api_as, adopted):
    registrar_only = {"error": "申込書を登録できるのはジェトロ担当者のみです。"}
    assert refusal(api_as("applicant").post("/applications", json={"company_name": "株式会社途中"})) == (
        403,
        registrar_only,
    )
    experts_only = {"error": "この国の時間を記録できるのは担当の現地専門家のみです。"}
    assert refusal(api_as("staff").post(f"/cases/{adopted['id']}/hours", json={"hours": "x"})) == (403, experts_only)
    task_id = open_task(api_as("staff"), adopted["id"], "service_delivery", "CN")["id"]
    leads_only = {"error": "担当の割り当てができるのはジェトロのリーダーのみです。"}
    assert refusal(api_as("staff2").post(f"/tasks/{task_id}/reassign", json={"assignee": ["x"]})) == (403, leads_only)
