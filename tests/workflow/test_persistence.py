"""Serialized instance state excludes the spec; the spec JSON is stored once per Definition."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from workflows.editions import get_edition
from workflows.engine import Instance, load_definition, parse_definition

from .support import BPMN_FILE, DMN_FILES, FORM_KEYS, PROCESS_ID, hearing_data


def test_dump_excludes_the_spec_and_restore_resumes(start_case, definition):
    case = start_case("FY2025", ["CN", "TH"])
    case.adopt()
    case.complete("SubmitForms")

    state = json.loads(case.instance.dump())
    assert "spec" not in state
    assert "subprocess_specs" not in state
    assert "tasks" in state and state["tasks"]

    before = {(t.id, t.name, t.country, t.data["country"]) for t in case.instance.ready_user_tasks()}
    restored = Instance.restore(definition, case.instance.dump())
    after = {(t.id, t.name, t.country, t.data["country"]) for t in restored.ready_user_tasks()}
    assert after == before
    assert restored.next_timer_due() == case.instance.next_timer_due()

    briefing = next(t for t in restored.ready_user_tasks() if t.country == "TH")
    restored.complete(briefing.id, {"requested_hours": 12})
    assert {(t.name, t.country) for t in restored.ready_user_tasks()} == {
        ("ExpertBriefing", "CN"),
        ("ConfirmPlan", "TH"),
    }


def test_dump_is_much_smaller_than_the_spec(start_case, definition):
    case = start_case("FY2025", ["CN"])
    case.complete("ConfirmReceipt")
    assert len(case.instance.dump()) < len(definition.spec_json)


def test_restoring_twice_gives_the_same_state(start_case, definition):
    case = start_case("FY2021", ["SG"])
    case.screen(prior_use_hours=3)
    once = case.instance.dump()
    twice = Instance.restore(definition, Instance.restore(definition, once).dump()).dump()
    assert json.loads(twice) == json.loads(once)


def test_spec_json_is_stable_per_definition(definition):
    again = parse_definition(PROCESS_ID, [BPMN_FILE], DMN_FILES, FORM_KEYS)
    assert again.spec_json == definition.spec_json
    raw = json.loads(definition.spec_json)
    assert set(raw) == {"spec", "subprocess_specs"}
    assert "country_support" in raw["subprocess_specs"]


def test_definition_loaded_from_spec_json_runs_stored_instances(start_case, definition):
    case = start_case("FY2025", ["VN"])
    case.adopt()
    state = case.instance.dump()

    loaded = load_definition(PROCESS_ID, definition.spec_json, definition.user_tasks)
    assert loaded.spec_json == definition.spec_json

    instance = Instance.restore(loaded, state)
    [forms] = instance.ready_user_tasks()
    assert (forms.name, forms.role, forms.form_key) == ("SubmitForms", "applicant", "forms_submission")
    instance.complete(forms.id, {})
    for step in ("ExpertBriefing", "ConfirmPlan", "DeliverService", "FollowUp", "Publicity"):
        [task] = instance.ready_user_tasks()
        assert task.name == step
        instance = Instance.restore(loaded, instance.dump())
        instance.complete(task.id, {})
    assert instance.completed
    assert instance.data["country_results"] == [{"country": "VN", "closed_reason": "completed"}]


def test_fresh_start_from_a_loaded_definition(definition):
    loaded = load_definition(PROCESS_ID, definition.spec_json, definition.user_tasks)
    edition = get_edition("FY2025")
    instance, messages = Instance.start(
        loaded, {**edition.process_data(), "countries": ["CN"], "received_on": "2025-07-01"}
    )
    assert messages == []
    assert [t.name for t in instance.ready_user_tasks()] == ["ConfirmReceipt"]


def test_date_and_decimal_task_data_survive_dump_and_restore(start_case, definition):
    case = start_case("FY2025", ["CN"])
    case.complete("ConfirmReceipt")
    task = case.task("Hearing")
    case.instance.complete(
        task.id, {**hearing_data(["CN"]), "hearing_date": dt.date(2025, 7, 3), "prior_use_hours": Decimal("19.75")}
    )

    restored = Instance.restore(definition, case.instance.dump())

    [decide] = restored.ready_user_tasks()
    assert decide.data["hearing_date"] == dt.date(2025, 7, 3)
    assert decide.data["prior_use_hours"] == Decimal("19.75")
