"""A deployed diagram is code: every deploy path refuses what may not run, in Japanese, storing nothing; a
diagram that reached the database another way is stopped at run time, leaves the case where it was, and
its script never holds SQLite's write lock."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest
from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from tests.fixtures import PASSWORD
from webapp.extensions import db
from webapp.models import Case, ProcessVersion
from webapp.operations.process import MAIN_PROCESS, known_form_keys, repository_files
from workflows import engine

from .lifecycle import HEARING_OK, complete, open_task, register

HOSTILE_CONDITION = "eligible and (g for g in [1]).gi_frame is None"
SCRIPT = "eligible = len(ineligible_reasons) == 0</bpmn:script>"


def login(client, username):
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def upload(client, name: str, text: str):
    return client.post(
        "/process/deploy",
        data={"files": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def bpmn(*replacements: tuple[str, str]) -> str:
    text = repository_files()["support_program.bpmn"]
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text


def versions(app) -> int:
    with app.app_context():
        return db.session.query(ProcessVersion).count()


REFUSALS = {
    "escape-in-condition": (
        ("support_program.bpmn", bpmn(('>decision == "adopt"</bpmn:conditionExpression>', f">{HOSTILE_CONDITION}</bpmn:conditionExpression>"))),
        ["Flow_Adopted", "属性・メソッド「gi_frame」は使えません"],
    ),
    "upper-case-extension": (
        ("evil.BPMN", bpmn((SCRIPT, "import os</bpmn:script>"))),
        ["evil.bpmn"],  # validated like any .bpmn (here: it repeats the main process id)
    ),
    "reserved-start-id": (
        ("support_program.bpmn", re.sub(r"\bApplicationReceived\b", "Start", bpmn())),
        ["予約ID", "Start"],
    ),
    "not-executable": (
        ("support_program.bpmn", bpmn(('id="country_support" name="国別支援" isExecutable="true"', 'id="country_support" name="国別支援" isExecutable="false"'))),
        ["実行可能", "country_support"],
    ),
    "no-diagram-interchange": (
        ("support_program.bpmn", re.sub(r"<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>", "", bpmn(), flags=re.S)),
        ["BPMNDiagram"],
    ),
    "wrong-file-type": (("notes.txt", "hello"), [".bpmn または .dmn"]),
}  # fmt: skip


@pytest.mark.parametrize("case", REFUSALS)
def test_the_designer_page_refuses_in_japanese_and_stores_nothing(app, users, case):
    (name, text), expected = REFUSALS[case]
    client = login(app.test_client(), "designer")
    page = upload(client, name, text).get_data(as_text=True)
    assert "デプロイできません" in page or ".bpmn または .dmn" in page
    for fragment in expected:
        assert fragment in page, (fragment, re.findall(r"デプロイできません[^<]*", page))
    assert versions(app) == 0


def test_an_upper_case_extension_is_validated_then_stored_under_its_normal_name(app, users):
    client = login(app.test_client(), "designer")
    page = upload(client, "support_program.BPMN", bpmn()).get_data(as_text=True)
    assert "をデプロイしました" in page or "同じため" in page
    with app.app_context():
        version = db.session.query(ProcessVersion).one()
        assert sorted(version.sources) == sorted(repository_files())  # each file under its normal name


def test_the_cli_refuses_a_hostile_diagram_in_japanese(app, tmp_path):
    files = repository_files()
    files["support_program.bpmn"] = bpmn((SCRIPT, "x = ().__class__.__base__</bpmn:script>"))
    paths = []
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(str(tmp_path / name))
    result = app.test_cli_runner().invoke(args=["deploy", *paths])
    assert result.exit_code != 0
    assert "SummarizeEligibility" in result.output and "「__base__」は使えません" in result.output
    assert versions(app) == 0


def _insert_unchecked_version(app, tmp_path: Path, bpmn_text: str) -> None:
    """Writes a version straight into the database, as a restored backup or a manual edit could."""
    sources = {**repository_files(), "support_program.bpmn": bpmn_text}
    for name, text in sources.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    parser = SpiffBpmnParser()
    parser.add_bpmn_files([str(tmp_path / "support_program.bpmn")])
    parser.add_dmn_files([str(p) for p in tmp_path.glob("*.dmn")])
    spec, subprocesses = parser.get_spec(MAIN_PROCESS), parser.get_subprocess_specs(MAIN_PROCESS)
    convert = engine._serializer.registry.convert
    spec_json = json.dumps(
        {"spec": convert(spec), "subprocess_specs": {k: convert(v) for k, v in subprocesses.items()}}
    )
    good = engine.default_definition(known_form_keys())
    with app.app_context():
        db.session.add(
            ProcessVersion(
                process_id=MAIN_PROCESS, version=1, source_hash=uuid.uuid4().hex, sources_json=json.dumps(sources),
                spec_json=spec_json, user_tasks_json=json.dumps(good.user_tasks),
            )
        )  # fmt: skip
        db.session.commit()


def test_a_runaway_script_is_stopped_without_holding_the_write_lock(app, api_as, tmp_path):
    _insert_unchecked_version(app, tmp_path, bpmn((SCRIPT, "eligible = True\nwhile True:\n    pass</bpmn:script>")))
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    receipt = open_task(staff, case["id"], "receipt_confirmation")
    assert complete(staff, receipt["id"], {"sealed_pdf_confirmed": True}).status_code == 200
    hearing = open_task(staff, case["id"], "hearing")

    result = {}
    worker = threading.Thread(target=lambda: result.update(response=complete(staff, hearing["id"], HEARING_OK)))
    worker.start()
    time.sleep(0.8)  # the script is running (it is stopped after 2 s)
    other = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"), timeout=0.3)
    other.isolation_level = None
    other.execute("BEGIN IMMEDIATE")  # raises "database is locked" if the completion held the write lock
    other.execute("ROLLBACK")
    other.close()
    worker.join()

    response = result["response"]
    assert response.status_code == 422, response.get_json()
    message = response.get_json()["error"]
    assert "SummarizeEligibility" in message and "実行時間が上限" in message and "案件は元のまま" in message
    assert open_task(staff, case["id"], "hearing")["id"] == hearing["id"]  # still open, nothing recorded


def test_an_escape_that_bypassed_deploy_is_refused_when_the_case_reaches_it(app, api_as, tmp_path):
    canary = tmp_path / "canary"
    script = f"x = '{{0.__class__}}'.format(1)\nopen('{canary}', 'w')</bpmn:script>"
    _insert_unchecked_version(app, tmp_path, bpmn((SCRIPT, script)))
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    receipt = open_task(staff, case["id"], "receipt_confirmation")
    assert complete(staff, receipt["id"], {"sealed_pdf_confirmed": True}).status_code == 200
    hearing = open_task(staff, case["id"], "hearing")

    response = complete(staff, hearing["id"], HEARING_OK)

    assert response.status_code == 422
    assert (
        "SummarizeEligibility" in response.get_json()["error"]
        and "「format」は使えません" in response.get_json()["error"]
    )
    assert not canary.exists()
    assert open_task(staff, case["id"], "hearing")["id"] == hearing["id"]


def test_a_failing_script_at_the_start_refuses_the_registration_without_a_case(app, api_as, tmp_path):
    pre_script = "<spiffworkflow:preScript>x = [].__class__</spiffworkflow:preScript>"
    first_task = '<bpmn:userTask id="ConfirmReceipt" name="受領確認">\n      <bpmn:extensionElements>'
    _insert_unchecked_version(app, tmp_path, bpmn((first_task, first_task + pre_script)))
    staff = api_as("staff")

    with pytest.raises(AssertionError) as info:
        register(staff, "FY2025", ["CN"], "2025-07-01")
    assert "ConfirmReceipt" in str(info.value) and "「__class__」は使えません" in str(info.value)
    with app.app_context():
        assert db.session.query(Case).count() == 0
