"""In a real Chromium: a designer edits the process in the browser (bpmn-js Modeler with the properties panel,
bpmnlint, dmn-js), sees a lint problem placed on the element, saves a draft and deploys it; new cases take it."""

from __future__ import annotations

import json

import pytest

from tests.web.lifecycle import complete, open_task, register

from .helpers import screenshot, sign_in

pytestmark = pytest.mark.e2e


def open_editor(page, live) -> None:
    sign_in(page, live, "designer")
    page.goto(live("/process/"))
    page.get_by_role("button", name="新しい下書きを作成").click()
    page.wait_for_load_state()
    page.wait_for_selector("#process-editor[data-ready=true]")


def lint_issues(page, pane: str) -> dict:
    raw = page.locator(f'[data-file-pane="{pane}"]').get_attribute("data-lint-issues") or "{}"
    return json.loads(raw)


def test_a_designer_edits_a_task_in_the_properties_panel_saves_a_draft_deploys_it_and_moves_a_case(
    page, live, api_as, tmp_path
):
    staff = api_as("staff")
    running = register(staff, "FY2025", ["TH"], "2025-07-01")  # on v1, waiting at the receipt confirmation
    open_editor(page, live)
    assert page.get_by_role("heading", level=1).inner_text().startswith("プロセスの編集")
    bpmn = page.locator('[data-file-pane="support_program.bpmn"]')
    assert bpmn.get_attribute("data-import-warnings") == "0"
    page.wait_for_function(
        "() => document.querySelector('[data-file-pane=\"support_program.bpmn\"]').dataset.lintIssues"
    )
    assert lint_issues(page, "support_program.bpmn") == {}
    # The modeler speaks Japanese (bpmn-js-i18n's table, the panel's labels through Flask-Babel).
    page.locator('.djs-element[data-element-id="Hearing"]').click()
    panel = bpmn.locator(".bio-properties-panel")
    assert panel.get_by_text("エンジンの設定").first.is_visible()

    name = panel.locator("#bio-properties-panel-name")
    name.fill("ヒアリング（電話）")
    form_key = panel.locator("#bio-properties-panel-tss-formKey")
    assert form_key.input_value() == "hearing"
    form_key.select_option("")  # no form: the project's lint rule marks the task
    page.wait_for_function(
        "() => (JSON.parse(document.querySelector('[data-file-pane=\"support_program.bpmn\"]').dataset.lintIssues"
        " || '{}').Hearing || []).length > 0"
    )
    issues = lint_issues(page, "support_program.bpmn")
    assert [i["message"] for i in issues["Hearing"]] == ["ユーザータスクにフォームを指定してください。"]
    marker = page.locator('.djs-overlays[data-container-id="Hearing"] .bjsl-overlay .bjsl-icon-error')
    marker.wait_for()
    assert marker.count() == 1
    screenshot(page, "editor-lint")

    form_key.select_option("hearing")
    page.wait_for_function(
        "() => !JSON.parse(document.querySelector('[data-file-pane=\"support_program.bpmn\"]').dataset.lintIssues"
        " || '{}').Hearing"
    )
    # The decision tables open in dmn-js.
    page.get_by_role("tab", name="eligibility.dmn", exact=True).click()
    page.wait_for_selector('[data-file-pane="eligibility.dmn"][data-ready=true]')
    assert page.locator('[data-file-pane="eligibility.dmn"]').get_attribute("data-import-warnings") == "0"
    assert page.locator('[data-file-pane="eligibility.dmn"] .tjs-table').count() == 1

    page.get_by_role("button", name="下書きとして保存").click()
    status = page.get_by_role("status").filter(has_text="下書きを保存しました")
    status.wait_for()
    assert status.inner_text() == "下書きを保存しました。デプロイの検査に通ります。"
    screenshot(page, "editor-saved")

    page.get_by_role("link", name="保存済みの下書きを検査（移行できる案件）").click()
    page.wait_for_selector("#check-diagram[data-ready=true]")
    assert page.get_by_text("デプロイの検査に通ります。").is_visible()
    assert page.get_by_text("1 件中 1 件が下書きに移行できます。").is_visible()
    live.app.config["DRAFT_SCENARIO_PATHS"] = ["features/test_publicity.py"]  # a few scenarios, end to end
    live.app.config["SCENARIO_RUNS_DIR"] = str(tmp_path / "runs")
    page.get_by_role("button", name="受け入れシナリオを実行（1分ほどかかります）").click()
    page.wait_for_load_state()
    assert page.locator("[data-scenarios-running]").is_visible()  # the page refreshes itself until they end
    page.wait_for_selector("[data-scenario-summary], #scenarios .blocked", timeout=180_000)
    assert page.locator("[data-scenario-summary]").count() == 1, page.locator("#scenarios").inner_text()
    page.wait_for_selector("#check-diagram[data-ready=true]")
    assert page.locator("[data-scenario-summary]").inner_text().startswith("シナリオ 4 件：成功 4 件、失敗 0 件")
    assert page.locator("#check-diagram .djs-element.is-covered").count() > 20  # coverage drawn
    assert page.locator('#check-diagram .djs-element.not-covered[data-element-id="EndRejected"]').count() == 1
    screenshot(page, "draft-check")
    page.get_by_role("link", name="編集に戻る").click()
    page.wait_for_selector("#process-editor[data-ready=true]")
    page.get_by_role("button", name="保存済みの下書きをデプロイ").click()
    page.wait_for_load_state()
    assert page.get_by_text("下書きをバージョン 2 としてデプロイしました。").is_visible(), page.content()
    page.get_by_role("button", name="移行できる案件をすべて移行").click()
    page.wait_for_load_state()
    assert page.get_by_text("1 件を v2 に移行しました。").is_visible(), page.content()
    assert page.locator(f'tr[data-case="{running["number"]}"]').inner_text().endswith("このバージョンで実行中です")
    screenshot(page, "draft-moved")
    page.goto(live("/process/"))
    page.get_by_role("link", name="v1 との違い").click()
    page.wait_for_selector("#diagram-old[data-ready=true]")
    page.wait_for_selector("#diagram-new[data-ready=true]")
    assert page.locator('#diagram-new .djs-element.is-changed[data-element-id="Hearing"]').count() == 1
    assert page.locator('#diagram-old .djs-element.is-changed[data-element-id="Hearing"]').count() == 1
    screenshot(page, "version-compare")
    assert page.js_errors == []
    # Nothing but the libraries' own style="" markup is refused (editor.css places those elements instead).
    assert [v for v in page.csp_violations if not v.startswith("Applying inline style")] == []

    # the moved case goes on on the new version, and so do new cases
    for case in (running, register(staff, "FY2025", ["TH"], "2025-07-01", company_name="東海精工株式会社")):
        task = open_task(staff, case["id"], "receipt_confirmation")
        assert complete(staff, task["id"], {"sealed_pdf_confirmed": True}).status_code == 200
        assert open_task(staff, case["id"], "hearing")["title"] == "ヒアリング（電話）"


def test_the_properties_panel_shows_what_the_engine_reads_and_declares_a_new_collection(page, live):
    open_editor(page, live)
    bpmn = page.locator('[data-file-pane="support_program.bpmn"]')
    panel = bpmn.locator(".bio-properties-panel")

    def select(element_id: str) -> None:  # as a click on the element does (a flow's line is hard to hit)
        page.evaluate(
            "(id) => { const m = window.tssEditor.modelers['support_program.bpmn'];"
            " m.get('selection').select(m.get('elementRegistry').get(id)); }",
            element_id,
        )
        panel.get_by_text("エンジンの設定").first.wait_for()

    select("Flow_Adopted")
    assert panel.locator("#bio-properties-panel-tss-condition").input_value() == 'decision == "adopt"'
    select("SummarizeEligibility")
    assert "ineligible_reasons" in panel.locator("#bio-properties-panel-tss-script").input_value()
    select("CheckEligibility")
    assert panel.locator("#bio-properties-panel-tss-calledDecisionId").input_value() == "eligibility"
    select("Lane_Expert")
    assert panel.locator("#bio-properties-panel-tss-lane-role").input_value() == "現地専門家"

    select("CountrySupport")
    collection = panel.locator("#bio-properties-panel-tss-loop-input")
    assert collection.input_value() == "countries"
    assert panel.locator("#bio-properties-panel-tss-loop-input-item").input_value() == "country"
    assert panel.locator("#bio-properties-panel-tss-loop-output").input_value() == "country_results"
    collection.fill("target_countries")
    page.wait_for_function(
        "() => window.tssEditor.modelers['support_program.bpmn'].getDefinitions().rootElements"
        ".some(e => (e.properties || []).some(p => p.id === 'target_countries'))"
    )
    saved = page.evaluate("() => window.tssEditor.collect()")["support_program.bpmn"]
    assert '<bpmn:property id="target_countries" name="target_countries" />' in saved
    assert "<bpmn:loopDataInputRef>target_countries</bpmn:loopDataInputRef>" in saved

    # a draft may be saved unfinished: the deploy's refusal is listed and placed on its element
    select("Hearing")
    panel.locator("#bio-properties-panel-tss-formKey").select_option("")
    page.get_by_role("button", name="下書きとして保存").click()
    page.get_by_role("status").filter(has_text="問題が 1 件あります").wait_for()
    problem = page.locator("[data-editor-problems] li")
    assert problem.get_attribute("data-element") == "Hearing"
    assert "ユーザータスクにフォーム（formKey プロパティ）を指定してください。" in problem.inner_text()
    assert page.locator('.djs-overlays[data-container-id="Hearing"] .problem-note').count() == 1
    panel.locator("#bio-properties-panel-tss-formKey").select_option("hearing")
    page.get_by_role("button", name="下書きとして保存").click()
    page.get_by_role("status").filter(has_text="デプロイの検査に通ります").wait_for()
    assert page.locator("[data-editor-problems] li").count() == 0
    assert page.locator(".problem-note").count() == 0
    assert page.js_errors == []
