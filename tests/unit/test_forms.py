"""The task forms: valid input becomes the expected task data, each rule refuses bad input in Japanese."""

from __future__ import annotations

import io
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask_babel import Babel
from werkzeug.datastructures import FileStorage, MultiDict

from forms import (
    ACTIVITY_KINDS,
    COUNTED_ACTIVITIES,
    FORM_CLASSES,
    ApplicationForm,
    HoursEntryForm,
    TaskContext,
    TaskForm,
    build_form,
    describe_form,
)
from forms.self_check import SELF_CHECK_ITEMS
from workflows.clock import clock
from workflows.editions import load_editions

EDITIONS = load_editions()
FY2021, FY2025 = EDITIONS["FY2021"], EDITIONS["FY2025"]
CN_2025 = TaskContext(edition=FY2025, country="CN", hour_cap=Decimal(23), editions=EDITIONS)
CN_2021 = TaskContext(edition=FY2021, country="CN", hour_cap=Decimal(17), editions=EDITIONS)

PDF_BYTES = (  # one blank A4 page: the smallest file that opens as a PDF (uploads are parsed, not just sniffed)
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
    b"startxref\n164\n%%EOF\n"
)


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["部署", "情報の名称"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, filename: str) -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=filename)


@pytest.fixture(autouse=True)
def request_context() -> Any:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    Babel(app, default_locale="ja")
    with app.test_request_context():
        yield app


def submit(key: str, fields: dict[str, Any], context: TaskContext = CN_2025) -> TaskForm:
    """Posts like the JSON API does: a MultiDict, lists spread over repeated keys, CSRF off."""
    pairs = [(k, item) for k, v in fields.items() for item in (v if isinstance(v, list) else [v])]
    return build_form(key, context=context, formdata=MultiDict(pairs), csrf=False)


def valid(form: TaskForm) -> dict[str, Any]:
    assert form.validate(), form.errors
    return form.to_task_data()


def refused(form: TaskForm, field: str) -> list[str]:
    assert not form.validate()
    return form.errors[field]


# -- registry


def test_every_form_key_has_a_form() -> None:
    task_keys = {
        "receipt_confirmation",
        "hearing",
        "adoption_decision",
        "forms_submission",
        "expert_briefing",
        "plan_confirmation",
        "service_delivery",
        "follow_up",
        "publicity",
    }
    assert task_keys | {"application", "hours_entry", "service_session"} == set(FORM_CLASSES)
    assert FORM_CLASSES["application"] is ApplicationForm
    assert FORM_CLASSES["hours_entry"] is HoursEntryForm
    assert all(issubclass(cls, TaskForm) for cls in FORM_CLASSES.values())


def test_unknown_key_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        build_form("no_such_form", context=CN_2025)
    with pytest.raises(KeyError):
        describe_form("no_such_form", CN_2025)


@pytest.mark.parametrize("key", sorted(FORM_CLASSES))
def test_describe_form_lists_fields_as_json(key: str) -> None:
    fields = describe_form(key, CN_2025)
    assert fields
    for field in fields:
        assert {"name", "type", "label", "required", "choices", "description"} <= set(field)
        assert isinstance(field["label"], str) and field["label"]
    json.dumps(fields, ensure_ascii=False)


def test_describe_form_gives_required_flags_and_choices() -> None:
    fields = {f["name"]: f for f in describe_form("adoption_decision", CN_2025)}
    assert fields["decision"] == {
        "name": "decision",
        "type": "radio",
        "label": "採否",
        "required": True,
        "choices": [["adopt", "採択"], ["reject", "不採択"]],
        "description": "",
    }
    assert fields["reason"]["required"] is False
    assert fields["reason"]["type"] == "textarea"


def test_describe_form_works_outside_a_request() -> None:
    app = Flask(__name__)
    Babel(app, default_locale="ja")
    with app.app_context():
        assert describe_form("follow_up", CN_2025)[0]["label"] == "フォローアップ面談日"


def test_errors_are_plain_strings() -> None:
    form = submit("application", {"edition": "FY2025", "countries": ["SG"], "assets": "x"})
    assert not form.validate()
    json.dumps(form.errors, ensure_ascii=False)


def test_csrf_follows_the_app_unless_turned_off(request_context: Flask) -> None:
    request_context.config["WTF_CSRF_ENABLED"] = True
    data = MultiDict({"meeting_date": "2025-09-01", "outcome": "規程の運用を確認"})
    assert not build_form("follow_up", context=CN_2025, formdata=data).validate()
    assert build_form("follow_up", context=CN_2025, formdata=data, csrf=False).validate()


# -- receipt_confirmation


def test_receipt_confirmation_valid_with_pdf() -> None:
    pdf = upload(PDF_BYTES, "申込書.pdf")
    form = submit("receipt_confirmation", {"sealed_pdf_confirmed": "y", "sealed_pdf": pdf, "note": " 受領済み "})
    assert valid(form) == {"sealed_pdf_confirmed": True, "note": "受領済み"}
    assert form.uploads() == {"sealed_pdf": pdf}
    assert pdf.stream.tell() == 0  # rewound for saving


def test_receipt_confirmation_pdf_is_optional() -> None:
    form = submit("receipt_confirmation", {"sealed_pdf_confirmed": "y"})
    assert valid(form) == {"sealed_pdf_confirmed": True, "note": ""}
    assert form.uploads() == {}


def test_receipt_confirmation_must_be_checked() -> None:
    form = submit("receipt_confirmation", {"sealed_pdf_confirmed": False})
    assert refused(form, "sealed_pdf_confirmed") == ["捺印済みの申込書PDFを確認してください"]


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"hello", "申込書.txt", "PDFファイル（.pdf）を添付してください"),
        (b"PK\x03\x04 not a pdf", "申込書.pdf", "PDFファイルとして読み込めません。正しいPDFファイルを添付してください"),
        (
            b"%PDF" + b"0" * (10 * 1024 * 1024),
            "申込書.pdf",
            "ファイルサイズが10MBを超えています。10MB以下のファイルを添付してください",
        ),
    ],
    ids=["txt", "no-pdf-magic", "over-10MB"],
)
def test_receipt_confirmation_refuses_bad_pdf(content: bytes, filename: str, message: str) -> None:
    form = submit("receipt_confirmation", {"sealed_pdf_confirmed": "y", "sealed_pdf": upload(content, filename)})
    assert refused(form, "sealed_pdf") == [message]


# -- hearing

HEARING = {
    "hearing_date": "2025-07-03",
    "method": "phone",
    "sites-CN-site_status": "existing",
    "sites-TH-site_status": "planned",
    "sites-CN-applied_by_japan_side": "y",
    "domestic_experience": "partly",
    "willing_to_build": "y",
    "publicity_consent": "y",
    "management_status": "本社規程を現地に展開予定",
    "notes": "",
}


CASE_2021 = TaskContext(edition=FY2021, countries=("CN", "TH"), editions=EDITIONS)
CASE_2025 = TaskContext(edition=FY2025, countries=("CN", "TH"), editions=EDITIONS)


def test_hearing_valid() -> None:
    """FY2021 asks each site whether it exists (its sites must), not FY2025's consent or domestic experience."""
    assert valid(submit("hearing", HEARING, CASE_2021)) == {
        "hearing_date": "2025-07-03",
        "method": "phone",
        "sites": {"CN": {"site_status": "existing"}, "TH": {"site_status": "planned"}},
        "willing_to_build": True,
        "publicity_consent": True,
        "management_status": "本社規程を現地に展開予定",
        "notes": "",
    }


def test_the_fy2025_hearing_asks_each_site_for_its_consent_not_whether_it_exists() -> None:
    data = valid(submit("hearing", HEARING, CASE_2025))
    assert data["sites"] == {
        "CN": {"applied_by_japan_side": True, "site_wants_service": False},
        "TH": {"applied_by_japan_side": False, "site_wants_service": False},
    }
    assert data["domestic_experience"] == "partly" and "willing_to_build" not in data


def test_hearing_json_false_is_false() -> None:
    data = valid(submit("hearing", {**HEARING, "publicity_consent": False}, CN_2021))
    assert data["publicity_consent"] is False


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hearing_date", "", "ヒアリング実施日を入力してください"),
        ("hearing_date", "2025-13-01", "日付を「2025-07-01」の形式で入力してください"),
        ("method", "fax", "選択肢の中から選んでください"),
    ],
)
def test_hearing_refuses(field: str, value: str, message: str) -> None:
    assert refused(submit("hearing", {**HEARING, field: value}, CN_2021), field) == [message]


def test_the_hearing_asks_only_the_editions_own_conditions() -> None:
    """FY2025 has no 「取り組む意思」 condition; prior use is asked by neither hearing (registration applies it)."""
    fy2025 = valid(submit("hearing", HEARING))
    assert "willing_to_build" not in fy2025
    fy2021 = build_form("hearing", context=CN_2021, csrf=False)
    assert "willing_to_build" in fy2021
    assert not any("prior_use" in name for name in (*fy2021._fields, *fy2025))


def test_hearing_prefills_from_the_application_and_from_data() -> None:
    context = TaskContext(task_data={"domestic_experience": "no", "publicity_consent": True, "note": "staff only"})
    form = build_form("hearing", context=context, data={"hearing_date": "2025-07-03"})
    assert form.hearing_date.data.isoformat() == "2025-07-03"
    assert form.domestic_experience.data == "no"
    assert form.publicity_consent.data is True


# -- adoption_decision


def test_adoption_adopt_without_reason() -> None:
    assert valid(submit("adoption_decision", {"decision": "adopt"})) == {
        "decision": "adopt",
        "reason": "",
        "beyond_plan_reason": "",
        "confirm_notice": False,
    }


REASON_NEEDED = "不採択の理由を入力してください"


def test_a_rejection_needs_a_reason_and_the_notice_confirmed() -> None:
    refused_form = submit("adoption_decision", {"decision": "reject"})
    assert refused(refused_form, "reason") == [REASON_NEEDED]
    assert refused(refused_form, "confirm_notice") == ["不採択の通知を送る前に、内容を確認してチェックしてください"]
    data = valid(
        submit("adoption_decision", {"decision": "reject", "reason": "採択予定件数に達したため", "confirm_notice": "y"})
    )
    assert data == {
        "decision": "reject",
        "reason": "採択予定件数に達したため",
        "beyond_plan_reason": "",
        "confirm_notice": True,
    }


def test_adopting_against_an_ineligible_recommendation_needs_a_reason() -> None:
    context = TaskContext(edition=FY2025, task_data={"ineligible_reasons": ["no_domestic_experience"]})
    message = "要件を満たさない案件を採択する場合は、その理由を入力してください"
    assert refused(submit("adoption_decision", {"decision": "adopt"}, context), "reason") == [message]
    reason = "国内の規程整備を並行して進めることを確認したため"
    assert valid(submit("adoption_decision", {"decision": "adopt", "reason": reason}, context))["reason"] == reason


def test_adoption_needs_a_decision() -> None:
    assert refused(submit("adoption_decision", {}), "decision") == ["採択・不採択のどちらかを選択してください"]
    assert refused(submit("adoption_decision", {"decision": "maybe"}), "decision") == ["選択肢の中から選んでください"]


# -- forms_submission


def forms_submission(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "form1_file": upload(xlsx_bytes(), "様式1_保有情報リスト.xlsx"),
        "form2_file": upload(PDF_BYTES, "様式2_セルフチェック.PDF"),
        "assets-0-department": "生産技術部",
        "assets-0-name": "金型設計図面",
        "assets-0-category": "technical",
        "assets-0-medium": "electronic",
        "assets-0-marking": "top_secret",
        "assets-0-importance": "A",
        "assets-0-provided_to": "なし",
        "self_check-0-answer": "done",
        "self_check-0-description": "就業規則に規定",
        "self_check-1-answer": "partly",
    }
    fields.update(changes)
    return fields


def test_forms_submission_valid() -> None:
    form = submit("forms_submission", forms_submission())
    data = valid(form)
    assert set(data) == {"assets", "self_check", "note"}
    assert data["assets"] == [
        {
            "department": "生産技術部",
            "name": "金型設計図面",
            "category": "technical",
            "medium": "electronic",
            "storage_location": "",
            "owner": "",
            "access_scope": "",
            "marking": "top_secret",
            "importance": "A",
            "leak_impact": "",
            "provided_to": "なし",
            "copy_rules": "",
            "disposal_retention": "",
            "remarks": "",
        }
    ]
    assert len(data["self_check"]) == len(SELF_CHECK_ITEMS) >= 16
    assert data["self_check"][0] == {"item": "policy_rules", "answer": "done", "description": "就業規則に規定"}
    assert data["self_check"][1]["answer"] == "partly"
    assert data["self_check"][2] == {"item": SELF_CHECK_ITEMS[2].code, "answer": None, "description": ""}
    assert set(form.uploads()) == {"form1_file", "form2_file"}
    json.dumps(data, ensure_ascii=False)


def test_forms_submission_sparse_answers_stay_on_their_item() -> None:
    fields = forms_submission(**{"self_check-5-answer": "not_done"})
    data = valid(submit("forms_submission", fields))
    assert data["self_check"][5] == {"item": SELF_CHECK_ITEMS[5].code, "answer": "not_done", "description": ""}


@pytest.mark.parametrize(
    ("field", "file", "message"),
    [
        ("form1_file", None, "保有情報リスト（様式1）のファイルを添付してください"),
        ("form2_file", None, "情報管理体制セルフチェックシート（様式2）のファイルを添付してください"),
        (
            "form1_file",
            upload(b"a,b\n", "様式1.csv"),
            "Excelファイル（.xlsx）またはPDFファイル（.pdf）を添付してください",
        ),
        (
            "form1_file",
            upload(b"PK\x03\x04broken", "様式1.xlsx"),
            "Excelファイル（.xlsx）として読み込めません。ファイルが壊れていないか確認してください",
        ),
        (
            "form1_file",
            upload(PDF_BYTES, "様式1.xlsx"),
            "Excelファイル（.xlsx）として読み込めません。ファイルが壊れていないか確認してください",
        ),
        (
            "form2_file",
            upload(b"plain text", "様式2.pdf"),
            "PDFファイルとして読み込めません。正しいPDFファイルを添付してください",
        ),
    ],
    ids=["form1-missing", "form2-missing", "csv", "broken-xlsx", "pdf-named-xlsx", "pdf-without-magic"],
)
def test_forms_submission_refuses_files(field: str, file: FileStorage | None, message: str) -> None:
    fields = forms_submission()
    if file is None:
        del fields[field]
    else:
        fields[field] = file
    assert refused(submit("forms_submission", fields), field) == [message]


def test_forms_submission_asset_row_needs_a_name() -> None:
    form = submit("forms_submission", forms_submission(**{"assets-0-name": " "}))
    assert refused(form, "assets") == [{"name": ["情報の名称を入力してください"]}]


def test_forms_submission_describes_rows_and_items() -> None:
    fields = {f["name"]: f for f in describe_form("forms_submission", CN_2025)}
    assert fields["form1_file"]["required"] is True
    row = {f["name"]: f for f in fields["assets"]["fields"]}
    assert row["name"]["required"] is True
    assert row["marking"]["choices"] == [
        ["", "（未選択）"],
        ["top_secret", "極秘"],
        ["secret", "秘"],
        ["internal", "社外秘"],
    ]
    items = fields["self_check"]["items"]
    assert [i["code"] for i in items] == [i.code for i in SELF_CHECK_ITEMS]
    assert {i["group"] for i in items} >= {"方針・組織体制", "リスク評価"}


# -- expert_briefing

BRIEFING = {
    "briefing_date": "2025-08-01",
    "consultation_items": ["A1-1", "A2-1"],
    "training_topics": ["B1", "B4"],
    "training_audience": "both",
    "training_language": "zh",
    "estimated_hours": "23",
    "expert_comment": "退職時の誓約書が未整備",
    "priority_measures": "",
}


def test_expert_briefing_valid_at_the_cap() -> None:
    assert valid(submit("expert_briefing", BRIEFING)) == {
        "briefing_date": "2025-08-01",
        "consultation_items": ["A1-1", "A2-1"],
        "other_request": "",
        "training_topics": ["B1", "B4"],
        "training_audience": "both",
        "training_language": "zh",
        "estimated_hours": 23.0,
        "follow_up_reserved": None,
        "expert_comment": "退職時の誓約書が未整備",
        "priority_measures": "",
        "japan_side_participants": False,  # FY2025 footnote 1: asked in that edition
    }


def test_expert_briefing_over_the_cap() -> None:
    form = submit("expert_briefing", {**BRIEFING, "estimated_hours": "23.25"})
    assert refused(form, "estimated_hours") == [
        "想定時間数が上限（23時間）の残り（23時間）を超えています。23時間以内にしてください。"
    ]


def test_expert_briefing_checks_the_estimate_against_the_remaining_hours() -> None:
    """The account's hours already used in this edition count: the estimate is checked against what is left."""
    context = TaskContext(edition=FY2025, country="CN", hour_cap=Decimal(23), hours_remaining=Decimal(3))
    assert refused(submit("expert_briefing", {**BRIEFING, "estimated_hours": "3.25"}, context), "estimated_hours") == [
        "想定時間数が上限（23時間）の残り（3時間）を超えています。3時間以内にしてください。"
    ]
    assert valid(submit("expert_briefing", {**BRIEFING, "estimated_hours": "3"}, context))["estimated_hours"] == 3.0


def test_expert_briefing_takes_an_item_outside_the_example_menu_with_its_description() -> None:
    """「（例）」「上記の内容が変更となる場合があります」: an item agreed with the expert outside menu A."""
    fields = {**BRIEFING, "consultation_items": ["A-other"]}
    assert refused(submit("expert_briefing", fields), "other_request") == [
        "その他（専門家と協議）の内容を入力してください"
    ]
    data = valid(submit("expert_briefing", {**fields, "other_request": "中国語版の規程の作成"}))
    assert (data["consultation_items"], data["other_request"]) == (["A-other"], "中国語版の規程の作成")


def test_expert_briefing_reserve_and_topics_for_the_audience() -> None:
    form = submit("expert_briefing", {**BRIEFING, "follow_up_reserved": "23.25"})
    assert refused(form, "follow_up_reserved") == ["確保する時間数は想定時間数（23時間）以内にしてください"]
    form = submit("expert_briefing", {**BRIEFING, "training_audience": "managers", "training_topics": ["B1", "B4"]})
    assert refused(form, "training_topics") == [
        "B4は対象者（管理職）向けのテーマではありません。テーマか対象者を選び直してください"
    ]


def test_expert_briefing_cap_falls_back_to_the_edition() -> None:
    context = TaskContext(edition=FY2021, country="SG")
    fields = {**BRIEFING, "training_language": "en", "estimated_hours": "10.25"}
    assert refused(submit("expert_briefing", fields, context), "estimated_hours") == [
        "想定時間数が上限（10時間）の残り（10時間）を超えています。10時間以内にしてください。"
    ]
    assert valid(submit("expert_briefing", {**fields, "estimated_hours": "10"}, context))["estimated_hours"] == 10.0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0.3", "0.25時間（15分）単位で入力してください"),
        ("0", "想定時間数は0より大きい数値で入力してください"),
        ("", "想定時間数を入力してください"),
    ],
)
def test_expert_briefing_refuses_hours(value: str, message: str) -> None:
    assert refused(submit("expert_briefing", {**BRIEFING, "estimated_hours": value}), "estimated_hours") == [message]


def test_expert_briefing_needs_a_request() -> None:
    form = submit("expert_briefing", {**BRIEFING, "consultation_items": [], "training_topics": []})
    assert refused(form, "consultation_items") == ["依頼内容を1つ以上選択してください"]


def test_expert_briefing_consultation_only_needs_no_training_details() -> None:
    fields = {**BRIEFING, "training_topics": [], "training_audience": "", "training_language": ""}
    data = valid(submit("expert_briefing", fields))
    assert data["training_topics"] == [] and data["training_language"] is None


def test_expert_briefing_training_needs_audience_and_language() -> None:
    form = submit("expert_briefing", {**BRIEFING, "training_audience": "", "training_language": ""})
    assert not form.validate()
    assert form.errors["training_audience"] == ["研修の対象者を選択してください"]
    assert form.errors["training_language"] == ["研修の言語を選択してください"]


def test_expert_briefing_language_comes_from_the_country() -> None:
    assert refused(submit("expert_briefing", {**BRIEFING, "training_language": "th"}), "training_language") == [
        "選択肢の中から選んでください"
    ]
    fields = {f["name"]: f for f in describe_form("expert_briefing", CN_2025)}
    assert fields["training_language"]["choices"] == [["", "（未選択）"], ["ja", "日本語"], ["zh", "中国語"]]
    assert ["B4", "B4 営業秘密流出リスクと従業員にかかる責任（対象：従業員）"] in fields["training_topics"]["choices"]
    assert ["B1", "B1 営業秘密の概要（対象：管理職・従業員）"] in fields["training_topics"]["choices"]
    assert fields["consultation_items"]["choices"][0] == ["A1-1", "A1-1 営業秘密の特定"]


def test_expert_briefing_refuses_unknown_menu_codes() -> None:
    form = submit("expert_briefing", {**BRIEFING, "consultation_items": ["A9"]})
    assert refused(form, "consultation_items") == ["選択肢にない値が含まれています: A9"]


# -- plan_confirmation

PLAN = {
    "start_date": "2025-09-01",
    "end_date": "2026-01-30",
    "schedule": "9月: 規程レビュー / 11月: 研修",
    "agreed_by_company": "y",
    "agreed_by_expert": "y",
}


def test_plan_confirmation_valid_up_to_the_period_end() -> None:
    assert valid(submit("plan_confirmation", {**PLAN, "end_date": "2026-02-06"})) == {
        "start_date": "2025-09-01",
        "end_date": "2026-02-06",
        "schedule": "9月: 規程レビュー / 11月: 研修",
        "agreed_by_company": True,
        "agreed_by_expert": True,
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_date": "2026-02-07"}, "end_date", "支援期間（2026年2月6日）までの日付にしてください"),
        ({"end_date": "2025-08-31"}, "end_date", "支援終了日は支援開始日以降の日付にしてください"),
        ({"schedule": ""}, "schedule", "実施スケジュールを入力してください"),
        ({"agreed_by_company": ""}, "agreed_by_company", "企業との合意を確認してください"),
        ({"agreed_by_expert": "false"}, "agreed_by_expert", "専門家との合意を確認してください"),
        ({"start_date": ""}, "start_date", "支援開始日を入力してください"),
    ],
)
def test_plan_confirmation_refuses(changes: dict[str, str], field: str, message: str) -> None:
    assert refused(submit("plan_confirmation", {**PLAN, **changes}), field) == [message]


def test_plan_confirmation_uses_the_edition_period() -> None:
    context = TaskContext(edition=FY2021, country="CN")
    form = submit("plan_confirmation", {**PLAN, "start_date": "2021-09-01", "end_date": "2022-02-19"}, context)
    assert refused(form, "end_date") == ["支援期間（2022年2月18日）までの日付にしてください"]


# -- service_delivery


def test_service_delivery_valid() -> None:
    fields = {"service_summary": "規程のレビューと研修を実施", "training_held": "y"}  # a training is a session now
    assert valid(submit("service_delivery", {**fields, "completed": "y"})) == {
        "service_summary": "規程のレビューと研修を実施",
        "measures_introduced": "",
        "completed": True,
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"completed": ""}, "completed", "サービス提供の完了を確認してください"),
        ({"service_summary": "  "}, "service_summary", "実施内容の概要を入力してください"),
    ],
)
def test_service_delivery_refuses(changes: dict[str, str], field: str, message: str) -> None:
    fields = {"service_summary": "規程のレビュー", "completed": "y", **changes}
    assert refused(submit("service_delivery", fields), field) == [message]


# -- follow_up


def test_follow_up_valid_and_outcome_required() -> None:
    fields = {"meeting_date": "2026-01-20", "method": "web", "attendees": "現地総経理", "outcome": "規程を施行"}
    assert valid(submit("follow_up", fields)) == {**fields, "remaining_issues": ""}
    assert refused(submit("follow_up", {**fields, "outcome": ""}), "outcome") == ["面談の結果を入力してください"]


# -- publicity


def test_publicity_not_published_needs_nothing() -> None:
    data = valid(submit("publicity", {}))
    assert data["publish"] is False and data["industry"] == "" and data["site_type"] is None


def test_publicity_published_needs_the_case_story() -> None:
    form = submit("publicity", {"publish": "y", "city": "バンコク"})
    assert not form.validate()
    assert form.errors == {
        "industry": ["公開する場合は業種を入力してください"],
        "issues": ["公開する場合は課題を入力してください"],
        "support_given": ["公開する場合は支援内容を入力してください"],
        "measures": ["公開する場合は導入した対策を入力してください"],
    }
    fields = {"publish": "y", "industry": "精密機器", "issues": "退職者", "support_given": "研修", "measures": "誓約書"}
    data = valid(submit("publicity", {**fields, "site_type": "factory"}))
    assert data["industry"] == "精密機器" and data["site_type"] == "factory" and data["consent_to_be_named"] is False


# -- application

APPLICATION = {
    "edition": "FY2025",
    "received_on": "2025-06-02",
    "received_time": "09:30",
    "company_name": "株式会社サンプル精機",
    "company_name_en": "Sample Seiki Co., Ltd.",
    "corporate_number": "1234567890123",
    "capital_jpy": "50,000,000",
    "employees_hq": "120",
    "employees_local": "",
    "is_sme": "y",
    "contact_department": "法務部",
    "contact_name": "山田 一郎",
    "contact_email": "yamada@sample-seiki.co.jp",
    "countries": ["CN", "TH"],
    "sites-TH-site_type": "planned",
    "desired_services": ["consultation", "training"],
    "publicity_consent": "y",
}


def test_application_valid() -> None:
    form = submit("application", APPLICATION)
    data = valid(form)
    assert data["edition"] == "FY2025"
    assert data["received_on"] == "2025-06-02"
    assert data["corporate_number"] == "1234567890123"
    assert data["capital_jpy"] == 50_000_000
    assert data["employees_hq"] == 120 and data["employees_local"] is None
    assert data["countries"] == ["CN", "TH"]
    assert data["sites"]["TH"]["site_type"] == "planned" and data["sites"]["CN"]["site_type"] is None
    assert "prior_use" not in data  # no edition with a prior-use rule takes applications today
    assert data["desired_services"] == ["consultation", "training"]
    assert "sealed_pdf" not in data
    assert not any("fee" in key or "price" in key for key in data)


def test_application_refuses_a_country_outside_the_edition() -> None:
    form = submit("application", {**APPLICATION, "countries": ["SG", "CN"]})
    assert refused(form, "countries") == [
        "シンガポールは2025年度 海外における営業秘密漏えい対策支援事業の対象国ではありません"
    ]
    fy2021 = {**APPLICATION, "edition": "FY2021", "countries": ["SG", "ID"]}
    assert refused(submit("application", fy2021), "countries") == [
        "インドネシアは2021年度 日系企業における営業秘密漏えい対策支援事業の対象国ではありません"
    ]
    only_sg = {**fy2021, "countries": ["SG"], "sites-TH-site_type": "", "sites-SG-site_type": "planned"}
    assert valid(submit("application", only_sg))["countries"] == ["SG"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"corporate_number": "123456789012"}, "corporate_number", "法人番号は13桁の数字で入力してください"),
        ({"corporate_number": "12345678901ab"}, "corporate_number", "法人番号は13桁の数字で入力してください"),
        (
            {"contact_email": "yamada@"},
            "contact_email",
            "メールアドレスの形式が正しくありません。例: taro@example.co.jp",
        ),
        ({"contact_email": ""}, "contact_email", "担当者メールアドレスを入力してください"),
        ({"countries": []}, "countries", "対象国を1つ以上選択してください"),
        ({"countries": ["US"]}, "countries", "選択肢にない値が含まれています: US"),
        ({"company_name": ""}, "company_name", "会社名を入力してください"),
        ({"edition": "FY1999"}, "edition", "選択肢の中から選んでください"),
        ({"capital_jpy": "-1"}, "capital_jpy", "資本金は0以上の数値で入力してください"),
        ({"received_on": ""}, "received_on", "申込書受領日を入力してください"),
        ({"sealed_pdf": upload(b"hello", "申込書.docx")}, "sealed_pdf", "PDFファイル（.pdf）を添付してください"),
    ],
)
def test_application_refuses(changes: dict[str, Any], field: str, message: str) -> None:
    assert refused(submit("application", {**APPLICATION, **changes}), field) == [message]


FY2021_APPLICATION = {**APPLICATION, "edition": "FY2021", "received_on": "2021-07-14", "countries": ["CN", "TH"]}


@pytest.fixture
def fy2021_open() -> Any:
    """A day FY2021 takes applications (and FY2025 not yet)."""
    clock.set(datetime.fromisoformat("2021-07-20T10:00:00+09:00"))
    yield
    clock.reset()


@pytest.mark.usefixtures("fy2021_open")
def test_application_states_prior_use_per_country_with_the_editions_own_figures() -> None:
    """Only editions with the rule ask it (FY2021's countries here), labelled with that rule's year, hours, date."""
    fields = {f["name"]: f for f in describe_form("application", CN_2025)}
    prior = fields["prior_use"]
    assert prior["type"] == "group"
    assert prior["label"] == "2019年度以降の本事業の利用時間（このシステムに記録のない分）"
    assert (
        "2019年度以降、同地域で20時間以上の利用がある場合、その地域は2021年7月15日から受け付けます"
        in prior["description"]
    )
    assert [(f["name"], f["label"], f["type"]) for f in prior["fields"]] == [
        ("CN", "中国大陸", "decimal"), ("TH", "タイ", "decimal"), ("VN", "ベトナム", "decimal"),
        ("SG", "シンガポール", "decimal"),
    ]  # fmt: skip
    only_fy2025 = TaskContext(edition=FY2025, editions={"FY2025": FY2025})
    assert "prior_use" not in {f["name"] for f in describe_form("application", only_fy2025)}


def test_application_asks_prior_use_only_while_an_edition_with_the_rule_takes_applications() -> None:
    clock.set(datetime.fromisoformat("2025-07-01T10:00:00+09:00"))  # FY2025's window; FY2021's ended in 2022
    try:
        assert "prior_use" not in {f["name"] for f in describe_form("application", CN_2025)}
    finally:
        clock.reset()


@pytest.mark.usefixtures("fy2021_open")
def test_application_prior_use_is_kept_per_country() -> None:
    data = valid(submit("application", {**FY2021_APPLICATION, "prior_use-CN": "20", "prior_use-TH": "0"}))
    assert data["prior_use"] == {"CN": 20.0, "TH": 0.0, "VN": None, "SG": None}
    form = submit("application", {**FY2021_APPLICATION, "prior_use-CN": "19.75"})
    assert form.validate() and form.prior_use.hours() == {"CN": Decimal("19.75")}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"prior_use-CN": "-1"}, "中国大陸：利用時間は0以上の数値で入力してください"),
        ({"prior_use-CN": "abc"}, "中国大陸：数値で入力してください"),
        ({"prior_use-VN": "20"}, "ベトナム：ベトナムは対象国に選ばれていません"),
        (
            {"edition": "FY2025", "received_on": "2025-06-02", "prior_use-CN": "30"},
            "中国大陸：2025年度 海外における営業秘密漏えい対策支援事業には過去の利用による受付開始日の定めがないため、"
            "入力は不要です",
        ),
    ],
)
@pytest.mark.usefixtures("fy2021_open")
def test_application_prior_use_refuses(changes: dict[str, Any], message: str) -> None:
    assert refused(submit("application", {**FY2021_APPLICATION, **changes}), "prior_use") == [message]


@pytest.mark.usefixtures("fy2021_open")
def test_application_prior_use_of_zero_needs_no_rule() -> None:
    form = submit("application", {**APPLICATION, "prior_use-CN": "0"})  # FY2025 (other fields aside)
    assert not form.validate() and "prior_use" not in form.errors


def test_application_accepts_full_width_corporate_number_and_a_sealed_pdf() -> None:
    pdf = upload(PDF_BYTES, "申込書.pdf")
    form = submit("application", {**APPLICATION, "corporate_number": "１２３４５６７８９０１２３", "sealed_pdf": pdf})
    assert valid(form)["corporate_number"] == "1234567890123"
    assert form.uploads() == {"sealed_pdf": pdf}


def test_application_choices_come_from_the_editions() -> None:
    fields = {f["name"]: f for f in describe_form("application", CN_2025)}
    assert fields["edition"]["choices"] == [
        ["FY2021", "2021年度 日系企業における営業秘密漏えい対策支援事業"],
        ["FY2025", "2025年度 海外における営業秘密漏えい対策支援事業"],
    ]
    assert [c[0] for c in fields["countries"]["choices"]] == ["CN", "TH", "VN", "SG", "ID"]
    assert fields["countries"]["choices"][0] == ["CN", "中国大陸"]  # the first edition's name
    assert fields["countries"]["required"] is True
    assert build_form("application", context=CN_2025).edition.data == "FY2025"


def test_application_names_follow_an_english_locale() -> None:
    app = Flask(__name__)
    Babel(app, default_locale="ja", locale_selector=lambda: "en")
    with app.test_request_context():
        fields = {f["name"]: f for f in describe_form("application", CN_2025)}
    assert fields["countries"]["choices"][3] == ["SG", "Singapore"]


# -- hours_entry

HOURS_CONTEXT = TaskContext(edition=FY2025, countries=("CN", "TH"))
HOURS = {"country": "TH", "work_date": "2025-09-10", "activity": "web_meeting", "hours": "1.75", "note": "規程レビュー"}


def test_hours_entry_valid() -> None:
    assert valid(submit("hours_entry", HOURS, HOURS_CONTEXT)) == {
        "country": "TH",
        "work_date": "2025-09-10",
        "activity": "web_meeting",
        "hours": 1.75,
        "note": "規程レビュー",
        "confirm_reserved": False,
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"hours": "0.1"}, "hours", "0.25時間（15分）単位で入力してください"),
        ({"hours": "24.25"}, "hours", "時間数は1日24時間以内で入力してください"),
        ({"hours": "0"}, "hours", "時間数は0より大きい数値で入力してください"),
        ({"hours": "NaN"}, "hours", "数値で入力してください"),
        ({"country": "VN"}, "country", "選択肢の中から選んでください"),
        ({"country": ""}, "country", "対象国を選択してください"),
        ({"activity": "golf"}, "activity", "選択肢の中から選んでください"),
        ({"work_date": "2025/9/31"}, "work_date", "日付を「2025-07-01」の形式で入力してください"),
    ],
)
def test_hours_entry_refuses(changes: dict[str, str], field: str, message: str) -> None:
    assert refused(submit("hours_entry", {**HOURS, **changes}, HOURS_CONTEXT), field) == [message]


def test_hours_entry_accepts_24_hours_and_slashed_dates() -> None:
    data = valid(submit("hours_entry", {**HOURS, "hours": "24", "work_date": "2025/9/1"}, HOURS_CONTEXT))
    assert data["hours"] == 24.0 and data["work_date"] == "2025-09-01"


def test_activity_kinds_and_what_counts() -> None:
    codes = [code for code, _ in ACTIVITY_KINDS]
    assert codes == [
        "meeting",
        "web_meeting",
        "phone",
        "email",
        "document_review",
        "materials",
        "training_lecture",
        "follow_up_meeting",
        "travel",
    ]
    assert str(dict(ACTIVITY_KINDS)["travel"]) == "出張（移動時間・カウント対象外）"
    assert frozenset(codes) - {"travel"} == COUNTED_ACTIVITIES
    assert isinstance(COUNTED_ACTIVITIES, frozenset)


def test_hours_entry_country_names_and_single_country_default() -> None:
    fields = {f["name"]: f for f in describe_form("hours_entry", HOURS_CONTEXT)}
    assert fields["country"]["choices"] == [["CN", "中国"], ["TH", "タイ"]]
    form = build_form("hours_entry", context=TaskContext(edition=FY2025, countries=("VN",)))
    assert form.country.data == "VN"
