"""The dashboard, the public case studies, the admins' outbox and the bpmn-js assets."""

from __future__ import annotations

import re

import pytest

from tests.fixtures import PASSWORD
from webapp import delivery
from webapp.extensions import db
from webapp.models import Case, EditionState
from webapp.operations.publicity import save_case_study
from webapp.views import outbox as outbox_views

from .lifecycle import adopt, register
from .service import into_service


def login(client, username):
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def page_as(app, username, path, **kwargs):
    return login(app.test_client(), username).get(path, **kwargs)


def stage_count(page: str, stage: str) -> int:
    match = re.search(rf'<tr data-stage="{stage}">.*?<td class="num">(\d+)</td>', page)
    assert match, stage
    return int(match.group(1))


# ---------------------------------------------------------------- dashboard


def test_dashboard_is_for_staff_and_admins(app, users):
    for username, status in (("staff", 200), ("admin", 200), ("expert_cn", 403), ("applicant", 403),
                             ("designer", 403)):  # fmt: skip
        response = page_as(app, username, "/dashboard")
        assert response.status_code == status, username
        assert ("段階別の案件数" if status == 200 else "権限がありません") in response.text, username
    assert "/login" in app.test_client().get("/dashboard").headers["Location"]


def test_dashboard_counts_cases_adoptions_and_hours(app, api_as):
    staff, expert = api_as("staff"), api_as("expert_cn")
    first = register(staff, "FY2025", ["CN", "TH"], "2025-07-01")
    register(staff, "FY2025", ["TH"], "2025-07-01", company_name="株式会社みなと食品")
    register(staff, "FY2025", ["VN"], "2025-07-01", company_name="東海化学工業株式会社")
    adopt(staff, first["id"])
    into_service(api_as, first["id"])
    for activity, hours in (("meeting", "5"), ("travel", "4")):
        entry = {"country": "CN", "work_date": "2025-07-10", "activity": activity, "hours": hours}
        assert expert.post(f"/cases/{first['id']}/hours", json=entry).status_code == 201

    page = page_as(app, "staff", "/dashboard").text
    assert stage_count(page, "receipt") == 2 and stage_count(page, "service") == 1 and stage_count(page, "hearing") == 0
    fy2025 = re.search(r'<tr data-edition="FY2025">.*?</tr>', page, re.S).group(0)
    assert "1 / 15件" in fy2025 and "受付中" in fy2025
    assert "<svg" in page and 'data-country="CN"' in page
    assert "5 / 23時間（22%）" in page  # travel is not counted
    assert "0 / 23時間（0%）" in page  # Thailand on the adopted case
    assert 'data-country="VN"' not in page  # not adopted: no cap to report against

    fy2021 = page_as(app, "staff", "/dashboard", query_string={"edition": "FY2021"}).text
    assert stage_count(fy2021, "receipt") == 0 and "採択された案件がまだありません" in fy2021


def test_dashboard_says_when_intake_is_closed(app, users):
    with app.app_context():
        db.session.add(EditionState(edition="FY2025", adopted_count=15, next_case_seq=16))
        db.session.commit()
    page = page_as(app, "admin", "/dashboard").text
    fy2025 = re.search(r'<tr data-edition="FY2025">.*?</tr>', page, re.S).group(0)
    assert "15 / 15件" in fy2025 and "受付終了" in fy2025
    assert "予定採択件数（15件程度）に達したため、お申し込みを締め切りました" in fy2025


# ---------------------------------------------------------------- public page


def publish(app, case_id: int, **data) -> None:
    with app.app_context():
        case = db.session.get(Case, case_id)
        study = {"publish": True, "industry": "精密機器", "issues": "退職者による図面の持ち出し",
                 "support_given": "規程整備と管理職研修", "measures": "秘密保持誓約書を導入", **data}  # fmt: skip
        save_case_study(case, study)
        db.session.commit()


def test_public_page_shows_published_studies_anonymised_unless_named(app, api_as):
    staff = api_as("staff")
    anonymous = register(staff, "FY2025", ["TH"], "2025-07-01")
    named = register(staff, "FY2025", ["CN"], "2025-07-01", company_name="北陸テキスタイル株式会社")
    hidden = register(staff, "FY2025", ["VN"], "2025-07-01", company_name="東海化学工業株式会社")
    publish(app, anonymous["id"], company_voice="社内の意識が変わりました。")
    publish(app, named["id"], consent_to_be_named=True, industry="繊維")
    publish(app, hidden["id"], publish=False)

    response = app.test_client().get("/public")  # no sign-in
    page = response.text
    assert response.status_code == 200
    assert "A社（精密機器、タイ）" in page and "株式会社サンプル精機" not in page
    assert "北陸テキスタイル株式会社（繊維、中国）" in page
    assert "東海化学工業" not in page and "ベトナム" not in page
    assert "退職者による図面の持ち出し" in page and "社内の意識が変わりました。" in page
    assert "0時間" in page


def test_public_page_says_when_nothing_is_published(app, users):
    assert "公開中の事例はまだありません" in app.test_client().get("/public").text


# ---------------------------------------------------------------- outbox


def test_outbox_is_for_admins_only(app, users):
    for username in ("staff", "expert_cn", "applicant", "designer"):
        response = page_as(app, username, "/admin/outbox")
        assert response.status_code == 403 and "権限がありません" in response.text, username
    assert page_as(app, "admin", "/").headers["Location"].endswith("/admin/outbox")


def test_outbox_lists_kept_emails_with_bodies_and_pages(app, api_as, monkeypatch):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["TH"], "2025-07-01")
    adopt(staff, case["id"])
    assert "送信待ち（2）" in page_as(app, "admin", "/admin/outbox").text  # delivery runs after the request
    with app.app_context():
        assert delivery.deliver_due().kept == 2
    page = page_as(app, "admin", "/admin/outbox").text
    assert (
        "【ジェトロ】申込書受領のお知らせ（FY2025-0001）" in page
        and "【ジェトロ】採択のお知らせ（FY2025-0001）" in page
    )
    assert "yamada@sample-seiki.example.jp" in page and "<details>" in page and "株式会社サンプル精機" in page
    assert "保管（SMTP未設定）（2）" in page

    monkeypatch.setattr(outbox_views, "PER_PAGE", 1)
    first = page_as(app, "admin", "/admin/outbox", query_string={"status": "kept"}).text
    assert "1 / 2 ページ（全2件）" in first and "採択のお知らせ" in first and "申込書受領のお知らせ" not in first
    second = page_as(app, "admin", "/admin/outbox", query_string={"status": "kept", "page": "2"}).text
    assert "申込書受領のお知らせ" in second
    assert "メールはまだありません" in page_as(app, "admin", "/admin/outbox", query_string={"status": "failed"}).text


# ---------------------------------------------------------------- bpmn-js assets


def test_bpmn_js_is_served_from_node_modules(app, users):
    if not (app.config["BPMN_NPM_DIR"] / "bpmn-js" / "dist").is_dir():
        pytest.skip("node_modules/bpmn-js is missing: run `npm install`")
    response = app.test_client().get("/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
    assert response.status_code == 200 and "BpmnJS" in response.text[:2000]
    assert app.test_client().get("/vendor/bpmn-js/assets/bpmn-js.css").mimetype == "text/css"


def test_missing_npm_install_is_explained(app, users, tmp_path):
    app.config["BPMN_NPM_DIR"] = tmp_path / "no-node-modules"
    response = app.test_client().get("/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
    assert response.status_code == 404 and "npm install" in response.text
