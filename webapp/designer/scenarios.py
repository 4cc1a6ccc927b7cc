"""The acceptance scenarios run against a draft: the Japanese features (pytest-bdd) in a separate process whose
deploys take the draft's files (features/draft_run.py), with each scenario's outcome and the diagram's coverage
(which elements and flows some scenario's case reached). Nothing of this app's database is touched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 900
_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_NODES = (
    "task", "userTask", "scriptTask", "serviceTask", "businessRuleTask", "manualTask", "sendTask", "receiveTask",
    "callActivity", "subProcess", "startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent",
    "boundaryEvent", "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
)  # fmt: skip


@dataclass
class ScenarioRun:
    scenarios: list[dict[str, str]] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    flows: dict[str, tuple[str, str]] = field(default_factory=dict)
    reached: set[str] = field(default_factory=set)
    seconds: float = 0.0
    error: str = ""

    @property
    def failed(self) -> list[dict[str, str]]:
        return [s for s in self.scenarios if s["outcome"] == "failed"]

    @property
    def passed(self) -> list[dict[str, str]]:
        return [s for s in self.scenarios if s["outcome"] == "passed"]

    @property
    def covered_nodes(self) -> list[str]:
        return [n for n in self.nodes if n in self.reached]

    @property
    def covered_flows(self) -> list[str]:
        """A flow counts as passed through when some case reached both its ends (the engine keeps no record of
        flows; a flow into a join reached another way is counted too)."""
        return [f for f, (source, target) in self.flows.items() if source in self.reached and target in self.reached]

    def percent(self, part: list[str], whole: Any) -> int:
        return round(100 * len(part) / len(whole)) if whole else 0


def _diagram(files: dict[str, str]) -> tuple[list[str], dict[str, tuple[str, str]]]:
    nodes: list[str] = []
    flows: dict[str, tuple[str, str]] = {}
    for name, text in files.items():
        if not name.endswith(".bpmn"):
            continue
        try:
            root = etree.fromstring(text.encode("utf-8"))
        except etree.XMLSyntaxError:
            continue
        for tag in _NODES:
            nodes.extend(str(n.get("id")) for n in root.iter(f"{_BPMN}{tag}"))
        for flow in root.iter(f"{_BPMN}sequenceFlow"):
            flows[str(flow.get("id"))] = (str(flow.get("sourceRef")), str(flow.get("targetRef")))
    return sorted(nodes), flows


def run_scenarios(files: dict[str, str]) -> ScenarioRun:
    """Runs the features (app config DRAFT_SCENARIO_PATHS, default all of features/) on the draft's files."""
    paths = current_app.config.get("DRAFT_SCENARIO_PATHS") or ["features"]
    run = ScenarioRun()
    run.nodes, run.flows = _diagram(files)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tss-scenarios-") as tmp:
        sources, report = Path(tmp) / "sources.json", Path(tmp) / "report.json"
        sources.write_text(json.dumps(files, ensure_ascii=False), encoding="utf-8")
        env = {**os.environ, "TSS_DRAFT_SOURCES": str(sources), "TSS_DRAFT_REPORT": str(report)}
        command = [sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider", "-p", "features.draft_run"]
        try:
            done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            run.error = _("シナリオの実行が%(s)d秒で終わらなかったため止めました。", s=TIMEOUT_SECONDS)
            return run
        finally:
            run.seconds = time.perf_counter() - started
        if not report.is_file():
            run.error = _("シナリオを実行できませんでした：%(what)s", what=(done.stdout + done.stderr)[-500:])
            return run
        data = json.loads(report.read_text(encoding="utf-8"))
    run.scenarios = data["scenarios"]
    run.reached = set(data["reached"])
    return run
