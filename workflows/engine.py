"""The engine adapter: the only module that imports SpiffWorkflow.

It parses and validates process definitions, serializes a version's spec once, starts and restores
instances, lists ready user tasks, completes them, fires due timers and hands back the messages the
diagram throws (emails and records for the application to act on).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_FORMAT
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from . import evaluator
from .clock import clock
from .evaluator import EvaluationError, Mode, Refusal
from .sandbox import runner

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
# A standard loop must say how often it may run at most: the engine would otherwise loop in the request.
MAX_LOOP_ITERATIONS = 100
# Expressions and scripts one engine run may evaluate: the last guard against a diagram looping without end.
MAX_EVALUATIONS_PER_RUN = 5_000
_evaluations: contextvars.ContextVar[list[int]] = contextvars.ContextVar("evaluations")

# Ids SpiffWorkflow uses for its own task specs: a diagram element with one of them breaks the process.
_RESERVED_IDS = {"Start", "End"}


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
    """A diagram that may not be deployed; `element` names the offending BPMN element.

    `code` says which rule was broken (the web app words it in the user's language) and `cause` holds the
    evaluator's Refusal when the diagram's Python was refused."""

    def __init__(
        self,
        message: str,
        element: str | None = None,
        file: str | None = None,
        *,
        code: str = "invalid",
        cause: Refusal | None = None,
        detail: str = "",
    ):
        self.message, self.element, self.file, self.code, self.cause = message, element, file, code, cause
        self.detail = detail  # what was found (a lane name, a form key), for the web app's wording
        where = " ".join(p for p in (f"[{file}]" if file else "", f"element '{element}'" if element else "") if p)
        super().__init__(f"{where}: {message}" if where else message)


class TaskNotReady(Exception):
    """The task is not (or no longer) ready to be completed."""


class InstanceFinished(Exception):
    """The instance has already ended (completed or cancelled): it cannot be cancelled again."""


class ProcessRuntimeError(Exception):
    """A script, condition or decision failed while the engine ran; `cause` is the evaluator's refusal or
    error when it was one."""

    def __init__(self, message: str, element: str | None = None, cause: Exception | None = None):
        self.element, self.cause = element, cause
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
    decides: str = ""  # the program decision this task makes (the `decides` property), e.g. "adoption"


@dataclass(frozen=True)
class ShiftedTimer:
    """A pending timer moved by Instance.shift_timers: its element and its due instant before and after."""

    element: str
    before: dt.datetime
    after: dt.datetime


@dataclass(frozen=True)
class ReadyChanges:
    """The ready user tasks now, and how they differ from those of the stored state."""

    ready: list[UserTaskInfo]
    new: list[UserTaskInfo]  # ready now, not before
    completed: list[str]  # ids completed through Instance.complete
    gone: list[str]  # ids ready before, no longer ready, not completed here (e.g. a timer cancelled them)


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


class _StateConverter(BpmnWorkflowConverter):
    """BpmnWorkflowConverter without the specs: they are stored once per version (Definition.spec_json), so
    an instance's dump does not convert them only to throw them away. Restoring is SpiffWorkflow's own
    from_dict, given the version's spec objects."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, BpmnWorkflow: _StateConverter}))
_register_types(_serializer)


def plain_serializer() -> BpmnWorkflowSerializer:
    """SpiffWorkflow's serializer as configured out of the box (serialize_json embeds the spec), with the same
    data types registered; the benchmark's floor uses it."""
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    _register_types(serializer)
    return serializer


class DiagramEnvironment(BasePythonScriptEngineEnvironment):
    """Every expression and script SpiffWorkflow evaluates comes here: expressions run in the restricted
    evaluator in this process (bounded by its budget), scripts in the sandbox worker (time and memory limits)."""

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        _count_evaluation()
        return evaluator.evaluate(expression, context, external_context)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        _count_evaluation()
        external = external_context or {}
        result = runner.run(script, {**external, **context})
        context.clear()
        context.update({k: v for k, v in result.items() if k not in external})
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise EvaluationError("no_services")


def _count_evaluation() -> None:
    counter = _evaluations.get(None)
    if counter is not None:
        counter[0] += 1
        if counter[0] > MAX_EVALUATIONS_PER_RUN:
            raise EvaluationError("steps", f"{MAX_EVALUATIONS_PER_RUN} evaluations")


class _DiagramScriptEngine(PythonScriptEngine):
    def call_service(self, task: Any, **kwargs: Any) -> Any:
        # SpiffWorkflow 3.2's own call_service fails with a NameError when the service raises
        try:
            return self.environment.call_service(task.data, **kwargs)
        except EvaluationError as exc:
            raise WorkflowTaskException(str(exc), task=task, exception=exc) from exc


_script_engine = _DiagramScriptEngine(environment=DiagramEnvironment())


# ---------------------------------------------------------------- validation


def _owning_element(node: etree._Element) -> str:
    while node is not None:
        name = etree.QName(node).localname
        if node.get("id") and name not in ("conditionExpression", "script") and not name.endswith("EventDefinition"):
            return str(node.get("id"))
        node = node.getparent()
    return "?"


_SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
_FLOW_NODES = (
    "task", "userTask", "scriptTask", "serviceTask", "businessRuleTask", "manualTask", "sendTask", "receiveTask",
    "callActivity", "subProcess", "startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent",
    "boundaryEvent", "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
)  # fmt: skip


def _check_source(source: str | None, mode: Mode, element: str, file: str | None) -> None:
    if source is None or not str(source).strip():
        return
    try:
        evaluator.check(str(source), mode)
    except Refusal as exc:
        raise ProcessDefinitionError(str(exc), element, file, code="python", cause=exc) from None


def _check_document_rules(tree: etree._ElementTree, file: str) -> None:
    """What makes a diagram runnable and editable: executable processes, no reserved ids, diagram interchange."""
    for process in tree.iterfind(".//bpmn:process", _BPMN_NS):
        if process.get("isExecutable") != "true":
            raise ProcessDefinitionError("process is not executable", process.get("id"), file, code="not_executable")
    process_ids = {p.get("id") for p in tree.iterfind(".//bpmn:process", _BPMN_NS)}
    for node in tree.iter():
        node_id = node.get("id") if isinstance(node.tag, str) else None
        if node_id and (node_id in _RESERVED_IDS or any(node_id == f"{pid}.EndJoin" for pid in process_ids)):
            raise ProcessDefinitionError(f"the id '{node_id}' is reserved", node_id, file, code="reserved_id")
    for loop in tree.iter(f"{_BPMN}standardLoopCharacteristics"):
        maximum = loop.get("loopMaximum", "")
        if not maximum.isdigit() or not 0 < int(maximum) <= MAX_LOOP_ITERATIONS:
            raise ProcessDefinitionError(
                f"a loop needs loopMaximum between 1 and {MAX_LOOP_ITERATIONS}", _owning_element(loop), file,
                code="unbounded_loop",
            )  # fmt: skip
    _check_loop_references(tree, file)
    shapes = {n.get("bpmnElement") for n in tree.iter(f"{_BPMNDI}BPMNShape", f"{_BPMNDI}BPMNEdge")}
    if not shapes:
        raise ProcessDefinitionError("no diagram interchange (BPMNDiagram)", None, file, code="no_diagram")
    for tag in (*_FLOW_NODES, "sequenceFlow"):
        for node in tree.iter(f"{_BPMN}{tag}"):
            if node.get("id") not in shapes:
                raise ProcessDefinitionError(
                    "element has no shape in the diagram", node.get("id"), file, code="no_shape"
                )


# What a multi-instance's loopDataInputRef/loopDataOutputRef may refer to: BPMN makes them references to an
# item-aware element, so the standard modeler (bpmn-js) reports any other name as unresolved and drops it on save.
_ITEM_AWARE = ("property", "dataObject", "dataInput", "dataOutput")


def _check_loop_references(tree: etree._ElementTree, file: str) -> None:
    """Each collection a multi-instance reads or fills is declared under that id, e.g. as a process property
    <bpmn:property id="countries" name="countries"/>, which the engine does not otherwise read (it takes the
    collection from the task data by the reference's text)."""
    declared = {n.get("id") for tag in _ITEM_AWARE for n in tree.iter(f"{_BPMN}{tag}")}
    for tag in ("loopDataInputRef", "loopDataOutputRef"):
        for ref in tree.iter(f"{_BPMN}{tag}"):
            name = (ref.text or "").strip()
            if name not in declared:
                raise ProcessDefinitionError(
                    f"{tag} '{name}' is not declared (e.g. as a process property with that id)", _owning_element(ref),
                    file, code="undeclared_collection", detail=name,
                )  # fmt: skip


def _evaluated_places(spec: Any, ids: Mapping[Any, str]) -> Iterator[tuple[str, str, Mode]]:
    """Every (element, source, mode) the engine will evaluate in a parsed process, read from the spec objects
    SpiffWorkflow runs (not from the XML), so nothing it evaluates escapes the deploy check. `ids` names the
    elements the spec does not keep: sequence flows by (source, target), messages by name."""
    completion = getattr(spec, "completion_condition", None)
    if completion:
        yield spec.name, completion, "eval"
    for task_spec in spec.task_specs.values():
        element = getattr(task_spec, "bpmn_id", None) or task_spec.name
        for attr in ("script", "prescript", "postscript"):
            if getattr(task_spec, attr, None):
                yield element, getattr(task_spec, attr), "exec"
        for attr in ("cardinality", "condition"):
            value = getattr(task_spec, attr, None)
            if isinstance(value, str):
                yield element, value, "eval"
        for condition, target in getattr(task_spec, "cond_task_specs", None) or []:
            if condition is not None:
                yield ids.get((element, target), element), condition.args[0], "eval"
        for param in (getattr(task_spec, "operation_params", None) or {}).values():
            yield element, str(param.get("value") if isinstance(param, dict) else param), "eval"
        if getattr(task_spec, "event_definition", None) is not None:
            for owner, source in _event_sources(task_spec.event_definition, ids):
                yield owner or element, source, "eval"
        engine = getattr(task_spec, "dmnEngine", None)
        if engine is not None:
            for cell, source in _decision_sources(engine.decision_table):
                yield cell or element, source, "eval"


def _event_sources(definition: Any, ids: Mapping[Any, str]) -> Iterator[tuple[str | None, str]]:
    owner = ids.get(("message", getattr(definition, "name", None)))
    if getattr(definition, "expression", None):
        yield owner, definition.expression
    for prop in [*(getattr(definition, "correlation_properties", None) or []),
                 *(getattr(definition, "process_correlations", None) or [])]:  # fmt: skip
        if getattr(prop, "retrieval_expression", None):
            yield owner, prop.retrieval_expression
    for inner in getattr(definition, "event_definitions", None) or []:
        yield from _event_sources(inner, ids)


_DMN_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def _decision_sources(table: Any) -> Iterator[tuple[str | None, str]]:
    """The expressions SpiffWorkflow's DMNEngine builds from a table's cells (see DMNEngine.evaluate)."""
    for item in table.inputs:
        if item.expression:
            yield item.id, item.expression
    for rule in table.rules:
        for entry in rule.inputEntries:
            input_expr = entry.input.expression or "None"
            for lhs in entry.lhs:
                if lhs:
                    yield entry.id, _decision_match(input_expr, lhs)
        for output in rule.outputEntries:
            if output.text:
                yield output.id, output.text


def _decision_match(input_expr: str, cell: str) -> str:
    match_expr = _DMN_QUESTION_MARK.sub("dmninputexpr", cell)
    if "dmninputexpr" in match_expr:
        return match_expr
    try:
        compile(match_expr, "<cell>", "eval", flags=0x400, dont_inherit=True)  # PyCF_ONLY_AST: parse only
    except SyntaxError:
        return input_expr + match_expr
    return f"({input_expr}) == ({match_expr})"


def _validate_document(
    tree: etree._ElementTree, file: str, known_form_keys: Iterable[str]
) -> dict[str, dict[str, str]]:
    """Checks what the XSD cannot: form keys, lanes, diagram rules. Returns user-task metadata."""
    keys = set(known_form_keys)
    _check_document_rules(tree, file)
    for lane in tree.iterfind(".//bpmn:lane", _BPMN_NS):
        if lane.get("name") not in LANE_ROLES:
            raise ProcessDefinitionError(
                f"lane name '{lane.get('name')}' is not mapped to a role (known: {', '.join(LANE_ROLES)})",
                lane.get("id"), file, code="unmapped_lane", detail=str(lane.get("name")),
            )  # fmt: skip
    # The diagram's lanes, read here because SpiffWorkflow gives an embedded subprocess's children its lane.
    lane_of = {ref.text: lane.get("name") for lane in tree.iterfind(".//bpmn:lane", _BPMN_NS)
               for ref in lane.iterfind("bpmn:flowNodeRef", _BPMN_NS)}  # fmt: skip
    tasks: dict[str, dict[str, str]] = {}
    deciders: dict[str, str] = {}
    for task in tree.iterfind(".//bpmn:userTask", _BPMN_NS):
        props = {p.get("name"): p.get("value") for p in task.iter(f"{_SPIFF}property")}
        tid = str(task.get("id"))
        if not props.get("formKey"):
            raise ProcessDefinitionError("user task has no formKey property", tid, file, code="no_form_key")
        if props["formKey"] not in keys:
            raise ProcessDefinitionError(
                f"unknown form key '{props['formKey']}'", tid, file, code="unknown_form_key", detail=props["formKey"]
            )
        if not props.get("stage"):
            raise ProcessDefinitionError("user task has no stage property", tid, file, code="no_stage")
        if lane_of.get(tid) not in LANE_ROLES:
            raise ProcessDefinitionError(
                "user task is not in a lane (put it in a lane of its pool)", tid, file, code="no_lane"
            )
        decides = props.get("decides") or ""
        _check_decision(decides, props["formKey"], tid, file, deciders)
        tasks[tid] = {
            "form_key": props["formKey"],
            "stage": props["stage"],
            "name": task.get("name") or tid,
            "lane": str(lane_of[tid]),
            "decides": decides,
        }
    return tasks


# Decisions of the program a user task may be marked as making (`decides` property), with the form that
# records each: the application applies its rules (order of receipt, planned number) to that task only.
PROGRAM_DECISIONS = {"adoption": "adoption_decision"}


def _check_decision(decides: str, form_key: str, tid: str, file: str, deciders: dict[str, str]) -> None:
    if not decides:
        return
    if PROGRAM_DECISIONS.get(decides) != form_key:
        raise ProcessDefinitionError(
            f"decides='{decides}' needs one of {PROGRAM_DECISIONS} with its form key", tid, file,
            code="unknown_decision", detail=decides,
        )  # fmt: skip
    if decides in deciders:
        raise ProcessDefinitionError(
            f"two user tasks decide '{decides}' ({deciders[decides]}, {tid})", tid, file,
            code="duplicate_decision", detail=decides,
        )  # fmt: skip
    deciders[decides] = tid


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
    ids: dict[Any, str] = {}
    for path in bpmn_files:
        try:
            tree = etree.parse(str(path))  # parsed once: for the engine's parser and for the house rules
            parser.add_bpmn_xml(tree, str(path))
        except ValidationException as exc:
            raise ProcessDefinitionError(_validation_message(exc), exc.id or None, path.name, code="schema") from exc
        except etree.XMLSyntaxError as exc:
            raise ProcessDefinitionError(f"not well-formed XML: {exc}", None, path.name, code="xml") from exc
        user_tasks.update(_validate_document(tree, path.name, keys))
        ids.update(_element_ids(tree))
    try:
        parser.add_dmn_files([str(p) for p in dmn_files])
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise ProcessDefinitionError(
            _validation_message(exc), exc.id or None, exc.file_name or None, code="schema"
        ) from exc
    except etree.XMLSyntaxError as exc:
        raise ProcessDefinitionError(f"not well-formed XML: {exc}", None, None, code="xml") from exc
    except SpiffWorkflowException as exc:
        raise ProcessDefinitionError(str(exc), None, None) from exc
    for process_spec in (spec, *subprocess_specs.values()):
        for element, source, mode in _evaluated_places(process_spec, ids):
            _check_source(source, mode, element, _file_of(process_spec))
    spec_json = json.dumps(
        {
            "spec": _serializer.registry.convert(spec),
            "subprocess_specs": {k: _serializer.registry.convert(v) for k, v in subprocess_specs.items()},
        },
        sort_keys=True,
    )
    return Definition(process_id, spec, subprocess_specs, spec_json, user_tasks)


def _element_ids(tree: etree._ElementTree) -> dict[Any, str]:
    """Ids the parsed spec does not keep: sequence flows by (source, target), messages by name."""
    ids: dict[Any, str] = {}
    for flow in tree.iterfind(".//bpmn:sequenceFlow", _BPMN_NS):
        ids[(flow.get("sourceRef"), flow.get("targetRef"))] = str(flow.get("id"))
    for message in tree.iterfind(".//bpmn:message", _BPMN_NS):
        ids[("message", message.get("name"))] = str(message.get("id"))
    return ids


def _file_of(process_spec: Any) -> str | None:
    name = getattr(process_spec, "file", None)
    return Path(name).name if name else None


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
        workflow.script_engine = _script_engine
        # The ready user tasks as last stored (none for a new instance) and those completed since: what the
        # application's task rows were made from, so the change is known without reading them back.
        self._stored_ready: frozenset[str] = frozenset()
        self._completed_since: set[str] = set()

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
        instance = cls(definition, workflow)
        instance._stored_ready = frozenset(instance._ready_ids())
        return instance

    def dump(self) -> str:
        """The instance state as JSON, without the spec (stored once per version; never converted here).

        Mirrors BpmnWorkflowSerializer.serialize_json (private attributes; SpiffWorkflow is pinned
        exactly) so that dates and Decimals in task data go through the registered converters.
        """
        registry = _serializer.registry
        registry._encoder_mode = True
        try:
            return json.dumps(_serializer.to_dict(self.workflow), cls=_serializer._encoder_cls)
        finally:
            registry._encoder_mode = False

    def ready_changes(self) -> ReadyChanges:
        """What changed in the ready user tasks since the state was restored (or last marked stored), derived
        in memory from before and after the steps."""
        ready = self.ready_user_tasks()
        now = {t.id for t in ready}
        return ReadyChanges(
            ready=ready,
            new=[t for t in ready if t.id not in self._stored_ready],
            completed=sorted(self._completed_since),
            gone=[i for i in sorted(self._stored_ready) if i not in now and i not in self._completed_since],
        )

    def mark_stored(self, changes: ReadyChanges | None = None) -> None:
        """The state as it is now has been stored, with task rows for its ready user tasks (`changes`: the
        ready_changes() taken since the last step, to save walking the tasks again)."""
        ids = [t.id for t in changes.ready] if changes is not None else self._ready_ids()
        self._stored_ready = frozenset(ids)
        self._completed_since.clear()

    def _ready_ids(self) -> list[str]:
        return [str(t.id) for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)]

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
            decides=meta.get("decides", ""),
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
        self._completed_since.add(str(task.id))
        return self._run()

    def fire_due_timers(self) -> list[ThrownMessage]:
        self.workflow.refresh_timers()
        return self._run()

    # -- ending early and pausing (the application decides when; only the engine state changes here)

    @property
    def cancelled(self) -> bool:
        """Ended by cancel() (a withdrawal or a cancellation), not by reaching its end."""
        return bool(self.workflow.completed) and not self.workflow.success

    def cancel(self) -> list[str]:
        """Ends the instance where it stands: every task not finished is cancelled, in the called subprocesses
        too (SpiffWorkflow's BpmnWorkflow.cancel), so no user task stays ready and no timer stays pending.
        Returns the ids of the user tasks that were ready. Nothing the diagram says runs (no script, no
        message), so nothing can refuse it."""
        if self.workflow.completed:
            raise InstanceFinished()
        ready = self._ready_ids()
        self.workflow.cancel()
        return ready

    def reopen(self, element: str) -> UserTaskInfo:
        """Makes the user task `element` ready again, as it was before its last completion (SpiffWorkflow's
        reset_from_task_id): everything after it is undone in the engine state, a finished instance runs again,
        and the task keeps the data it was completed with (its form shows the earlier answers). Nothing the
        diagram says runs until the task is completed again."""
        done = [t for t in self.workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.name == element]
        if not done:
            raise TaskNotReady(element)
        task = done[-1]
        answers = dict(task.data)
        self._guard(lambda: self.workflow.reset_from_task_id(task.id))
        self.workflow.completed = False
        reopened = self.workflow.get_task_from_id(task.id)
        reopened.data.update(answers)
        return self._info(reopened)

    def shift_timers(self, delta: dt.timedelta) -> list[ShiftedTimer]:
        """Moves the pending relative timers later by `delta` (the time a case was suspended).

        SpiffWorkflow keeps a started timer's due instant in the waiting task's internal data (`event_value`,
        what waiting_events() and next_timer_due() read): an ISO instant for a timeDuration, a dict with the
        `next` instant for a timeCycle. Those measure time the process has run, so they shift. A timeDate
        names a calendar instant (the support period's end, from the edition file) and stays where it is. A
        timer not started yet (no event_value) starts from the clock when its turn comes."""
        shifted = []
        waiting = {task.id: task for task in self.workflow.get_tasks(state=TaskState.WAITING)}  # subprocesses too
        for task in waiting.values():
            definition = getattr(task.task_spec, "event_definition", None)
            value = task.internal_data.get("event_value")
            if value is None:
                continue
            name = task.task_spec.bpmn_id or task.task_spec.name
            if isinstance(definition, spiff_timer.DurationTimerEventDefinition) and isinstance(value, str):
                before = spiff_timer.TimerEventDefinition.get_datetime(value)
                task.internal_data["event_value"] = (before + delta).isoformat()
                shifted.append(ShiftedTimer(name, before, before + delta))
            elif isinstance(definition, spiff_timer.CycleTimerEventDefinition) and isinstance(value, dict):
                before = dt.datetime.fromisoformat(value["next"])
                task.internal_data["event_value"] = {**value, "next": (before + delta).isoformat()}
                shifted.append(ShiftedTimer(name, before, before + delta))
        return shifted

    def _run(self) -> list[ThrownMessage]:
        self._guard(self.workflow.do_engine_steps)
        messages = []
        for event in self.workflow.get_events():
            messages.append(ThrownMessage(event.event_definition.name, event.payload))
        return messages

    @staticmethod
    def _guard(action: Callable[[], Any]) -> None:
        token = _evaluations.set([0])
        try:
            action()
        except WorkflowException as exc:
            task = getattr(exc, "task", None)
            element = task.task_spec.bpmn_id or task.task_spec.name if task is not None else None
            raise ProcessRuntimeError(str(exc), element, _evaluator_cause(exc)) from exc
        except (Refusal, EvaluationError) as exc:  # raised where SpiffWorkflow does not wrap (e.g. the DMN engine)
            raise ProcessRuntimeError(str(exc), None, exc) from exc
        finally:
            _evaluations.reset(token)


def _evaluator_cause(exc: BaseException) -> Exception | None:
    """The evaluator's refusal or error behind SpiffWorkflow's wrapping exception, if there is one."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, Refusal | EvaluationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
