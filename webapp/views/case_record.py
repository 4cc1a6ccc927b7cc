"""The case record: what the application and each completed step recorded, labelled by the form that asked it.

The answers are shown through the same form classes that took them (forms/registry.py), filled with what was
submitted, so a label, a choice's name and a country's name read as they did on the form. A step that decides
on earlier steps (the adoption decision on the hearing, the plan's confirmation on the expert's briefing, the
publicity on the service and follow-up) shows those steps' records on its task page (DECIDES_ON)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import BooleanField, Field, FieldList, FormField, RadioField, SelectField, SelectMultipleField
from wtforms.csrf.core import CSRFTokenField

from forms import FORM_CLASSES, TaskContext
from workflows.editions import get_edition, load_editions

from ..extensions import db
from ..models import AuditEvent, Case, HumanTask, TaskStatus, User
from ..permissions import visible_tasks_clause

# form key -> the earlier steps (form keys) whose records the task shows; per-country steps match the country
DECIDES_ON: dict[str, tuple[str, ...]] = {
    "adoption_decision": ("hearing",),
    "plan_confirmation": ("expert_briefing",),
    "publicity": ("service_delivery", "follow_up"),
}


@dataclass(frozen=True)
class RecordRow:
    label: str
    value: str
    depth: int = 0  # rows of a group (a country's site, a list row) are indented under it


@dataclass(frozen=True)
class StepRecord:
    title: str
    stage: str
    country: str | None
    who: str | None
    at: datetime | None
    rows: list[RecordRow]
    task_id: int | None = None


def answer_rows(form_key: str, context: TaskContext, data: dict[str, Any]) -> list[RecordRow]:
    """The answers as label/value rows, through the form that asked them (no request data is read)."""
    form_class = FORM_CLASSES.get(form_key)
    if form_class is None:
        return [RecordRow(key, _display_plain(value)) for key, value in data.items()]
    form = form_class(formdata=None, context=context, data=data, meta={"csrf": False})
    return list(_rows(form, 0))


def _rows(fields: Iterable[Field], depth: int) -> Iterator[RecordRow]:
    for field in fields:
        if isinstance(field, CSRFTokenField) or field.type in ("SubmitField", "FileField", "HiddenField"):
            continue
        label = str(field.label.text)
        if isinstance(field, FormField):
            inner = list(_rows(field.form, depth + 1))
            if inner:
                yield RecordRow(label, "", depth)
                yield from inner
        elif isinstance(field, FieldList):
            for number, entry in enumerate(field.entries, start=1):
                inner = list(_rows(entry.form if isinstance(entry, FormField) else [entry], depth + 1))
                if inner:
                    yield RecordRow(f"{label} {number}", "", depth)
                    yield from inner
        else:
            value = _display(field)
            if value:
                yield RecordRow(label, value, depth)


def _display(field: Field) -> str:
    data = field.data
    if isinstance(field, BooleanField):
        return _("はい") if data else _("いいえ")
    if isinstance(field, SelectMultipleField):
        names = dict((str(value), str(label)) for value, label, *_rest in field.iter_choices())
        return "、".join(names.get(str(v), str(v)) for v in data or ())
    if isinstance(field, SelectField | RadioField):
        names = dict((str(value), str(label)) for value, label, *_rest in field.iter_choices())
        return names.get(str(data), str(data)) if data not in (None, "") else ""
    return _display_plain(data)


def _display_plain(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | float):
        return f"{Decimal(str(value)).normalize():f}"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# ---------------------------------------------------------------- a case's record


def application_record(case: Case) -> StepRecord:
    context = TaskContext(edition=get_edition(case.edition), editions=load_editions())
    return StepRecord(
        title=_("申込書"),
        stage="receipt",
        country=None,
        who=None,
        at=None,
        rows=answer_rows("application", context, case.application),
    )


def step_records(user: User, case: Case, *, form_keys: Iterable[str] | None = None) -> list[StepRecord]:
    """The completed steps the user may see, in the order they were completed."""
    query = select(HumanTask).where(
        HumanTask.case_id == case.id, HumanTask.status == TaskStatus.COMPLETED.value, visible_tasks_clause(user)
    )
    if form_keys is not None:
        query = query.where(HumanTask.form_key.in_(tuple(form_keys)))
    tasks = list(db.session.scalars(query.order_by(HumanTask.completed_at, HumanTask.id)))
    legacy = _answers_in_history(case) if any(t.submitted_json is None for t in tasks) else {}
    return [_record(task, legacy) for task in tasks]


def task_record(task: HumanTask) -> StepRecord | None:
    """A completed task's own record (its page opens read-only)."""
    if task.status != TaskStatus.COMPLETED.value:
        return None
    legacy = _answers_in_history(task.case) if task.submitted_json is None else {}
    return _record(task, legacy)


def decided_on(user: User, task: HumanTask) -> list[StepRecord]:
    """The earlier steps a deciding task shows beside its form (the same country's, for a per-country task)."""
    keys = DECIDES_ON.get(task.form_key)
    if not keys:
        return []
    records = step_records(user, task.case, form_keys=keys)
    return [r for r in records if task.country is None or r.country in (None, task.country)]


def _record(task: HumanTask, legacy: dict[tuple[str, int], dict[str, Any]]) -> StepRecord:
    stored = json.loads(task.submitted_json) if task.submitted_json is not None else None
    data = stored if stored is not None else legacy.get((task.title, task.id), {})
    context = TaskContext(
        edition=get_edition(task.edition),
        country=task.country,
        countries=tuple(task.case.country_codes),
    )
    return StepRecord(
        title=task.title,
        stage=task.stage,
        country=task.country,
        who=task.completed_by.display_name if task.completed_by else None,
        at=task.completed_at,
        rows=answer_rows(task.form_key, context, data),
        task_id=task.id,
    )


def _answers_in_history(case: Case) -> dict[tuple[str, int], dict[str, Any]]:
    """For tasks completed before their answers were kept on the task: the history's "task_completed" events,
    matched to the completed tasks of the same title in the order both happened."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.case_id == case.id, AuditEvent.action == "task_completed")
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    tasks = db.session.scalars(
        select(HumanTask)
        .where(HumanTask.case_id == case.id, HumanTask.status == TaskStatus.COMPLETED.value)
        .order_by(HumanTask.completed_at, HumanTask.id)
    ).all()
    pending: dict[str, list[int]] = {}
    for task in tasks:
        pending.setdefault(task.title, []).append(task.id)
    answers: dict[tuple[str, int], dict[str, Any]] = {}
    for event in events:
        ids = pending.get(event.detail or "")
        if ids and event.after_json:
            answers[(event.detail or "", ids.pop(0))] = json.loads(event.after_json)
    return answers
