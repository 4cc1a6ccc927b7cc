"""Process versions and instances: deploy, load, save (compare-and-set) and keep the inbox in step."""

from __future__ import annotations

import hashlib
import json
import weakref
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, Engine, Table, bindparam, insert, inspect, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from forms import FORM_CLASSES
from workflows.editions import Edition, get_edition
from workflows.engine import (
    BPMN_DIR,
    DMN_DIR,
    SERIALIZER_VERSION,
    Definition,
    Instance,
    ProcessDefinitionError,
    ProcessRuntimeError,
    ThrownMessage,
    UserTaskInfo,
    load_definition,
    parse_definition,
)

from ..diagram_messages import describe_runtime_error
from ..extensions import db, lock_for_write
from ..models import AuditEvent, Case, HumanTask, ProcessInstance, ProcessVersion, TaskStatus, User, utcnow
from .errors import Conflict, Invalid
from .task_notices import notify_new_tasks

MAIN_PROCESS = "trade_secret_support"
_definitions: dict[str, Definition] = {}
# Per database (engine): process_version.id -> source hash, so restoring an instance needs no version row.
# A version row never changes once deployed; ids are only remembered once read back from a stored instance.
_version_hashes: weakref.WeakKeyDictionary[Engine, dict[int, str]] = weakref.WeakKeyDictionary()

# Days a task may stay open before it is overdue; service stages run to the support-period end.
TASK_DUE_DAYS = {"receipt": 3, "hearing": 14, "adoption": 7, "briefing": 21, "plan": 14, "publicity": 30}
STAGE_ORDER = ("receipt", "hearing", "adoption", "forms", "briefing", "plan", "service", "follow_up", "publicity")


def known_form_keys() -> list[str]:
    return sorted(FORM_CLASSES)


# ---------------------------------------------------------------- versions


def parse_files(files: dict[str, str]) -> Definition:
    """Every deploy check on BPMN/DMN sources (ProcessDefinitionError naming the file and element); writes
    nothing. The deploy, the CLI and the editor's draft check all go through here."""
    import tempfile

    files = _normalised_names(files)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, text in files.items():
            path = Path(tmp) / Path(name).name
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        return parse_definition(
            MAIN_PROCESS,
            [p for p in paths if p.suffix == ".bpmn"],
            [p for p in paths if p.suffix == ".dmn"],
            known_form_keys(),
        )


def deploy_files(files: dict[str, str], actor: User | None) -> tuple[ProcessVersion, bool]:
    """Validates and deploys BPMN/DMN sources; returns (version, created). Same sources: no new version."""
    files = _normalised_names(files)
    source_hash = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    latest = latest_version()
    if latest is not None and latest.source_hash == source_hash:
        return latest, False
    definition = parse_files(files)
    version = ProcessVersion(
        process_id=MAIN_PROCESS,
        version=(latest.version + 1) if latest else 1,
        source_hash=source_hash,
        sources_json=json.dumps(files, ensure_ascii=False),
        spec_json=definition.spec_json,
        user_tasks_json=json.dumps(definition.user_tasks, ensure_ascii=False),
        deployed_by_id=actor.id if actor else None,
    )
    db.session.add(version)
    db.session.flush()
    _definitions[source_hash] = definition
    db.session.add(
        AuditEvent(actor_id=actor.id if actor else None, action="process_deployed", detail=f"v{version.version}")
    )
    return version, True


def _normalised_names(files: dict[str, str]) -> dict[str, str]:
    """Only .bpmn and .dmn files, whatever the case of the extension; every one of them is validated."""
    named: dict[str, str] = {}
    for name, text in files.items():
        base = Path(name.replace("\\", "/")).name
        stem, dot, suffix = base.rpartition(".")
        if not dot or not stem or suffix.lower() not in ("bpmn", "dmn"):
            raise ProcessDefinitionError("only .bpmn and .dmn files can be deployed", None, base, code="file_type")
        named[f"{stem}.{suffix.lower()}"] = text
    return named


def repository_files() -> dict[str, str]:
    paths = sorted(BPMN_DIR.glob("*.bpmn")) + sorted(DMN_DIR.glob("*.dmn"))
    return {p.name: p.read_text(encoding="utf-8") for p in paths}


def latest_version(process_id: str = MAIN_PROCESS) -> ProcessVersion | None:
    query = select(ProcessVersion).where(ProcessVersion.process_id == process_id)
    return db.session.scalars(query.order_by(ProcessVersion.version.desc()).limit(1)).first()


def definition_for(version: ProcessVersion) -> Definition:
    """Parsed once per content (keyed by the sources' hash, so databases sharing a process never mix)."""
    definition = _definitions.get(version.source_hash)
    if definition is None:
        definition = load_definition(version.process_id, version.spec_json, json.loads(version.user_tasks_json))
        _definitions[version.source_hash] = definition
    return definition


# ---------------------------------------------------------------- instances


def start_engine(edition: Edition, data: dict) -> tuple[ProcessVersion, Instance, list[ThrownMessage]]:
    """Runs the newest deployed version of the edition's process up to its first wait, in memory only (the
    caller takes the write lock afterwards); deploys the repository's diagrams on first use."""
    version = latest_version(edition.process_id)
    if version is None and edition.process_id == MAIN_PROCESS:
        lock_for_write()  # first use only: the deploy writes
        version, _created = deploy_files(repository_files(), None)
    if version is None:
        raise LookupError(f"process {edition.process_id} is not deployed")
    try:
        instance, messages = Instance.start(definition_for(version), data)
    except ProcessRuntimeError as exc:
        raise Invalid(describe_runtime_error(exc)) from exc
    return version, instance, messages


def save_started(case: Case, version: ProcessVersion, instance: Instance) -> ProcessInstance:
    row = ProcessInstance(
        case=case,
        process_version=version,
        state_json=instance.dump(),
        serializer_version=SERIALIZER_VERSION,
        status="completed" if instance.completed else "running",
        next_timer_due=instance.next_timer_due(),
    )
    db.session.add(row)
    db.session.flush()
    sync_human_tasks(row, instance)
    return row


def restore(row: ProcessInstance) -> Instance:
    """The row's instance; the definition is found by the row's version id (no version row is read)."""
    hashes = _version_hashes.setdefault(db.engine, {})
    definition = _definitions.get(hashes.get(row.process_version_id, ""))
    if definition is None:
        version = row.process_version
        definition = definition_for(version)
        hashes[version.id] = version.source_hash
    return Instance.restore(definition, row.state_json)


def _param(column: Any) -> Any:
    return bindparam(f"p_{column.name}", type_=column.type)


# The statements a save writes, built once (Core: no unit of work; their cache keys are computed once).
_instances, _tasks, _cases = (cast(Table, m.__table__) for m in (ProcessInstance, HumanTask, Case))
_SAVED_COLUMNS = ("state_json", "lock_version", "status", "next_timer_due", "updated_at")
_SAVE_INSTANCE = (
    update(_instances)
    .where(_instances.c.id == bindparam("row_id"), _instances.c.lock_version == bindparam("seen_version"))
    .values({name: _param(_instances.c[name]) for name in _SAVED_COLUMNS})
)
_CANCEL_TASKS = (
    update(_tasks)
    .where(_tasks.c.instance_id == bindparam("row_id"), _tasks.c.engine_task_id.in_(bindparam("gone", expanding=True)))
    .where(_tasks.c.status == TaskStatus.OPEN.value)
    .values(status=TaskStatus.CANCELLED.value)
)
# RETURNING the ids (one batched statement): the new tasks' notices link to them.
_INSERT_TASK = insert(_tasks).returning(_tasks.c.id, sort_by_parameter_order=True)
_SET_STAGE = update(_cases).where(_cases.c.id == bindparam("case_id")).values(stage=bindparam("stage"))


def save_instance(row: ProcessInstance, instance: Instance, *, status: str | None = None) -> None:
    """Compare-and-set on lock_version: of two concurrent writers only one succeeds.

    `status` sets the row's status ("suspended", or "running" to resume); by default it follows the engine state,
    and a suspended row stays suspended until resumed. A suspended instance has no timer due (tick skips it)."""
    status = saved_status(row, instance, status)
    values = {
        "state_json": instance.dump(),
        "lock_version": row.lock_version + 1,
        "status": status,
        "next_timer_due": None if status == INSTANCE_SUSPENDED else instance.next_timer_due(),
        "updated_at": utcnow(),
    }
    params = {f"p_{name}": value for name, value in values.items()}
    result = db.session.execute(_SAVE_INSTANCE, {"row_id": row.id, "seen_version": row.lock_version, **params})
    if cast(CursorResult, result).rowcount != 1:
        raise Conflict(_("この案件は他の人が同時に更新しました。画面を再読み込みしてからやり直してください。"))
    for key, value in values.items():  # the row now holds what was written; no reload needed
        set_committed_value(row, key, value)
    sync_human_tasks(row, instance)


def sync_human_tasks(row: ProcessInstance, instance: Instance) -> None:
    """Makes the open human_task rows equal to the engine's ready user tasks.

    The change is taken from the instance (ready when restored vs ready now), not by reading the open rows
    back: the rows were written from the restored state by the save that stored it, and the compare-and-set
    on lock_version guarantees nobody stored another state since. Rows are written with Core statements."""
    case = _loaded_case(row)
    changes = instance.ready_changes()
    # A completed task's row is closed by the caller (tasks.complete); if it was not, it is cancelled.
    gone = changes.gone + [i for i in changes.completed if not _known_closed(row.id, i)]
    if gone:  # e.g. a timer closed the service period
        db.session.execute(_CANCEL_TASKS, {"row_id": row.id, "gone": gone})
    if changes.new:
        edition = get_edition(case.edition)
        inserted = [_task_values(row, case, info, edition) for info in changes.new]
        ids = db.session.scalars(_INSERT_TASK, inserted).all()
        notify_new_tasks(case, [dict(values, id=task_id) for values, task_id in zip(inserted, ids, strict=True)])
    instance.mark_stored(changes)
    stage = _case_stage(case, instance, {t.stage for t in changes.ready})
    if stage != case.stage:
        db.session.execute(_SET_STAGE, {"case_id": case.id, "stage": stage})
        set_committed_value(case, "stage", stage)


def _loaded_case(row: ProcessInstance) -> Case:
    """The instance's case with its company, from the session when loaded, else in one query."""
    case = db.session.identity_map.get(identity_key(Case, row.case_id))
    loaded = case is not None and not _unloaded(case, "edition", "stage", "status", "company")
    if loaded and not _unloaded(case.company, "name"):  # type: ignore[union-attr]
        return cast(Case, case)
    query = select(Case).options(joinedload(Case.company)).where(Case.id == row.case_id)
    return db.session.scalars(query).one()


def _unloaded(obj: Any, *attributes: str) -> bool:
    unloaded = inspect(obj).unloaded
    return any(name in unloaded for name in attributes)


def _known_closed(instance_id: int, engine_task_id: str) -> bool:
    """The session holds this task's row and the caller has closed it (tasks.complete marks it completed)."""
    for obj in list(db.session.identity_map.values()):
        if not isinstance(obj, HumanTask) or _unloaded(obj, "instance_id", "engine_task_id", "status"):
            continue
        if obj.instance_id == instance_id and obj.engine_task_id == engine_task_id:
            return obj.status != TaskStatus.OPEN.value
    return False


def _task_values(row: ProcessInstance, case: Case, info: UserTaskInfo, edition: Edition | None) -> dict[str, Any]:
    return {
        "instance_id": row.id,
        "case_id": case.id,
        "engine_task_id": info.id,
        "element_id": info.name,
        "title": info.title,
        "form_key": info.form_key,
        "stage": info.stage,
        "role": info.role,
        "country": info.country,
        "edition": case.edition,
        "company_name": case.company.name,
        "status": TaskStatus.OPEN.value,
        "due_at": _due_at(info.stage, edition),
        "created_at": utcnow(),
    }


def _due_at(stage: str, edition: Edition | None) -> datetime | None:
    now = utcnow()
    if stage == "forms" and edition:
        return now + timedelta(days=edition.forms_reminder_days)
    if stage in ("service", "follow_up") and edition:
        return edition.support_period_end
    days = TASK_DUE_DAYS.get(stage)
    return now + timedelta(days=days) if days else None


def _case_stage(case: Case, instance: Instance, stages: set[str]) -> str:
    for stage in STAGE_ORDER:
        if stage in stages:
            return stage
    if instance.completed:
        return case.status if case.status != "active" else "completed"
    return case.stage


def lock_instance_row(case_id: int) -> ProcessInstance:
    query = select(ProcessInstance).where(ProcessInstance.case_id == case_id)
    return db.session.scalars(query).one()


# ---------------------------------------------------------------- suspension and cancellation (see lifecycle.py)

INSTANCE_SUSPENDED = "suspended"


def saved_status(row: ProcessInstance, instance: Instance, status: str | None = None) -> str:
    """The status a save writes: the one asked for, else the engine's (cancelled, completed, running), keeping
    a suspension until it is lifted explicitly."""
    if status is not None:
        return status
    engine_status = "cancelled" if instance.cancelled else "completed" if instance.completed else "running"
    if row.status == INSTANCE_SUSPENDED and engine_status == "running":
        return INSTANCE_SUSPENDED
    return engine_status
