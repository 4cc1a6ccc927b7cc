"""The acceptance scenarios run against a draft: the Japanese features (pytest-bdd) in a separate process whose
deploys take the draft's files (features/draft_run.py), with each scenario's outcome and the diagram's coverage
(which elements and flows some scenario's case reached). Nothing of this app's database is touched; the run goes
on in the background and leaves its report in the instance folder, per draft and content."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
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
    running: bool = False

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


def _runs_dir() -> Path:
    return Path(current_app.config.get("SCENARIO_RUNS_DIR") or Path(current_app.instance_path) / "scenario-runs")


def run_key(draft_id: int, files: dict[str, str]) -> str:
    """One run per draft content: a new save makes the last run's results stale."""
    digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]
    return f"draft-{draft_id}-{digest}"


def start_run(draft_id: int, files: dict[str, str]) -> None:
    """Starts the features on the draft's files in the background (a page request would outlast the server's
    timeout); the check page shows the results once the report is written. A run already going is left alone."""
    folder = _runs_dir() / run_key(draft_id, files)
    started = folder / "started"
    running = started.is_file() and not (folder / "report.json").is_file() and not (folder / "error.txt").is_file()
    if running and time.time() - started.stat().st_mtime < TIMEOUT_SECONDS:
        return
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sources.json").write_text(json.dumps(files, ensure_ascii=False), encoding="utf-8")
    for stale in ("report.json", "error.txt"):
        (folder / stale).unlink(missing_ok=True)
    started.write_text(str(time.time()), encoding="utf-8")
    paths = list(current_app.config.get("DRAFT_SCENARIO_PATHS") or ["features"])
    threading.Thread(target=_run, args=(folder, paths), daemon=True).start()


def _run(folder: Path, paths: list[str]) -> None:
    env = {
        **os.environ,
        "TSS_DRAFT_SOURCES": str(folder / "sources.json"),
        "TSS_DRAFT_REPORT": str(folder / "report.json"),
    }
    command = [sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider", "-p", "features.draft_run"]
    began = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
        output = (done.stdout + done.stderr)[-1000:]
    except subprocess.TimeoutExpired:
        output = "timeout"
    (folder / "seconds").write_text(f"{time.perf_counter() - began:.1f}", encoding="utf-8")
    if not (folder / "report.json").is_file():
        (folder / "error.txt").write_text(output, encoding="utf-8")


def load_run(draft_id: int, files: dict[str, str]) -> ScenarioRun | None:
    """The run for the draft's current files: None if never started, `running` while it goes, else its results."""
    folder = _runs_dir() / run_key(draft_id, files)
    if not (folder / "started").is_file():
        return None
    run = ScenarioRun()
    run.nodes, run.flows = _diagram(files)
    seconds = folder / "seconds"
    run.seconds = float(seconds.read_text()) if seconds.is_file() else 0.0
    report, error = folder / "report.json", folder / "error.txt"
    if report.is_file() and seconds.is_file():
        data = json.loads(report.read_text(encoding="utf-8"))
        run.scenarios, run.reached = data["scenarios"], set(data["reached"])
    elif error.is_file():
        text = error.read_text(encoding="utf-8")
        run.error = (
            _("シナリオの実行が%(s)d秒で終わらなかったため止めました。", s=TIMEOUT_SECONDS)
            if text == "timeout"
            else _("シナリオを実行できませんでした：%(what)s", what=text[-500:])
        )
    else:
        run.running = True
    return run
