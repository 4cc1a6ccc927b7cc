"""Small diagrams that put one payload at one place the engine evaluates, with diagram interchange, so the
deploy check and the run-time evaluator can be tried place by place."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from workflows.engine import Definition

NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
)
PROCESS_ID = "hostile"
EXPR = 'xsi:type="bpmn:tFormalExpression"'


def _script_task(inner: str = "", *, script: str = "done = True", extensions: str = "", loop: str = "") -> str:
    ext = f"<bpmn:extensionElements>{extensions}</bpmn:extensionElements>" if extensions else ""
    return (
        f'<bpmn:scriptTask id="Act">{ext}<bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>'
        f"{loop}<bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>{inner}"
    )


def _plain_task(extensions: str) -> str:
    # SpiffWorkflow reads pre/post scripts on tasks other than script tasks
    return (
        f'<bpmn:task id="Act"><bpmn:extensionElements>{extensions}</bpmn:extensionElements>'
        "<bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing></bpmn:task>"
    )


def _event(kind: str, definition: str) -> str:
    return (
        f'<bpmn:{kind} id="Act"><bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>'
        f"{definition}</bpmn:{kind}>"
    )


# place -> (mode, builder of the middle element(s) and top-level elements from a payload)
def _places() -> dict[str, tuple[str, object]]:
    def timer(tag: str):  # type: ignore[no-untyped-def]
        return lambda p: (
            _event(
                "intermediateCatchEvent",
                f'<bpmn:timerEventDefinition id="TD"><bpmn:{tag} {EXPR}>{escape(p)}</bpmn:{tag}>'
                "</bpmn:timerEventDefinition>",
            ),
            "",
        )

    def message(extra: str = ""):  # type: ignore[no-untyped-def]
        # a thrown message evaluates its payload; a caught one its process-variable correlation
        return lambda p: (
            _event(
                "intermediateCatchEvent" if extra else "intermediateThrowEvent",
                f'<bpmn:messageEventDefinition id="MD" messageRef="Msg">{extra.replace("PAYLOAD", escape(p))}'
                "</bpmn:messageEventDefinition>",
            ),
            '<bpmn:message id="Msg" name="hostile_message"><bpmn:extensionElements>'
            f"<spiffworkflow:messagePayload>{escape(p) if not extra else '1'}</spiffworkflow:messagePayload>"
            "</bpmn:extensionElements></bpmn:message>",
        )

    correlation = (
        "<bpmn:extensionElements><spiffworkflow:processVariableCorrelation>"
        "<spiffworkflow:propertyId>prop</spiffworkflow:propertyId>"
        "<spiffworkflow:expression>PAYLOAD</spiffworkflow:expression>"
        "</spiffworkflow:processVariableCorrelation></bpmn:extensionElements>"
    )
    return {
        "script": ("exec", lambda p: (_script_task(script=p), "")),
        "pre-script": ("exec", lambda p: (_plain_task(f"<spiffworkflow:preScript>{escape(p)}</spiffworkflow:preScript>"), "")),
        "post-script": ("exec", lambda p: (_plain_task(f"<spiffworkflow:postScript>{escape(p)}</spiffworkflow:postScript>"), "")),
        "gateway-condition": ("eval", lambda p: (_gateway(p), "")),
        "timer-date": ("eval", timer("timeDate")),
        "timer-duration": ("eval", timer("timeDuration")),
        "timer-cycle": ("eval", timer("timeCycle")),
        "loop-cardinality": ("eval", lambda p: (_script_task(loop=f'<bpmn:multiInstanceLoopCharacteristics isSequential="true"><bpmn:loopCardinality {EXPR}>{escape(p)}</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>'), "")),
        "completion-condition": ("eval", lambda p: (_script_task(loop=f'<bpmn:multiInstanceLoopCharacteristics isSequential="true"><bpmn:loopCardinality {EXPR}>2</bpmn:loopCardinality><bpmn:completionCondition {EXPR}>{escape(p)}</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics>'), "")),
        "loop-condition": ("eval", lambda p: (_script_task(loop=f'<bpmn:standardLoopCharacteristics loopMaximum="3"><bpmn:loopCondition {EXPR}>{escape(p)}</bpmn:loopCondition></bpmn:standardLoopCharacteristics>'), "")),
        "conditional-event": ("eval", lambda p: (_event("intermediateCatchEvent", f'<bpmn:conditionalEventDefinition id="CD"><bpmn:condition {EXPR}>{escape(p)}</bpmn:condition></bpmn:conditionalEventDefinition>'), "")),
        "message-payload": ("eval", message()),
        "correlation": ("eval", message(correlation)),
        "service-parameter": ("eval", lambda p: (_service_task(p), "")),
    }  # fmt: skip


def _gateway(payload: str) -> str:
    return (
        '<bpmn:exclusiveGateway id="Act" default="F3"><bpmn:incoming>F1</bpmn:incoming>'
        "<bpmn:outgoing>F2</bpmn:outgoing><bpmn:outgoing>F3</bpmn:outgoing></bpmn:exclusiveGateway>"
        '<bpmn:sequenceFlow id="F3" sourceRef="Act" targetRef="End2"/>'
        '<bpmn:endEvent id="End2"><bpmn:incoming>F3</bpmn:incoming></bpmn:endEvent>'
        f"<!--cond:{escape(payload)}-->"
    )


def _service_task(payload: str) -> str:
    return (
        '<bpmn:serviceTask id="Act"><bpmn:extensionElements>'
        '<spiffworkflow:serviceTaskOperator id="noop" resultVariable="result"><spiffworkflow:parameters>'
        f'<spiffworkflow:parameter id="p" type="str" value={quoteattr(payload)}/>'
        "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>"
        "<bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing></bpmn:serviceTask>"
    )


PLACES = _places()
SHAPE_IDS = ("StartEvt", "Act", "EndEvt", "End2", "Decide")


def bpmn(place: str, payload: str, *, business_rule: bool = False) -> str:
    """A one-element diagram: start -> (the element carrying the payload) -> end."""
    if business_rule:
        middle, top = (
            '<bpmn:businessRuleTask id="Act"><bpmn:extensionElements>'
            "<spiffworkflow:calledDecisionId>hostile_decision</spiffworkflow:calledDecisionId>"
            "</bpmn:extensionElements><bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>"
            "</bpmn:businessRuleTask>",
            "",
        )
    else:
        middle, top = PLACES[place][1](payload)  # type: ignore[operator]
    condition = ""
    if "<!--cond:" in middle:
        middle, cond = middle.split("<!--cond:")
        condition = f"<bpmn:conditionExpression {EXPR}>{cond.removesuffix('-->')}</bpmn:conditionExpression>"
    shapes = "".join(
        f'<bpmndi:BPMNShape id="{i}_di" bpmnElement="{i}"><dc:Bounds x="{100 * n}" y="100" width="36" height="36"/>'
        "</bpmndi:BPMNShape>"
        for n, i in enumerate(SHAPE_IDS)
    )
    edges = "".join(
        f'<bpmndi:BPMNEdge id="{f}_di" bpmnElement="{f}"><di:waypoint x="0" y="0"/><di:waypoint x="1" y="1"/>'
        "</bpmndi:BPMNEdge>"
        for f in ("F1", "F2", "F3")
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {NS} id="Defs" targetNamespace="http://bpmn.io/schema/bpmn">'
        f'{top}<bpmn:process id="{PROCESS_ID}" isExecutable="true">'
        '<bpmn:startEvent id="StartEvt"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>'
        f"{middle}"
        '<bpmn:endEvent id="EndEvt"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="F1" sourceRef="StartEvt" targetRef="Act"/>'
        f'<bpmn:sequenceFlow id="F2" sourceRef="Act" targetRef="EndEvt">{condition}</bpmn:sequenceFlow>'
        "</bpmn:process>"
        f'<bpmndi:BPMNDiagram id="Dia"><bpmndi:BPMNPlane id="Plane" bpmnElement="{PROCESS_ID}">{shapes}{edges}'
        "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>"
    )


DMN_PLACES = ("dmn-input-expression", "dmn-input-entry", "dmn-output-entry")


def dmn(place: str, payload: str) -> str:
    cells = {"dmn-input-expression": "1", "dmn-input-entry": "1", "dmn-output-entry": '"ok"'}
    cells[place] = escape(payload)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="D" name="D" namespace="h">'
        '<decision id="hostile_decision" name="h"><decisionTable id="T">'
        f'<input id="In"><inputExpression id="InE" typeRef="string"><text>{cells["dmn-input-expression"]}</text>'
        '</inputExpression></input><output id="Out" name="answer" typeRef="string"/>'
        f'<rule id="R1"><inputEntry id="R1_In"><text>{cells["dmn-input-entry"]}</text></inputEntry>'
        f'<outputEntry id="R1_Out"><text>{cells["dmn-output-entry"]}</text></outputEntry></rule>'
        '<rule id="R2"><inputEntry id="R2_In"><text></text></inputEntry>'
        '<outputEntry id="R2_Out"><text>"other"</text></outputEntry></rule>'
        "</decisionTable></decision></definitions>"
    )


def write(tmp_path: Path, place: str, payload: str) -> tuple[list[Path], list[Path]]:
    bpmn_path, dmn_paths = tmp_path / "hostile.bpmn", []
    if place in DMN_PLACES:
        bpmn_path.write_text(bpmn(place, "", business_rule=True), encoding="utf-8")
        dmn_path = tmp_path / "hostile.dmn"
        dmn_path.write_text(dmn(place, payload), encoding="utf-8")
        dmn_paths.append(dmn_path)
    else:
        bpmn_path.write_text(bpmn(place, payload), encoding="utf-8")
    return [bpmn_path], dmn_paths


def unchecked_definition(bpmn_files: list[Path], dmn_files: list[Path]) -> Definition:
    """A diagram that reached the engine without the deploy check (e.g. written into the database)."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_files([str(p) for p in bpmn_files])
    parser.add_dmn_files([str(p) for p in dmn_files])
    return Definition(PROCESS_ID, parser.get_spec(PROCESS_ID), parser.get_subprocess_specs(PROCESS_ID), "{}")
