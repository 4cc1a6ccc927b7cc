"""Process versions and instances: deploy, load, save (compare-and-set) and keep the inbox in step."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm.attributes import set_committed_value

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

MAIN_PROCESS = "trade_secret_support"
_definitions: dict[str, Definition] = {}

# Days a task may stay open before it is overdue; service stages run to the support-period end.
TASK_DUE_DAYS = {"receipt": 3, "hearing": 14, "adoption": 7, "briefing": 21, "plan": 14, "publicity": 30}
STAGE_ORDER = ("receipt", "hearing", "adoption", "forms", "briefing", "plan", "service", "follow_up", "publicity")


def known_form_keys() -> list[str]:
    return sorted(FORM_CLASSES)


# ---------------------------------------------------------------- versions


def deploy_files(files: dict[str, str], actor: User | None) -> tuple[ProcessVersion, bool]:
    """Validates and deploys BPMN/DMN sources; returns (version, created). Same sources: no new version."""
    import tempfile

    files = _normalised_names(files)
    source_hash = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    latest = latest_version()
    if latest is not None and latest.source_hash == source_hash:
        return latest, False
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, text in files.items():
            path = Path(tmp) / Path(name).name
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        definition = parse_definition(
            MAIN_PROCESS,
            [p for p in paths if p.suffix == ".bpmn"],
            [p for p in paths if p.suffix == ".dmn"],
            known_form_keys(),
        )
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
    return Instance.restore(definition_for(row.process_version), row.state_json)


def save_instance(row: ProcessInstance, instance: Instance) -> None:
    """Compare-and-set on lock_version: of two concurrent writers only one succeeds."""
    values = {
        "state_json": instance.dump(),
        "lock_version": row.lock_version + 1,
        "status": "completed" if instance.completed else "running",
        "next_timer_due": instance.next_timer_due(),
        "updated_at": utcnow(),
    }
    result = db.session.execute(
        update(ProcessInstance)
        .where(ProcessInstance.id == row.id, ProcessInstance.lock_version == row.lock_version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult, result).rowcount != 1:
        raise Conflict(_("この案件は他の人が同時に更新しました。画面を再読み込みしてからやり直してください。"))
    for key, value in values.items():  # the row now holds what was written; no reload needed
        set_committed_value(row, key, value)
    sync_human_tasks(row, instance)


def sync_human_tasks(row: ProcessInstance, instance: Instance) -> None:
    """Makes the open human_task rows equal to the engine's ready user tasks."""
    case = row.case
    edition = get_edition(case.edition)
    ready_tasks = instance.ready_user_tasks()
    ready = {t.id: t for t in ready_tasks}
    open_rows = db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == row.id, HumanTask.status == TaskStatus.OPEN.value)
    ).all()
    for task_row in open_rows:
        if task_row.engine_task_id not in ready:
            task_row.status = TaskStatus.CANCELLED.value  # e.g. a timer closed the service period
        else:
            ready.pop(task_row.engine_task_id)
    for info in ready.values():
        db.session.add(_task_row(row, case, info, edition))
    db.session.flush()
    case.stage = _case_stage(case, instance, {t.stage for t in ready_tasks})


def _task_row(row: ProcessInstance, case: Case, info: UserTaskInfo, edition: Edition | None) -> HumanTask:
    return HumanTask(
        instance_id=row.id,
        case_id=case.id,
        engine_task_id=info.id,
        element_id=info.name,
        title=info.title,
        form_key=info.form_key,
        stage=info.stage,
        role=info.role,
        country=info.country,
        edition=case.edition,
        company_name=case.company.name,
        due_at=_due_at(info.stage, edition),
    )


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
