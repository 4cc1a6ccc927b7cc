"""In a real Chromium: staff take a new application through hearing and adoption on the task pages, an expert
logs hours up to the cap, the case page draws the diagram with the current task marked; screenshots of each."""

from __future__ import annotations

import re

import pytest

from tests.web.lifecycle import PDF, adopt, complete, open_task, register
from tests.web.service import into_service
from webapp.extensions import db
from webapp.models import Case
from webapp.operations.publicity import save_case_study

from .helpers import screenshot, sign_in, sign_out

pytestmark = pytest.mark.e2e


def open_inbox_task(page, live, title: str, company: str) -> None:
    page.goto(live("/inbox/?tab=all"))
    row = page.locator("tr.task-row", has_text=company).filter(has=page.get_by_role("link", name=title, exact=True))
    row.get_by_role("link", name=title, exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == title


def finish_task(page) -> None:
    page.get_by_role("button", name="完了する").click()
    page.wait_for_load_state()
    assert page.get_by_text("完了しました。").is_visible(), page.content()


def register_on_the_page(page, live) -> None:
    page.goto(live("/applications/new"))
    page.get_by_label("事業（年度）").select_option("FY2025")
    page.get_by_label("申込書受領日").fill("2025-07-01")
    page.get_by_label("申込メールの受信時刻").fill("09:30")
    page.get_by_label("会社名 必須", exact=True).fill("株式会社サンプル精機")
    page.get_by_label("担当部署").fill("知的財産部")
    page.get_by_label("担当者氏名").fill("山田 一郎")
    page.get_by_label("担当者メールアドレス").fill("yamada@sample-seiki.example.jp")
    for code in ("CN", "TH"):
        page.locator(f"input[name=countries][value={code}]").check()
    for code in ("CN", "TH"):  # each target country's site
        page.locator(f"#sites-{code}-site_type").select_option("subsidiary")
    page.get_by_label("国内での営業秘密管理体制構築の経験").select_option("yes")
    page.get_by_label("広報への協力に同意").check()
    page.get_by_label("捺印済みの申込書（PDF）").set_input_files(
        files=[{"name": "application.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    screenshot(page, "application-new")
    page.get_by_role("button", name="登録する").click()
    page.wait_for_load_state()


def test_staff_registers_an_application_and_takes_it_through_hearing_and_adoption(page, live):
    sign_in(page, live, "staff")
    register_on_the_page(page, live)
    assert page.get_by_role("status").filter(has_text="申込書を登録しました（受付番号 FY2025-0001）").is_visible()
    assert page.locator(".timeline [aria-current=step] .step-name").inner_text() == "受領確認"
    case_url = page.url
    screenshot(page, "case-registered")
    page.goto(live("/inbox/?tab=all"))
    screenshot(page, "inbox")

    open_inbox_task(page, live, "受領確認", "株式会社サンプル精機")
    page.get_by_label("捺印済みの申込書PDFを確認した").check()
    screenshot(page, "task-receipt")
    finish_task(page)

    open_inbox_task(page, live, "ヒアリング", "株式会社サンプル精機")
    page.get_by_label("ヒアリング実施日").fill("2025-07-02")
    page.get_by_label("ヒアリングの方法").select_option("phone")
    assert page.get_by_label("現地拠点の状況").count() == 0  # FY2025 takes planned sites: not asked
    assert page.get_by_role("group", name="タイ").get_by_label("現地拠点がサービスを希望").count() == 1
    assert page.get_by_label("管理体制の整備に取り組む意思").count() == 0  # a FY2021 condition only
    page.get_by_label("広報への協力に同意").check()
    screenshot(page, "task-hearing")
    finish_task(page)

    open_inbox_task(page, live, "採否の決定", "株式会社サンプル精機")
    assert page.get_by_text("申請要件を満たしています。").is_visible()  # the recommendation beside the decision
    page.get_by_label("採択", exact=True).check()
    finish_task(page)

    page.goto(case_url)
    current = page.locator(".timeline [aria-current=step] .step-name")
    assert current.inner_text() == "様式提出"
    assert page.locator(".timeline .step-done").count() == 3
    assert page.get_by_text("【ジェトロ】採択のお知らせ（FY2025-0001）").is_visible()
    history = page.locator("table.history").inner_text()
    assert "タスクを完了：ヒアリング" in history and "タスクを完了：採否の決定" in history
    page.wait_for_selector("#case-diagram[data-ready=true]")
    screenshot(page, "case-page")
    assert page.js_errors == []
    assert page.csp_violations == []


def test_expert_logs_hours_up_to_the_cap_and_sees_the_refusal(page, live, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN", "TH"], "2025-07-01")
    adopt(staff, case["id"])
    into_service(api_as, case["id"])
    sign_in(page, live, "expert_cn")
    page.goto(live(f"/cases/{case['id']}/hours"))

    def log(hours: str, activity: str = "meeting") -> None:
        page.get_by_label("対象国").select_option("TH")
        page.get_by_label("作業日").fill("2025-07-10")
        page.get_by_label("作業内容").select_option(activity)
        page.get_by_label("時間数").fill(hours)
        page.get_by_role("button", name="記録する").click()
        page.wait_for_load_state()

    log("23")
    assert page.get_by_role("status").filter(has_text="23時間を記録しました（タイ：残り0時間）").is_visible()
    log("4", "travel")
    assert page.locator("td .badge", has_text="カウント対象外").count() == 1
    log("0.25")
    alert = page.get_by_role("alert").filter(has_text="上限")
    assert alert.inner_text() == "上限（23時間）を超えるため記録できません。残りは0時間です。"
    hours = page.get_by_label("時間数")
    assert hours.get_attribute("aria-invalid") == "true"
    assert "残りは0時間です" in page.locator("#" + hours.get_attribute("aria-describedby").split()[-1]).inner_text()
    assert "23 / 23時間（残り0時間）" in page.locator(".hours-bars").inner_text()
    screenshot(page, "hours-refused")
    assert page.csp_violations == []


def test_hours_form_is_usable_with_the_keyboard(page, live, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["TH"], "2025-07-01")
    adopt(staff, case["id"])
    into_service(api_as, case["id"])
    sign_in(page, live, "expert_cn")
    page.goto(live(f"/cases/{case['id']}/hours"))
    for label, field_id in (("対象国", "country"), ("作業日", "work_date"), ("作業内容", "activity"),
                            ("時間数", "hours"), ("備考", "note")):  # fmt: skip
        assert page.get_by_label(label, exact=True).get_attribute("id") == field_id

    page.get_by_label("時間数").fill("1.5")
    page.get_by_label("対象国").focus()
    for _step in range(10):
        if page.evaluate("document.activeElement.type") == "submit":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "記録する"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("1.5時間を記録しました（タイ：残り21.5時間）").is_visible()
    assert page.csp_violations == []


def test_case_page_draws_the_diagram_with_the_current_task_marked(page, live, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN", "TH"], "2025-07-01")
    receipt = open_task(staff, case["id"], "receipt_confirmation")
    assert complete(staff, receipt["id"], {"sealed_pdf_confirmed": True}).status_code == 200
    hearing = open_task(staff, case["id"], "hearing")

    sign_in(page, live, "staff")
    page.goto(live(f"/cases/{case['id']}"))
    page.wait_for_selector(".djs-container svg")
    active = page.locator(f'.djs-element.is-active[data-element-id="{hearing["element_id"]}"]')
    active.wait_for()
    assert page.locator('.djs-element.is-completed[data-element-id="ConfirmReceipt"]').count() == 1
    assert page.locator(".djs-element.is-active").count() >= 1
    fill = active.locator(".djs-visual > rect").first.evaluate("el => getComputedStyle(el).fill")
    assert fill == "rgb(255, 237, 213)"  # the orange of "in progress", as in the legend
    assert "オレンジ" in page.locator("#case-diagram-status").inner_text()
    page.locator("#case-diagram").scroll_into_view_if_needed()
    screenshot(page, "case-diagram")
    assert page.js_errors == []
    assert page.csp_violations == []


def test_reports_and_public_page_render(page, live, api_as):
    staff, expert = api_as("staff"), api_as("expert_cn")
    first = register(staff, "FY2025", ["CN", "TH"], "2025-06-30")
    register(staff, "FY2025", ["VN"], "2025-07-01", company_name="東海化学工業株式会社")
    register(staff, "FY2025", ["ID"], "2025-07-01", company_name="北陸テキスタイル株式会社")
    adopt(staff, first["id"])
    into_service(api_as, first["id"])
    entry = {"country": "CN", "work_date": "2025-07-10", "activity": "meeting", "hours": "17.5"}
    assert expert.post(f"/cases/{first['id']}/hours", json=entry).status_code == 201
    with live.app.app_context():
        study = {"publish": True, "industry": "精密機器", "city": "上海", "site_type": "subsidiary",
                 "company_size": "従業員300名", "issues": "退職者による図面の持ち出しが懸念されていた。",
                 "support_given": "就業規則・秘密保持誓約書のレビューと管理職研修", "measures": "秘密情報の区分とアクセス権限を整理",
                 "company_voice": "現地の管理職が自ら規程を説明できるようになりました。"}  # fmt: skip
        save_case_study(db.session.get(Case, first["id"]), study)
        db.session.commit()

    sign_in(page, live, "staff")
    page.goto(live("/dashboard"))
    assert page.locator("svg.chart g[data-country=CN] text.chart-value").text_content().startswith("17.5 / 23時間")
    screenshot(page, "dashboard")
    page.goto(live("/cases"))
    assert page.locator("tbody tr").count() == 3
    page.get_by_label("案件番号・企業名").fill("東海")
    page.get_by_role("button", name="検索").click()
    assert page.locator("tbody tr").count() == 1
    page.goto(live("/cases"))
    screenshot(page, "case-list")

    page.goto(live("/public"))
    assert re.search(r"A社（精密機器、中国・タイ）", page.locator("h2").first.inner_text())
    assert "株式会社サンプル精機" not in page.content()
    screenshot(page, "public")

    sign_out(page)
    sign_in(page, live, "admin")
    page.goto(live("/admin/outbox"))
    page.locator("details summary").first.click()
    assert page.locator(".mail-body").first.is_visible()
    screenshot(page, "outbox")
    assert page.csp_violations == []
