"""Timers fire only when asked: `flask tick` (cron) loads the instances that are due and runs them."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from workflows.engine import ProcessRuntimeError

from ..diagram_messages import describe_runtime_error
from ..extensions import db, lock_for_write
from ..models import ProcessInstance, utcnow
from .errors import Conflict
from .notifications import dispatch
from .process import INSTANCE_SUSPENDED, restore, save_instance
from .process_errors import TIMER, record_failure, resolve_open

log = logging.getLogger(__name__)


def due_instance_ids(limit: int = 500) -> list[int]:
    """Instances whose earliest timer is due, earliest first."""
    now = utcnow()  # strictly before: the engine fires a timer once its instant has passed
    return list(
        db.session.scalars(
            select(ProcessInstance.id)
            .where(ProcessInstance.next_timer_due.is_not(None), ProcessInstance.next_timer_due < now)
            .order_by(ProcessInstance.next_timer_due)
            .limit(limit)
        )
    )


def fire_timers(instance_id: int) -> bool:
    """Runs one instance's due timers; False when there was nothing to do (another host fired them first) or
    the diagram refused the step (kept as a process error, the instance as it was). The caller commits (one
    instance per transaction)."""
    return fire(instance_id).fired


@dataclass(frozen=True)
class Fired:
    fired: bool
    error_id: int | None = None  # the process error a failing step was stored as
    suspended: bool = False


def fire(instance_id: int, *, retrying: int | None = None) -> Fired:
    """fire_timers, saying why nothing fired; `retrying` is the timer error a designer retries."""
    row = db.session.get(ProcessInstance, instance_id)
    if row is None:
        return Fired(False)
    if row.status == INSTANCE_SUSPENDED:  # a suspended case's timers wait for its resumption
        return Fired(False, suspended=True)
    case_id = row.case_id
    instance = restore(row)
    try:
        messages = instance.fire_due_timers()  # scripts run before the write lock is taken
    except ProcessRuntimeError as exc:
        log.warning("case instance %s: timer step refused: %s", instance_id, describe_runtime_error(exc))
        return Fired(False, error_id=record_failure(exc, case_id, retrying=retrying))  # (committed)
    lock_for_write()
    try:  # compare-and-set: another host that fired it meanwhile makes this a no-op
        save_instance(row, instance)
    except Conflict:
        return Fired(False)
    dispatch(row.case, messages)
    if instance.completed and row.case.status == "active":
        row.case.status, row.case.stage = "completed", "completed"
    if retrying is None:  # (a retry closes its own error, naming who retried)
        resolve_open(case_id, None, "fired", kind=TIMER)  # the step that failed went through this time
    return Fired(True)
