"""Drafts of the process (the designers' editor): started from the newest version, saved whatever their state,
checked with the deploy's own validation, deployed through the one deploy path; only designers and admins."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.fixtures import PASSWORD
from tests.web.lifecycle import complete, open_task, register
from webapp.designer.models import ProcessDraft
from webapp.extensions import db
from webapp.models import AuditEvent, ProcessInstance, ProcessVersion

BPMN = "support_program.bpmn"


def login(client, username):
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def start(client) -> tuple[int, dict]:
    response = client.post("/process/drafts/")
    assert response.status_code == 302
    draft_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/process/drafts/{draft_id}").get_data(as_text=True)
    raw = re.search(r'<script type="application/json" id="editor-config">(.*?)</script>', page, re.S)
    assert raw is not None
    return draft_id, json.loads(raw.group(1))


def save(client, draft_id: int, files: dict, lock_version: int):
    return client.post(f"/process/drafts/{draft_id}/save", json={"files": files, "lock_version": lock_version})


@pytest.mark.parametrize("username", ["staff", "expert_cn", "applicant"])
def test_only_designers_and_admins_work_on_drafts(app, users, username):
    client = login(app.test_client(), username)
    assert client.post("/process/drafts/").status_code == 403
    assert client.get("/process/drafts/1").status_code == 403


def test_a_draft_starts_from_the_repository_and_gives_the_editor_what_the_engine_knows(app, users):
    client = login(app.test_client(), "designer")
    draft_id, config = start(client)
    assert config["order"][0] == BPMN and set(config["files"]) == set(config["order"])
    assert {"value": "hearing", "label": "hearing"} in config["formKeys"]
    assert {lane["value"] for lane in config["lanes"]} >= {"現地専門家", "申請企業"}
    assert "eligibility" in {t["value"] for t in config["decisionTables"]}
    assert config["problems"] == [] and config["lockVersion"] == 1
    assert config["texts"]["formKey"] == "フォーム"
    assert "下書き 1" in client.get("/process/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ProcessDraft, draft_id).base_version_id is None  # nothing deployed yet


def test_saving_keeps_an_unfinished_draft_and_places_the_deploy_problem_on_its_element(app, users):
    client = login(app.test_client(), "designer")
    draft_id, config = start(client)
    files = dict(config["files"])
    files[BPMN] = files[BPMN].replace('name="formKey" value="hearing"', 'name="formKey" value="hearing_v2"')
    response = save(client, draft_id, files, 1)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["lock_version"] == 2
    [problem] = body["problems"]
    assert (problem["file"], problem["element"]) == (BPMN, "Hearing")
    assert "hearing_v2" in problem["message"]
    assert body["message"] == "下書きを保存しました。デプロイの検査で問題が 1 件あります。"

    deployed = client.post(f"/process/drafts/{draft_id}/deploy", follow_redirects=True)
    assert "デプロイできません" in deployed.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(ProcessVersion).count() == 0
        draft = db.session.get(ProcessDraft, draft_id)
        assert "hearing_v2" in draft.sources[BPMN] and not draft.deployed


def test_a_save_from_an_older_page_or_with_other_files_is_refused(app, users):
    client = login(app.test_client(), "designer")
    draft_id, config = start(client)
    files = dict(config["files"])
    assert save(client, draft_id, files, 1).status_code == 200
    stale = save(client, draft_id, files, 1)
    assert stale.status_code == 409 and "他の画面で保存" in stale.get_json()["error"]
    assert save(client, draft_id, {BPMN: files[BPMN]}, 2).status_code == 422
    assert save(client, draft_id, {**files, "extra.bpmn": files[BPMN]}, 2).status_code == 422
    assert save(client, draft_id, {**files, BPMN: "  "}, 2).status_code == 422
    assert (
        client.post(f"/process/drafts/{draft_id}/save", data="[]", content_type="application/json").status_code == 400
    )


def test_a_deployed_draft_becomes_the_newest_version_and_is_no_longer_edited(app, users):
    client = login(app.test_client(), "designer")
    draft_id, config = start(client)
    files = {**config["files"], BPMN: config["files"][BPMN].replace('name="ヒアリング"', 'name="ヒアリング（電話）"')}
    assert save(client, draft_id, files, 1).get_json()["problems"] == []
    page = client.post(f"/process/drafts/{draft_id}/deploy", follow_redirects=True).get_data(as_text=True)
    assert "下書きをバージョン 1 としてデプロイしました。" in page
    with app.app_context():
        version = db.session.query(ProcessVersion).one()
        assert "ヒアリング（電話）" in version.sources[BPMN]
        assert db.session.get(ProcessDraft, draft_id).deployed_version_id == version.id
        actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
        assert actions == ["process_draft_started", "process_draft_saved", "process_deployed", "process_draft_deployed"]
    assert save(client, draft_id, files, 2).status_code == 409
    second, config = start(client)
    assert "ヒアリング（電話）" in config["files"][BPMN]  # the next draft starts from the newest version


def test_the_check_says_which_running_cases_could_move_to_the_draft_and_why_not(app, users, api_as):
    staff = api_as("staff")
    waiting = register(staff, "FY2025", ["TH"], "2025-07-01")
    task = open_task(staff, waiting["id"], "receipt_confirmation")
    assert complete(staff, task["id"], {"sealed_pdf_confirmed": True}).status_code == 200  # now at the hearing
    fresh = register(staff, "FY2025", ["TH"], "2025-07-01", company_name="東海精工株式会社")  # at the receipt
    client = login(app.test_client(), "designer")
    draft_id, config = start(client)
    files = {**config["files"], BPMN: config["files"][BPMN].replace('name="ヒアリング"', 'name="ヒアリング（電話）"')}
    assert save(client, draft_id, files, 1).status_code == 200

    page = client.get(f"/process/drafts/{draft_id}/check").get_data(as_text=True)
    assert "デプロイの検査に通ります。" in page
    assert "2 件中 1 件が下書きに移行できます。" in page
    rows = dict(re.findall(r'<tr data-case="([^"]+)">(.*?)</tr>', page, re.S))
    assert "移行できます" in rows[fresh["number"]] and "移行できません" not in rows[fresh["number"]]
    assert "ヒアリング（Hearing）にいますが、下書きでこの要素が変わっています（名前）。" in rows[waiting["number"]]
    diagram = json.loads(re.search(r'id="check-diagram-data">(.*?)</script>', page, re.S).group(1))
    assert diagram["marks"] == {"Hearing": "blocker"}


def test_the_check_of_a_draft_that_would_be_refused_places_the_problem_and_judges_no_case(app, users, api_as):
    register(api_as("staff"), "FY2025", ["TH"], "2025-07-01")
    client = login(app.test_client(), "designer")
    draft_id, config = start(client)
    files = {**config["files"], BPMN: config["files"][BPMN].replace('value="hearing"', 'value="hearing_v2"')}
    save(client, draft_id, files, 1)
    page = client.get(f"/process/drafts/{draft_id}/check").get_data(as_text=True)
    assert "hearing_v2" in page and "デプロイの検査に通るまで、移行できるかは判定できません。" in page
    diagram = json.loads(re.search(r'id="check-diagram-data">(.*?)</script>', page, re.S).group(1))
    assert diagram["marks"] == {"Hearing": "problem"}


def deployed_draft(client, replace: tuple[str, str]) -> int:
    draft_id, config = start(client)
    files = {**config["files"], BPMN: config["files"][BPMN].replace(*replace)}
    assert save(client, draft_id, files, 1).get_json()["problems"] == []
    assert client.post(f"/process/drafts/{draft_id}/deploy").status_code == 302
    return draft_id


def test_moving_cases_refuses_one_at_a_changed_task_and_moves_one_at_an_unchanged_task(app, users, api_as):
    staff = api_as("staff")
    waiting = register(staff, "FY2025", ["TH"], "2025-07-01")
    task = open_task(staff, waiting["id"], "receipt_confirmation")
    assert complete(staff, task["id"], {"sealed_pdf_confirmed": True}).status_code == 200  # at the hearing
    fresh = register(staff, "FY2025", ["TH"], "2025-07-01", company_name="東海精工株式会社")  # at the receipt
    client = login(app.test_client(), "designer")
    draft_id = deployed_draft(client, ('name="ヒアリング"', 'name="ヒアリング（電話）"'))

    page = client.post(f"/process/drafts/{draft_id}/move", data={"all": "1"}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "1 件を v2 に移行しました。" in text
    assert f"{waiting['number']} は移行していません：ヒアリング（Hearing）にいますが" in text
    rows = dict(re.findall(r'<tr data-case="([^"]+)">(.*?)</tr>', text, re.S))
    assert "このバージョンで実行中です" in rows[fresh["number"]]
    with app.app_context():
        versions = {row.case_id: row.process_version.version for row in db.session.query(ProcessInstance)}
        assert versions == {waiting["id"]: 1, fresh["id"]: 2}
        assert [e.case_id for e in db.session.query(AuditEvent).filter_by(action="case_migrated")] == [fresh["id"]]
    # the moved case goes on from its open task, on the new version
    task = open_task(staff, fresh["id"], "receipt_confirmation")
    assert complete(staff, task["id"], {"sealed_pdf_confirmed": True}).status_code == 200
    assert open_task(staff, fresh["id"], "hearing")["title"] == "ヒアリング（電話）"
    assert open_task(staff, waiting["id"], "hearing")["title"] == "ヒアリング"


def test_a_rollback_deploys_the_earlier_version_again_for_new_cases(app, users, api_as):
    staff = api_as("staff")
    register(staff, "FY2025", ["TH"], "2025-07-01")  # deploys v1 (the repository's diagram)
    client = login(app.test_client(), "designer")
    deployed_draft(client, ('name="ヒアリング"', 'name="ヒアリング（電話）"'))
    with app.app_context():
        first = db.session.query(ProcessVersion).filter_by(version=1).one().id
    page = client.post(f"/process/{first}/redeploy", follow_redirects=True).get_data(as_text=True)
    assert "v1 の内容をバージョン 3 として再デプロイしました。" in page
    case = register(staff, "FY2025", ["TH"], "2025-07-01", company_name="東海精工株式会社")
    task = open_task(staff, case["id"], "receipt_confirmation")
    assert complete(staff, task["id"], {"sealed_pdf_confirmed": True}).status_code == 200
    assert open_task(staff, case["id"], "hearing")["title"] == "ヒアリング"
    again = client.post(f"/process/{first}/redeploy", follow_redirects=True).get_data(as_text=True)
    assert "v1 は最新のバージョンと同じ内容です。" in again


def scenario_page(client, draft_id: int) -> str:
    """Starts the run and waits for its results on the check page (the run goes on in the background)."""
    assert client.post(f"/process/drafts/{draft_id}/scenarios").status_code == 302
    for _ in range(240):
        page = client.get(f"/process/drafts/{draft_id}/check").get_data(as_text=True)
        if "data-scenarios-running" not in page:
            return page
        time.sleep(0.5)
    raise AssertionError("the scenarios did not finish")


def test_the_acceptance_scenarios_run_on_the_draft_with_the_coverage_of_its_diagram(app, users, tmp_path):
    app.config["DRAFT_SCENARIO_PATHS"] = ["features/test_publicity.py"]  # a few scenarios, end to end
    app.config["SCENARIO_RUNS_DIR"] = str(tmp_path / "runs")
    client = login(app.test_client(), "designer")
    draft_id, config = start(client)
    first = client.get(f"/process/drafts/{draft_id}/check").get_data(as_text=True)
    assert "受け入れシナリオを実行（1分ほどかかります）" in first
    page = scenario_page(client, draft_id)
    summary = re.search(r"<p data-scenario-summary>(.*?)</p>", page).group(1)
    assert re.fullmatch(r"シナリオ 4 件：成功 4 件、失敗 0 件（\d+ 秒）", summary), summary
    coverage = re.search(r"<p data-coverage>(.*?)</p>", page).group(1)
    assert re.fullmatch(r"図の網羅：要素 \d+ / \d+（\d+%）、フロー \d+ / \d+（\d+%）", coverage), coverage
    marks = json.loads(re.search(r'id="check-diagram-data">(.*?)</script>', page, re.S).group(1))["marks"]
    assert marks["Publicity"] == marks["Flow_Done"] == "covered"
    assert marks["EndRejected"] == "uncovered"  # no publicity scenario rejects a case

    files = {**config["files"], BPMN: config["files"][BPMN].replace('value="publicity"/>', 'value="follow_up"/>', 1)}
    save(client, draft_id, files, 1)
    # the saved content has no run yet: the earlier results do not stand for it
    assert "data-scenario-summary" not in client.get(f"/process/drafts/{draft_id}/check").get_data(as_text=True)
    page = scenario_page(client, draft_id)
    assert "失敗 4 件" in page and page.count('data-outcome="failed"') == 4
    with app.app_context():
        assert db.session.query(ProcessVersion).count() == 0  # the run touched nothing here


def test_the_version_page_shows_what_changed_between_two_versions_on_both_diagrams(app, users, api_as):
    register(api_as("staff"), "FY2025", ["TH"], "2025-07-01")  # v1
    client = login(app.test_client(), "designer")
    deployed_draft(client, ('name="ヒアリング"', 'name="ヒアリング（電話）"'))  # v2
    with app.app_context():
        ids = {v.version: v.id for v in db.session.query(ProcessVersion)}
    index = client.get("/process/").get_data(as_text=True)
    assert f'/process/drafts/compare/{ids[1]}/{ids[2]}">v1 との違い' in index
    page = client.get(f"/process/drafts/compare/{ids[1]}/{ids[2]}").get_data(as_text=True)
    rows = re.findall(r'<tr data-change="([^"]+)" data-element="([^"]+)">(.*?)</tr>', page, re.S)
    assert [(kind, element) for kind, element, _ in rows] == [("changed", "Hearing")]
    assert "名前" in rows[0][2]
    new = json.loads(re.search(r'id="diagram-new-data">(.*?)</script>', page, re.S).group(1))
    assert new["marks"] == {"Hearing": "changed"} and "ヒアリング（電話）" in new["xml"]
    same = client.get(f"/process/drafts/compare/{ids[1]}/{ids[1]}").get_data(as_text=True)
    assert "実行する内容に違いはありません" in same


def test_of_two_saves_of_the_same_version_one_wins_even_when_both_passed_the_check(app, users):
    from sqlalchemy import update

    from webapp.designer.drafts import save_draft, start_draft
    from webapp.operations.errors import Conflict

    with app.app_context():
        designer = db.session.get(type(users["designer"]), users["designer"].id)
        draft = start_draft(designer)
        files = draft.sources
        # another request saved in between (its write is not seen by this one's loaded draft)
        table = ProcessDraft.__table__
        db.session.execute(update(table).where(table.c.id == draft.id).values(lock_version=2))
        assert draft.lock_version == 1
        with pytest.raises(Conflict):
            save_draft(draft, files, 1, designer)
