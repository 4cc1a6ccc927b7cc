"""One task completion through the operations layer (persisted) beside the raw engine doing the same step.

The step is the hearing of a fresh FY2025 case (receipt already confirmed): the engine runs the eligibility
decision and readies the adoption task. The operations layer adds what a request does around it: permission
checks, form validation, restore from JSON, the compare-and-set save, inbox rows, audit, commit.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from dataclasses import dataclass

from flask import Flask
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict

from forms import build_form
from tests.web.lifecycle import HEARING_OK, PDF, application
from webapp.api import to_multidict
from webapp.extensions import db
from webapp.models import HumanTask, ProcessInstance
from webapp.operations import cases, tasks
from webapp.operations.process import restore
from webapp.operations.tasks import task_context

from .harness import Stats, user

WARM_UP = 10


@dataclass(frozen=True)
class CompletionResult:
    operations: Stats
    engine: Stats
    unrestricted: Stats  # the same engine step with SpiffWorkflow's plain exec/eval environment


def _register(app: Flask, count: int) -> list[int]:
    """Fresh cases with the receipt confirmed, so each one waits at its hearing."""
    ids = []
    with app.test_request_context():
        staff = user("staff")
        for _ in range(count):
            pdf = FileStorage(io.BytesIO(PDF), "application.pdf", content_type="application/pdf")
            case = cases.register_application(
                staff, application("FY2025", ["CN", "TH"], "2025-07-01"), {"sealed_pdf": pdf}
            )
            db.session.commit()
            ids.append(case.id)
        for task_id in _open_task_ids(ids, "receipt_confirmation"):
            tasks.complete(staff, task_id, MultiDict({"sealed_pdf_confirmed": "y"}), csrf=False)
    return ids


def _open_task_ids(case_ids: list[int], form_key: str) -> list[int]:
    query = select(HumanTask.id).where(
        HumanTask.case_id.in_(case_ids), HumanTask.form_key == form_key, HumanTask.status == "open"
    )
    return list(db.session.scalars(query.order_by(HumanTask.case_id)))


def _engine_once(app: Flask, task_id: int, *, unrestricted: bool = False) -> float:
    """The raw engine: the same instance, already in memory, completes the same task with the same data.

    `unrestricted` swaps in SpiffWorkflow's default environment (plain exec/eval, no sandbox) to measure what
    the restricted evaluator and the script worker add; the instance is thrown away, nothing is saved."""
    with app.test_request_context():
        task = db.session.get_one(HumanTask, task_id)
        instance = restore(db.session.get_one(ProcessInstance, task.instance_id))
        if unrestricted:
            instance.workflow.script_engine = PythonScriptEngine()
        form = build_form("hearing", context=task_context(task), formdata=to_multidict(HEARING_OK), csrf=False)
        assert form.validate(), form.errors
        data = form.to_task_data()
        start = time.perf_counter()
        instance.complete(task.engine_task_id, data)
        elapsed = time.perf_counter() - start
        assert any(t.form_key == "adoption_decision" for t in instance.ready_user_tasks())
        return elapsed


def _operations_once(app: Flask, task_id: int, profiler: cProfile.Profile | None = None) -> float:
    """What a request does: a fresh session holding only the signed-in user, then tasks.complete."""
    formdata = to_multidict(HEARING_OK)
    with app.test_request_context():
        staff = user("staff")
        if profiler:
            profiler.enable()
        start = time.perf_counter()
        tasks.complete(staff, task_id, formdata, csrf=False)
        elapsed = time.perf_counter() - start
        if profiler:
            profiler.disable()
        return elapsed


def run(app: Flask, samples: int) -> CompletionResult:
    case_ids = _register(app, samples + WARM_UP)
    with app.app_context():
        task_ids = _open_task_ids(case_ids, "hearing")
    engine, operations, unrestricted = [], [], []
    for index, task_id in enumerate(task_ids):
        unrestricted_time = _engine_once(app, task_id, unrestricted=True)
        engine_time = _engine_once(app, task_id)
        operations_time = _operations_once(app, task_id)
        if index >= WARM_UP:
            engine.append(engine_time)
            operations.append(operations_time)
            unrestricted.append(unrestricted_time)
    with app.app_context():
        adoption = _open_task_ids(case_ids, "adoption_decision")
        assert len(adoption) == len(case_ids), "every completed hearing should ready an adoption decision"
    return CompletionResult(Stats(operations), Stats(engine), Stats(unrestricted))


def profile(app: Flask, samples: int, top: int = 30) -> str:
    """cProfile over `samples` completions through the operations layer; the top functions by cumulative time."""
    case_ids = _register(app, samples)
    with app.app_context():
        task_ids = _open_task_ids(case_ids, "hearing")
    profiler = cProfile.Profile()
    for task_id in task_ids:
        _operations_once(app, task_id, profiler)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()
