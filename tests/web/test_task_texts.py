"""Task names and instructions as people read them: country names instead of codes, and English from the task
catalogue next to the diagram (workflows/bpmn/support_program.tasks.toml)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.fixtures import PASSWORD
from workflows.task_catalogue import BPMN_DIR, load_catalogue

from .lifecycle import PDF, adopt, complete, open_task, register


def signed_in(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def test_briefing_instructions_name_the_country_in_the_pages_language(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, case["id"])
    forms = open_task(staff, case["id"], "forms_submission")
    assert complete(staff, forms["id"], {"form1_file": PDF, "form2_file": PDF}).status_code == 200
    briefing = open_task(staff, case["id"], "expert_briefing", "CN")
    expert = signed_in(app, "expert_cn")
    page = expert.get(f"/tasks/{briefing['id']}").get_data(as_text=True)
    assert "中国の支援について" in page and "CN の支援" not in page
    english = expert.get(f"/tasks/{briefing['id']}?lang=en").get_data(as_text=True)
    assert "For the support in China, explain the service" in english
    assert '<h1 id="task-title">Explain the service and choose the requests</h1>' in english


def test_the_english_inbox_shows_the_catalogues_task_names(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01", company_name="株式会社みなと食品")
    client = signed_in(app, "staff")
    task = open_task(staff, case["id"], "receipt_confirmation")
    english = client.get("/inbox/?lang=en").get_data(as_text=True)
    assert re.search(rf'href="/tasks/{task["id"]}">Confirm receipt</a>', english)
    japanese = client.get("/inbox/?lang=ja").get_data(as_text=True)
    assert re.search(rf'href="/tasks/{task["id"]}">受領確認</a>', japanese)
    page = client.get(f"/tasks/{task['id']}?lang=en").get_data(as_text=True)
    assert "Check the sealed application form (PDF) of 株式会社みなと食品" in page


def test_every_user_task_of_the_diagram_has_its_english_in_the_catalogue():
    diagram = (BPMN_DIR / "support_program.bpmn").read_text(encoding="utf-8")
    user_tasks = re.findall(r'<bpmn:userTask id="([^"]+)"', diagram)
    catalogue = load_catalogue()
    missing = [
        i for i in user_tasks if not (catalogue.get(i) and catalogue[i].name_en and catalogue[i].instructions_en)
    ]
    assert user_tasks and not missing, missing
    assert Path(BPMN_DIR / "support_program.tasks.toml").exists()
