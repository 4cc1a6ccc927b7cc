"""One task completion through the operations layer (persisted) beside the raw engine doing the same step.

The step is the hearing of a fresh FY2025 case (receipt already confirmed): the engine runs the eligibility
decision and readies the adoption task. The operations layer adds what a request does around it: permission
checks, form validation, restore from JSON, the compare-and-set save, inbox rows, audit, commit.

The floor beside it is the plain way to persist the same step with SpiffWorkflow and SQLite: restore with
SpiffWorkflow's own serializer (`deserialize_json` of what `serialize_json` wrote, spec included), the same
step with the same script engine, `serialize_json`, and one UPDATE of one SQLite row in the same database file
(same journal mode and synchronous setting as the app), committed.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

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
from webapp.operations.process import definition_for, restore
from webapp.operations.tasks import task_context
from workflows.engine import Instance, plain_serializer

from .harness import Stats, user

WARM_UP = 10


@dataclass(frozen=True)
class CompletionResult:
    operations: Stats
    engine: Stats
    unrestricted: Stats  # the same engine step with SpiffWorkflow's plain exec/eval environment
    floor: Stats  # SpiffWorkflow's serializer round trip + the step + one SQLite row written


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
            db.session.commit()  # what the request boundary does
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


class Floor:
    """The plain floor: a table of one row in the benchmark's database file, written through sqlite3."""

    def __init__(self, db_file: str):
        self.connection = sqlite3.connect(db_file)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")  # as the app sets it
        self.connection.execute("CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, state TEXT)")
        self.connection.execute("INSERT OR IGNORE INTO bench_floor (id, state) VALUES (1, '')")
        self.connection.commit()
        self.serializer = plain_serializer()

    def prepare(self, app: Flask, task_id: int) -> tuple[Any, str, str, dict[str, Any]]:
        """Untimed: the stored instance as SpiffWorkflow's serializer writes it, and the validated form data."""
        with app.test_request_context():
            task = db.session.get_one(HumanTask, task_id)
            row = db.session.get_one(ProcessInstance, task.instance_id)
            definition = definition_for(row.process_version)
            serialized = self.serializer.serialize_json(restore(row).workflow)
            form = build_form("hearing", context=task_context(task), formdata=to_multidict(HEARING_OK), csrf=False)
            assert form.validate(), form.errors
            return definition, serialized, task.engine_task_id, form.to_task_data()

    def once(self, app: Flask, task_id: int) -> float:
        definition, serialized, engine_task_id, data = self.prepare(app, task_id)
        start = time.perf_counter()
        instance = Instance(definition, self.serializer.deserialize_json(serialized))  # our script engine
        instance.complete(engine_task_id, data)
        state = self.serializer.serialize_json(instance.workflow)
        self.connection.execute("UPDATE bench_floor SET state = ? WHERE id = 1", (state,))
        self.connection.commit()
        elapsed = time.perf_counter() - start
        assert any(t.form_key == "adoption_decision" for t in instance.ready_user_tasks())
        return elapsed

    def close(self) -> None:
        self.connection.close()


def _operations_once(app: Flask, task_id: int, profiler: cProfile.Profile | None = None) -> float:
    """What a request does: a fresh session holding only the signed-in user, then tasks.complete and the
    commit the request boundary makes."""
    formdata = to_multidict(HEARING_OK)
    with app.test_request_context():
        staff = user("staff")
        if profiler:
            profiler.enable()
        start = time.perf_counter()
        tasks.complete(staff, task_id, formdata, csrf=False)
        db.session.commit()
        elapsed = time.perf_counter() - start
        if profiler:
            profiler.disable()
        return elapsed


def run(app: Flask, samples: int, db_file: str) -> CompletionResult:
    case_ids = _register(app, samples + WARM_UP)
    with app.app_context():
        task_ids = _open_task_ids(case_ids, "hearing")
    floor = Floor(db_file)
    engine, operations, unrestricted, floors = [], [], [], []
    try:
        for index, task_id in enumerate(task_ids):  # interleaved, so drift on the machine hits all alike
            unrestricted_time = _engine_once(app, task_id, unrestricted=True)
            engine_time = _engine_once(app, task_id)
            floor_time = floor.once(app, task_id)
            operations_time = _operations_once(app, task_id)
            if index >= WARM_UP:
                engine.append(engine_time)
                operations.append(operations_time)
                unrestricted.append(unrestricted_time)
                floors.append(floor_time)
    finally:
        floor.close()
    with app.app_context():
        adoption = _open_task_ids(case_ids, "adoption_decision")
        assert len(adoption) == len(case_ids), "every completed hearing should ready an adoption decision"
    return CompletionResult(Stats(operations), Stats(engine), Stats(unrestricted), Stats(floors))


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
