"""Timers fire only when asked: `flask tick` (cron) loads the instances that are due and runs them."""

from __future__ import annotations

import logging

from sqlalchemy import select

from workflows.engine import ProcessRuntimeError

from ..diagram_messages import describe_runtime_error
from ..extensions import db, lock_for_write
from ..models import ProcessInstance, utcnow
from .errors import Conflict
from .notifications import dispatch
from .process import restore, save_instance

log = logging.getLogger(__name__)


def fire_due_timers(limit: int = 500) -> int:
    """Runs every instance whose earliest timer is due; returns how many were advanced."""
    now = utcnow()  # strictly before: the engine fires a timer once its instant has passed
    due_ids = db.session.scalars(
        select(ProcessInstance.id)
        .where(ProcessInstance.next_timer_due.is_not(None), ProcessInstance.next_timer_due < now)
        .order_by(ProcessInstance.next_timer_due)
        .limit(limit)
    ).all()
    advanced = 0
    db.session.commit()
    for instance_id in due_ids:
        row = db.session.get(ProcessInstance, instance_id)
        if row is None:
            continue
        seen_version = row.lock_version
        instance = restore(row)
        try:
            messages = instance.fire_due_timers()  # scripts run before the write lock is taken
        except ProcessRuntimeError as exc:
            db.session.rollback()
            log.warning("case instance %s: timer step refused: %s", instance_id, describe_runtime_error(exc))
            continue
        lock_for_write()
        if row.lock_version != seen_version:  # another host fired it meanwhile
            db.session.rollback()
            continue
        try:
            save_instance(row, instance)  # another host may have fired it first: skip then
        except Conflict:
            db.session.rollback()
            continue
        dispatch(row.case, messages)
        if instance.completed and row.case.status == "active":
            row.case.status, row.case.stage = "completed", "completed"
        db.session.commit()
        advanced += 1
    return advanced
