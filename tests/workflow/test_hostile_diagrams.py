"""A deployed diagram is code: escape attempts at every place the engine evaluates Python are refused at
deploy, and refused again at run time when a diagram reaches the engine without the deploy check."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.engine import Instance, ProcessDefinitionError, ProcessRuntimeError, parse_definition
from workflows.evaluator import EvaluationError, Refusal

from .hostile import DMN_PLACES, PLACES, PROCESS_ID, unchecked_definition, write

CANARY = "CANARY_PATH"

# family -> (expression payload, script payload); each would touch the canary file or exhaust the server.
FAMILIES = {
    "frames": ("(g for g in [1]).gi_frame.f_back.f_globals", "x = (g for g in [1]).gi_frame.f_back.f_builtins"),
    "string-format": ("'{0.__class__}'.format(1)", "x = '{a}'.format_map({'a': 1})"),
    "class-walk": ("().__class__.__base__.__subclasses__()", "x = [].__class__.__mro__"),
    "builtins": ("__builtins__['open']('CANARY_PATH', 'w')", "x = getattr(1, 'real')"),
    "open": ("open('CANARY_PATH', 'w')", "x = open('CANARY_PATH', 'w')"),
    "imports": ("__import__('os').system('touch CANARY_PATH')", "import os\nos.system('touch CANARY_PATH')"),
    "endless-loop": ("[1 for a in range(10**4) for b in range(10**4)]", "while True:\n    pass"),
    "memory-bomb": ("'x' * 10**10", "x = [0] * 10**9"),
}
GOOD = {
    "script": "done = 1", "pre-script": "before = 1", "post-script": "after = 1", "gateway-condition": "True",
    "timer-date": '"2000-01-01T00:00:00+00:00"', "timer-duration": '"PT0S"', "timer-cycle": '"R1/PT0S"',
    "loop-cardinality": "1", "completion-condition": "True", "loop-condition": "False", "conditional-event": "True",
    "message-payload": '{"a": 1}', "correlation": "1", "service-parameter": "1",
    "dmn-input-expression": "1", "dmn-input-entry": "1", "dmn-output-entry": '"ok"',
}  # fmt: skip
ALL_PLACES = [*PLACES, *DMN_PLACES]
EXEC_PLACES = {name for name, (mode, _) in PLACES.items() if mode == "exec"}


def run_through(definition) -> Instance:  # type: ignore[no-untyped-def]
    """Starts the process, fires due timers and completes manual tasks (post-scripts run on completion)."""
    instance, _ = Instance.start(definition, {})
    instance.fire_due_timers()
    for task in instance.ready_user_tasks():
        instance.complete(task.id, {})
    return instance


def payload(place: str, family: str, canary: Path) -> str:
    expression, script = FAMILIES[family]
    return (script if place in EXEC_PLACES else expression).replace(CANARY, str(canary))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("place", ALL_PLACES)
def test_refused_at_deploy_naming_the_element(tmp_path, place, family):
    canary = tmp_path / "canary"
    bpmn_files, dmn_files = write(tmp_path, place, payload(place, family, canary))

    with pytest.raises(ProcessDefinitionError) as info:
        parse_definition(PROCESS_ID, bpmn_files, dmn_files, [])

    assert info.value.code == "python", info.value
    assert isinstance(info.value.cause, Refusal)
    assert info.value.element in ("Act", "F2", "Msg", "In", "R1_In", "R1_Out"), info.value
    assert not canary.exists()


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("place", ALL_PLACES)
def test_refused_at_run_time_when_the_deploy_check_was_bypassed(tmp_path, place, family):
    canary = tmp_path / "canary"
    definition = unchecked_definition(*write(tmp_path, place, payload(place, family, canary)))

    with pytest.raises(ProcessRuntimeError) as info:
        run_through(definition)

    assert isinstance(info.value.cause, Refusal | EvaluationError), info.value
    assert not canary.exists()


@pytest.mark.parametrize("place", ALL_PLACES)
def test_a_good_diagram_still_deploys_and_runs(tmp_path, place):
    bpmn_files, dmn_files = write(tmp_path, place, GOOD[place])
    definition = parse_definition(PROCESS_ID, bpmn_files, dmn_files, [])

    if place == "service-parameter":  # the application offers no services: a clear refusal when reached
        with pytest.raises(ProcessRuntimeError) as info:
            Instance.start(definition, {})
        assert isinstance(info.value.cause, EvaluationError) and info.value.cause.code == "no_services"
        return
    instance = run_through(definition)
    assert instance.completed or place in ("timer-cycle", "correlation")  # the catch event waits for its message


def test_a_runaway_script_is_stopped_and_the_next_one_runs(tmp_path):
    definition = unchecked_definition(*write(tmp_path, "script", "while True:\n    pass"))
    with pytest.raises(ProcessRuntimeError) as info:
        Instance.start(definition, {})
    assert isinstance(info.value.cause, EvaluationError) and info.value.cause.code == "timeout"

    good = unchecked_definition(*write(tmp_path, "script", "done = 1"))
    instance, _ = Instance.start(good, {})
    assert instance.completed and instance.data["done"] == 1


def test_a_loop_without_a_maximum_is_refused(tmp_path):
    bpmn_files, dmn_files = write(tmp_path, "loop-condition", "True")
    bpmn_files[0].write_text(bpmn_files[0].read_text().replace(' loopMaximum="3"', ""))
    with pytest.raises(ProcessDefinitionError) as info:
        parse_definition(PROCESS_ID, bpmn_files, dmn_files, [])
    assert info.value.code == "unbounded_loop" and info.value.element == "Act"


def test_an_endless_loop_that_bypassed_the_deploy_check_is_stopped(tmp_path):
    bpmn_files, dmn_files = write(tmp_path, "loop-condition", "True")
    bpmn_files[0].write_text(bpmn_files[0].read_text().replace(' loopMaximum="3"', ""))
    bpmn_files[0].write_text(bpmn_files[0].read_text().replace("done = True", "pass"))
    with pytest.raises(ProcessRuntimeError) as info:
        run_through(unchecked_definition(bpmn_files, dmn_files))
    assert isinstance(info.value.cause, EvaluationError) and info.value.cause.code == "steps"
