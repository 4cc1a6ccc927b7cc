"""Timers fire only when asked: `flask tick` (cron) loads the instances that are due and runs them."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import begin_write, db
from ..models import ProcessInstance, utcnow
from .errors import Conflict
from .notifications import dispatch
from .process import restore, save_instance


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
        begin_write()
        row = db.session.get(ProcessInstance, instance_id)
        if row is None:
            continue
        instance = restore(row)
        messages = instance.fire_due_timers()
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
