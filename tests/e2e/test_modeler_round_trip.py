"""Every diagram in workflows/ opens in the standard bpmn-js / dmn-js Modeler without a warning, and what the
modeler saves deploys (the deploy path with all its checks) and behaves the same: the same engine spec, and a
case run through the saved version ends exactly as on the repository's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.workflow.support import DEFAULT_NOW, Case, hearing_data
from webapp.operations.process import definition_for, deploy_files, parse_files, repository_files
from workflows.clock import clock
from workflows.editions import get_edition
from workflows.engine import BPMN_DIR, DMN_DIR, Definition, Instance

from .helpers import sign_in
from .modeler import round_trip, standard_modeler_page

pytestmark = pytest.mark.e2e

DIAGRAMS = sorted(BPMN_DIR.glob("*.bpmn")) + sorted(DMN_DIR.glob("*.dmn"))


@pytest.fixture(scope="module")
def saved_by_modeler(browser: Any) -> dict[str, tuple[list[str], str]]:
    page = standard_modeler_page(browser)
    try:
        return {path.name: round_trip(page, path) for path in DIAGRAMS}
    finally:
        page.close()


def test_the_repository_has_diagrams_of_both_kinds():
    assert {p.suffix for p in DIAGRAMS} == {".bpmn", ".dmn"}


@pytest.mark.parametrize("name", [p.name for p in DIAGRAMS])
def test_each_diagram_opens_without_a_warning_and_keeps_its_references(saved_by_modeler, name):
    warnings, saved = saved_by_modeler[name]
    assert warnings == []
    original = (BPMN_DIR if name.endswith(".bpmn") else DMN_DIR) / name
    for tag in ("loopDataInputRef", "loopDataOutputRef", "spiffworkflow:", "calledDecisionId", "conditionExpression"):
        assert saved.count(tag) == original.read_text(encoding="utf-8").count(tag), tag


def test_the_old_diagram_loses_its_collections_in_the_modeler(browser):
    """What this guards against: the multi-instance named collections bpmn-js could not resolve."""
    path = BPMN_DIR / "support_program.bpmn"
    text = path.read_text(encoding="utf-8").replace('<bpmn:property id="countries" name="countries"/>', "")
    page = standard_modeler_page(browser)
    try:
        warnings, saved = round_trip(page, path, text)
    finally:
        page.close()
    assert warnings == ["unresolved reference <countries>"] * 2  # both multi-instances read it
    assert "loopDataInputRef" not in saved


def _spec(definition: Definition) -> Any:
    """The engine's spec without the file paths it was parsed from (a deploy parses from a temporary folder)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (Path(v).name if k == "file" and v else strip(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(json.loads(definition.spec_json))


def _run_case(definition: Definition) -> tuple[Any, ...]:
    """A FY2025 case for two countries from receipt to completion, persisted between steps as the web app does."""
    edition = get_edition("FY2025")
    assert edition is not None
    clock.set(DEFAULT_NOW["FY2025"])
    data = {**edition.process_data(), "countries": ["CN", "TH"], "received_on": "2025-07-01", "company_name": "テスト"}
    instance, messages = Instance.start(definition, data)
    case = Case(definition, instance, list(messages))
    case.persist()
    case.complete("ConfirmReceipt")
    case.complete("Hearing", hearing_data(["CN", "TH"]))
    case.complete("DecideAdoption", {"decision": "adopt"})
    case.complete("SubmitForms", {"forms_submitted": True})
    for country in ("CN", "TH"):
        case.finish_country(country)
    case.complete("Publicity", {"publish": True})
    results = sorted(case.instance.data["country_results"], key=lambda r: r["country"])
    return case.instance.completed, sorted(case.instance.completed_element_ids()), results, case.thrown_names()


def test_what_the_modeler_saves_deploys_and_runs_a_case_as_the_repository_does(app, saved_by_modeler):
    saved = {name: xml for name, (_warnings, xml) in saved_by_modeler.items()}
    assert saved.keys() == repository_files().keys()
    with app.app_context():
        original, _ = deploy_files(repository_files(), None)
        edited, created = deploy_files(saved, None)
        assert created and edited.version == original.version + 1
        before, after = definition_for(original), definition_for(edited)
        assert _spec(after) == _spec(before)
        assert after.user_tasks == before.user_tasks
        outcome = _run_case(after)
        assert outcome == _run_case(before)
    completed, elements, results, thrown = outcome
    assert completed and "SupportCompleted" in elements
    assert results == [{"country": "CN", "closed_reason": "completed"}, {"country": "TH", "closed_reason": "completed"}]
    assert thrown[:3] == ["receipt_confirmation", "eligibility_assessed", "adoption_notice"]


def test_the_projects_editor_opens_every_diagram_without_a_warning_and_saves_the_same_process(page, live):
    """The editor adds SpiffWorkflow's extension elements to bpmn-js's model (for the properties panel): with it
    too nothing is reported, nothing is dropped, and the saved files parse to the same engine spec."""
    sign_in(page, live, "designer")
    page.goto(live("/process/"))
    page.get_by_role("button", name="新しい下書きを作成").click()
    page.wait_for_selector("#process-editor[data-ready=true]")
    for path in DIAGRAMS:
        page.get_by_role("tab", name=path.name, exact=True).click()
        pane = page.locator(f'[data-file-pane="{path.name}"]')
        page.wait_for_selector(f'[data-file-pane="{path.name}"][data-ready=true]')
        assert pane.get_attribute("data-import-warnings") == "0", path.name
    saved = page.evaluate("() => window.tssEditor.collect()")
    assert saved.keys() == repository_files().keys()
    for path in DIAGRAMS:
        assert saved[path.name] != path.read_text(encoding="utf-8")  # really written by the modeler
    with live.app.app_context():
        assert _spec(parse_files(saved)) == _spec(parse_files(repository_files()))
    assert page.js_errors == []
