"""A pytest plugin that runs the acceptance features against a draft of the process instead of the repository's
diagrams, and writes what happened: each scenario's outcome and the diagram elements the cases reached.

Loaded by the designers' check (webapp/designer/scenarios.py) as `-p features.draft_run` with two environment
variables: TSS_DRAFT_SOURCES (a JSON file {"file name": "xml"}) and TSS_DRAFT_REPORT (where the JSON report goes).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

_reached: set[str] = set()
_scenarios: dict[str, dict[str, str]] = {}


def _use_draft(files: dict[str, str]) -> None:
    """Every deploy of "the repository's diagrams" (the first case, `flask deploy`, the steps) takes the draft."""
    from webapp.operations import process

    folder = Path(tempfile.mkdtemp(prefix="tss-draft-"))
    for kind in ("bpmn", "dmn"):
        (folder / kind).mkdir()
    for name, text in files.items():
        (folder / name.rsplit(".", 1)[-1] / name).write_text(text, encoding="utf-8")
    process.BPMN_DIR, process.DMN_DIR = folder / "bpmn", folder / "dmn"


def _record_coverage() -> None:
    """Each time an instance is stored, the elements it has completed or is at count as reached."""
    from workflows.engine import Instance

    original = Instance.dump

    def dump(self: Instance) -> str:
        _reached.update(self.completed_element_ids() | self.active_element_ids())
        return original(self)

    Instance.dump = dump  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    sources = os.environ.get("TSS_DRAFT_SOURCES")
    if sources:
        _use_draft(json.loads(Path(sources).read_text(encoding="utf-8")))
    _record_coverage()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    from pytest_bdd.scenario import scenario_wrapper_template_registry as templates

    for item in items:
        template = templates.get(getattr(item, "obj", None))  # type: ignore[arg-type]
        if template is None:
            continue
        example = item.name.partition("[")[2].rstrip("]")
        _scenarios[item.nodeid] = {
            "feature": str(template.feature.name),
            "scenario": str(template.name) + (f"（{example}）" if example else ""),
            "outcome": "not run",
        }


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    entry = _scenarios.get(report.nodeid)
    if entry is None:
        return
    if report.failed:
        entry["outcome"] = "failed"
        entry.setdefault("message", str(report.longrepr).splitlines()[-1][:500] if report.longrepr else "")
    elif report.when == "call" and entry["outcome"] != "failed":
        entry["outcome"] = "skipped" if report.skipped else "passed"
    elif report.skipped and entry["outcome"] == "not run":
        entry["outcome"] = "skipped"


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    target = os.environ.get("TSS_DRAFT_REPORT")
    if target:
        report = {"scenarios": list(_scenarios.values()), "reached": sorted(_reached)}
        Path(target).write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
