"""Process versions: a designer deploys an edited diagram; running cases keep theirs, new ones take the newest."""

from __future__ import annotations

from webapp.extensions import db
from webapp.models import ProcessInstance, ProcessVersion
from webapp.operations.process import repository_files

from .lifecycle import complete, open_task, register


def _deploy(app, tmp_path, files):
    paths = []
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return app.test_cli_runner().invoke(args=["deploy", *paths])


def test_running_cases_keep_their_version_and_new_cases_take_the_newest(app, api_as, tmp_path):
    staff = api_as("staff")
    first = register(staff, "FY2025", ["TH"], "2025-07-01")
    assert "v1" in app.test_cli_runner().invoke(args=["deploy"]).output  # same sources: unchanged

    files = repository_files()
    files["support_program.bpmn"] = files["support_program.bpmn"].replace(
        'name="ヒアリング"', 'name="ヒアリング（電話）"'
    )
    result = _deploy(app, tmp_path, files)
    assert result.exit_code == 0 and "deployed: trade_secret_support v2" in result.output

    second = register(staff, "FY2025", ["TH"], "2025-07-01")
    for case in (first, second):
        task = open_task(staff, case["id"], "receipt_confirmation")
        assert complete(staff, task["id"], {"sealed_pdf_confirmed": True}).status_code == 200
    assert open_task(staff, first["id"], "hearing")["title"] == "ヒアリング"
    assert open_task(staff, second["id"], "hearing")["title"] == "ヒアリング（電話）"
    with app.app_context():
        versions = {i.case_id: i.process_version.version for i in db.session.query(ProcessInstance).all()}
        assert versions == {first["id"]: 1, second["id"]: 2}
        assert db.session.query(ProcessVersion).count() == 2


def test_deploy_refuses_a_diagram_with_an_unknown_form_key_naming_the_element(app, tmp_path):
    files = repository_files()
    files["support_program.bpmn"] = files["support_program.bpmn"].replace(
        'name="formKey" value="hearing"', 'name="formKey" value="hearing_v2"'
    )
    result = _deploy(app, tmp_path, files)
    assert result.exit_code != 0
    assert "Hearing" in result.output and "hearing_v2" in result.output
    with app.app_context():
        assert db.session.query(ProcessVersion).count() == 0


def test_a_deploy_is_dated_by_the_apps_clock_like_everything_else(app):
    from datetime import UTC

    from tests.fixtures import DEMO_NOW

    result = app.test_cli_runner().invoke(args=["deploy"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        deployed_at = db.session.query(ProcessVersion).one().deployed_at
    stored_utc = deployed_at if deployed_at.tzinfo else deployed_at.replace(tzinfo=UTC)
    assert stored_utc == DEMO_NOW  # the app's clock (2025-07-01 10:00 JST), not the wall clock
