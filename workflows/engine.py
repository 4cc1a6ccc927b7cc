"""The engine adapter: the only module that imports SpiffWorkflow.

It parses and validates process definitions, serializes a version's spec once, starts and restores
instances, lists ready user tasks, completes them, fires due timers and hands back the messages the
diagram throws (emails and records for the application to act on).
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_FORMAT
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from .clock import clock

SERIALIZER_VERSION = SERIALIZER_FORMAT

BPMN_DIR = Path(__file__).parent / "bpmn"
DMN_DIR = Path(__file__).parent / "dmn"

# Lane names of the diagrams, mapped to the application's roles.
LANE_ROLES: dict[str, str] = {
    "JETRO 知的財産課": "staff",
    "JETRO 知的財産課（国別）": "staff",
    "現地専門家": "expert",
    "申請企業": "applicant",
}

_BPMN_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
_FORBIDDEN_CALLS = {
    "open", "exec", "eval", "compile", "getattr", "setattr", "delattr", "globals", "locals",
    "vars", "input", "breakpoint", "help", "memoryview",
}  # fmt: skip


_TIMER_TYPES = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}


class _ClockDatetime(dt.datetime):
    """Lets SpiffWorkflow's timers read the application clock instead of the wall clock."""

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> _ClockDatetime:  # type: ignore[override]
        instant = clock.now()
        if tz is not None:
            instant = instant.astimezone(tz)
        return cls.fromtimestamp(instant.timestamp(), instant.tzinfo)


spiff_timer.datetime = _ClockDatetime  # type: ignore[misc]


class ProcessDefinitionError(Exception):
    """A diagram that may not be deployed; `element` names the offending BPMN element."""

    def __init__(self, message: str, element: str | None = None, file: str | None = None):
        self.message, self.element, self.file = message, element, file
        where = " ".join(p for p in (f"[{file}]" if file else "", f"element '{element}'" if element else "") if p)
        super().__init__(f"{where}: {message}" if where else message)


class TaskNotReady(Exception):
    """The task is not (or no longer) ready to be completed."""


class ProcessRuntimeError(Exception):
    """A script, condition or decision failed while the engine ran."""

    def __init__(self, message: str, element: str | None = None):
        self.element = element
        super().__init__(message)


@dataclass(frozen=True)
class UserTaskInfo:
    """What the application needs to know about one ready user task."""

    id: str
    name: str  # the BPMN element id
    title: str
    role: str
    lane: str
    form_key: str
    stage: str
    instructions: str
    documentation: str
    data: dict[str, Any]
    country: str | None


@dataclass(frozen=True)
class ThrownMessage:
    name: str
    payload: Any


@dataclass
class Definition:
    """A parsed process version: the spec objects plus the JSON stored once per version."""

    process_id: str
    spec: Any
    subprocess_specs: dict[str, Any]
    spec_json: str
    user_tasks: dict[str, dict[str, str]] = field(default_factory=dict)


def _register_types(serializer: BpmnWorkflowSerializer) -> None:
    registry = serializer.registry
    registry.register(dt.date, lambda v: {"value": v.isoformat()}, lambda v: dt.date.fromisoformat(v["value"]))
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))


_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
_register_types(_serializer)


def _script_engine() -> PythonScriptEngine:
    safe_builtins = {
        name: getattr(__builtins__, name) if not isinstance(__builtins__, dict) else __builtins__[name]
        for name in ("len", "str", "int", "float", "bool", "dict", "list", "min", "max", "sum", "any",
                     "all", "sorted", "round", "abs", "range", "set", "tuple", "isinstance")
    }  # fmt: skip
    return PythonScriptEngine(environment=TaskDataEnvironment({"__builtins__": safe_builtins}))


# ---------------------------------------------------------------- validation


def _check_expression(text: str, element: str, file: str, mode: str) -> None:
    try:
        tree = ast.parse(text, mode=mode)
    except SyntaxError as exc:
        raise ProcessDefinitionError(f"invalid Python expression or script: {exc.msg}", element, file) from exc
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            raise ProcessDefinitionError("scripts may not import modules", element, file)
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
        if name and name.startswith("__"):
            raise ProcessDefinitionError(f"scripts may not use dunder names ({name})", element, file)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS:
            raise ProcessDefinitionError(f"scripts may not call {node.func.id}()", element, file)


def _owning_element(node: etree._Element) -> str:
    while node is not None:
        name = etree.QName(node).localname
        if node.get("id") and name not in ("conditionExpression", "script") and not name.endswith("EventDefinition"):
            return str(node.get("id"))
        node = node.getparent()
    return "?"


_SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
# Every element whose text the engine executes as Python, and how it is parsed.
_PYTHON_ELEMENTS = {
    f"{_BPMN}script": "exec",
    f"{_SPIFF}preScript": "exec",
    f"{_SPIFF}postScript": "exec",
    f"{_BPMN}conditionExpression": "eval",
    f"{_BPMN}timeDate": "eval",
    f"{_BPMN}timeDuration": "eval",
    f"{_BPMN}timeCycle": "eval",
    f"{_BPMN}loopCardinality": "eval",
    f"{_BPMN}completionCondition": "eval",
    f"{_SPIFF}messagePayload": "eval",
}
# DMN cells are expression fragments (" in (...)"), so they get a token check instead of a parse.
_UNSAFE_TOKENS = re.compile(r"__|\bimport\b|\b(" + "|".join(sorted(_FORBIDDEN_CALLS)) + r")\s*\(")


def _check_python_elements(tree: etree._ElementTree, file: str) -> None:
    for node in tree.iter(*_PYTHON_ELEMENTS):
        text = (node.text or "").strip()
        if text:
            _check_expression(text, _owning_element(node), file, _PYTHON_ELEMENTS[str(node.tag)])


def _validate_dmn(path: Path) -> None:
    tree = etree.parse(str(path))
    for node in tree.iter("{*}text"):
        match = _UNSAFE_TOKENS.search(node.text or "")
        if match:
            raise ProcessDefinitionError(
                f"decision cells may not use '{match.group(0)}'", _owning_element(node), path.name
            )


def _validate_document(path: Path, known_form_keys: Iterable[str]) -> dict[str, dict[str, str]]:
    """Checks what the XSD cannot: form keys, lanes, script safety. Returns user-task metadata."""
    file = path.name
    tree = etree.parse(str(path))
    keys = set(known_form_keys)
    _check_python_elements(tree, file)
    for lane in tree.iterfind(".//bpmn:lane", _BPMN_NS):
        if lane.get("name") not in LANE_ROLES:
            raise ProcessDefinitionError(
                f"lane name '{lane.get('name')}' is not mapped to a role (known: {', '.join(LANE_ROLES)})",
                lane.get("id"), file,
            )  # fmt: skip
    # The diagram's lanes, read here because SpiffWorkflow gives an embedded subprocess's children its lane.
    lane_of = {ref.text: lane.get("name") for lane in tree.iterfind(".//bpmn:lane", _BPMN_NS)
               for ref in lane.iterfind("bpmn:flowNodeRef", _BPMN_NS)}  # fmt: skip
    tasks: dict[str, dict[str, str]] = {}
    for task in tree.iterfind(".//bpmn:userTask", _BPMN_NS):
        props = {p.get("name"): p.get("value") for p in task.iter(f"{_SPIFF}property")}
        tid = str(task.get("id"))
        if not props.get("formKey"):
            raise ProcessDefinitionError("user task has no formKey property", tid, file)
        if props["formKey"] not in keys:
            raise ProcessDefinitionError(f"unknown form key '{props['formKey']}'", tid, file)
        if not props.get("stage"):
            raise ProcessDefinitionError("user task has no stage property", tid, file)
        if lane_of.get(tid) not in LANE_ROLES:
            raise ProcessDefinitionError("user task is not in a lane (put it in a lane of its pool)", tid, file)
        tasks[tid] = {
            "form_key": props["formKey"],
            "stage": props["stage"],
            "name": task.get("name") or tid,
            "lane": str(lane_of[tid]),
        }
    return tasks


def parse_definition(
    process_id: str,
    bpmn_files: Iterable[Path],
    dmn_files: Iterable[Path],
    known_form_keys: Iterable[str],
) -> Definition:
    """Parses with XSD validation and the house rules; refuses with the element named."""
    bpmn_files, dmn_files, keys = list(bpmn_files), list(dmn_files), list(known_form_keys)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    user_tasks: dict[str, dict[str, str]] = {}
    for path in bpmn_files:
        try:
            parser.add_bpmn_file(str(path))
        except ValidationException as exc:
            raise ProcessDefinitionError(_validation_message(exc), exc.id or None, path.name) from exc
        except etree.XMLSyntaxError as exc:
            raise ProcessDefinitionError(f"not well-formed XML: {exc}", None, path.name) from exc
        user_tasks.update(_validate_document(path, keys))
    for path in dmn_files:
        _validate_dmn(path)
    try:
        parser.add_dmn_files([str(p) for p in dmn_files])
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise ProcessDefinitionError(_validation_message(exc), exc.id or None, exc.file_name or None) from exc
    except SpiffWorkflowException as exc:
        raise ProcessDefinitionError(str(exc), None, None) from exc
    spec_json = json.dumps(
        {
            "spec": _serializer.registry.convert(spec),
            "subprocess_specs": {k: _serializer.registry.convert(v) for k, v in subprocess_specs.items()},
        },
        sort_keys=True,
    )
    return Definition(process_id, spec, subprocess_specs, spec_json, user_tasks)


def _validation_message(exc: ValidationException) -> str:
    text = str(exc).split("\n")[0]
    if exc.line_number:
        text += f" (line {exc.line_number})"
    return text


def load_definition(process_id: str, spec_json: str, user_tasks: Mapping[str, Mapping[str, str]]) -> Definition:
    raw = json.loads(spec_json)
    spec = _serializer.registry.restore(raw["spec"])
    subprocess_specs = {k: _serializer.registry.restore(v) for k, v in raw["subprocess_specs"].items()}
    return Definition(process_id, spec, subprocess_specs, spec_json, {k: dict(v) for k, v in user_tasks.items()})


def default_definition(known_form_keys: Iterable[str]) -> Definition:
    return parse_definition(
        "trade_secret_support", sorted(BPMN_DIR.glob("*.bpmn")), sorted(DMN_DIR.glob("*.dmn")), known_form_keys
    )


# ---------------------------------------------------------------- instances


class Instance:
    """One running process instance; wraps a BpmnWorkflow."""

    def __init__(self, definition: Definition, workflow: BpmnWorkflow):
        self.definition = definition
        self.workflow = workflow
        workflow.script_engine = _script_engine()

    @classmethod
    def start(cls, definition: Definition, data: Mapping[str, Any]) -> tuple[Instance, list[ThrownMessage]]:
        workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs)
        instance = cls(definition, workflow)
        start = workflow.get_next_task(state=TaskState.READY)
        if start is not None:
            start.data.update(dict(data))
        return instance, instance._run()

    @classmethod
    def restore(cls, definition: Definition, state_json: str) -> Instance:
        state = json.loads(state_json)
        state["spec"] = definition.spec  # spec objects are shared per version, not stored per instance
        state["subprocess_specs"] = definition.subprocess_specs
        workflow = _serializer.from_dict(state)
        return cls(definition, workflow)

    def dump(self) -> str:
        """The instance state as JSON, without the spec (stored once per version).

        Mirrors BpmnWorkflowSerializer.serialize_json (private attributes; SpiffWorkflow is pinned
        exactly) so that dates and Decimals in task data go through the registered converters.
        """
        registry = _serializer.registry
        registry._encoder_mode = True
        try:
            state = _serializer.to_dict(self.workflow)
            state.pop("spec", None)
            state.pop("subprocess_specs", None)
            return json.dumps(state, cls=_serializer._encoder_cls)
        finally:
            registry._encoder_mode = False

    # -- reading

    @property
    def completed(self) -> bool:
        return bool(self.workflow.completed)

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.workflow.data)

    def ready_user_tasks(self) -> list[UserTaskInfo]:
        return [self._info(t) for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)]

    def _info(self, task: Any) -> UserTaskInfo:
        spec = task.task_spec
        meta = self.definition.user_tasks.get(spec.name, {})
        props = spec.extensions.get("properties", {})
        lane = meta.get("lane") or spec.lane or ""
        return UserTaskInfo(
            id=str(task.id),
            name=spec.name,
            title=spec.bpmn_name or spec.name,
            role=LANE_ROLES.get(lane, "staff"),
            lane=lane,
            form_key=props.get("formKey", meta.get("form_key", "")),
            stage=props.get("stage", meta.get("stage", "")),
            instructions=spec.extensions.get("instructionsForEndUser", "") or "",
            documentation=getattr(spec, "documentation", None) or "",
            data=dict(task.data),
            country=task.data.get("country"),
        )

    def task(self, task_id: str) -> UserTaskInfo:
        task = self._ready_task(task_id)
        return self._info(task)

    def _ready_task(self, task_id: str) -> Any:
        try:
            task = self.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError):
            task = None
        if task is None or not task.task_spec.manual or task.state != TaskState.READY:
            raise TaskNotReady(task_id)
        return task

    def next_timer_due(self) -> dt.datetime | None:
        dues = []
        for event in self.workflow.waiting_events():
            if event.event_type in _TIMER_TYPES and isinstance(event.value, str):
                dues.append(spiff_timer.TimerEventDefinition.get_datetime(event.value))
        return min(dues) if dues else None

    def completed_element_ids(self) -> set[str]:
        return {t.task_spec.name for t in self._all_tasks() if t.state == TaskState.COMPLETED}

    def active_element_ids(self) -> set[str]:
        active = TaskState.READY | TaskState.WAITING | TaskState.STARTED
        return {t.task_spec.name for t in self._all_tasks() if t.state & active}

    def _all_tasks(self) -> list[Any]:
        tasks = list(self.workflow.get_tasks())
        for sub in self.workflow.subprocesses.values():
            tasks.extend(sub.get_tasks())
        return tasks

    # -- acting

    def complete(self, task_id: str, data: Mapping[str, Any]) -> list[ThrownMessage]:
        task = self._ready_task(task_id)
        task.set_data(**dict(data))
        self._guard(task.run)
        return self._run()

    def fire_due_timers(self) -> list[ThrownMessage]:
        self.workflow.refresh_timers()
        return self._run()

    def _run(self) -> list[ThrownMessage]:
        self._guard(self.workflow.do_engine_steps)
        messages = []
        for event in self.workflow.get_events():
            messages.append(ThrownMessage(event.event_definition.name, event.payload))
        return messages

    @staticmethod
    def _guard(action: Callable[[], Any]) -> None:
        try:
            action()
        except WorkflowException as exc:
            task = getattr(exc, "task", None)
            element = task.task_spec.name if task is not None else None
            raise ProcessRuntimeError(str(exc), element) from exc
