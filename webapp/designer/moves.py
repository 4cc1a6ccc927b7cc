"""Moving running cases to a deployed version, several in one action: each case is checked again and moved in a
savepoint of its own, so one that cannot move (or fails) stays on its version and the others go on. The inbox
rows follow in the same transaction (the tasks keep their ids, so the open rows stay valid)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from flask_babel import gettext as _
from sqlalchemy import Table, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from workflows.migration import check, migrate

from ..extensions import db
from ..models import ProcessInstance, ProcessVersion, User
from ..operations.audit import record
from ..operations.errors import OperationError
from ..operations.process import INSTANCE_SUSPENDED, definition_for, restore, save_instance
from .check import reason

_instances = cast(Table, ProcessInstance.__table__)


@dataclass(frozen=True)
class MoveResult:
    case_id: int
    case_number: str
    moved: bool
    message: str


def move_cases(target: ProcessVersion, case_ids: list[int] | None, actor: User) -> list[MoveResult]:
    """Moves the given running cases (None: every running case on another version) to `target`."""
    definition = definition_for(target)
    query = (
        select(ProcessInstance)
        .where(ProcessInstance.status.in_(("running", INSTANCE_SUSPENDED)))
        .where(ProcessInstance.process_version_id != target.id)
        .options(joinedload(ProcessInstance.case), joinedload(ProcessInstance.process_version))
        .order_by(ProcessInstance.case_id)
    )
    if case_ids is not None:
        query = query.where(ProcessInstance.case_id.in_(case_ids))
    results = []
    for row in db.session.scalars(query).all():
        number, before = row.case.number, row.process_version.version
        savepoint = db.session.begin_nested()
        try:
            instance = restore(row)
            blockers = check(instance, definition).blockers
            if blockers:
                savepoint.rollback()
                results.append(MoveResult(row.case_id, number, False, " ".join(reason(b) for b in blockers)))
                continue
            save_instance(row, migrate(instance, definition))
            db.session.execute(update(_instances).where(_instances.c.id == row.id).values(process_version_id=target.id))
            set_committed_value(row, "process_version_id", target.id)
            record(actor, row.case, "case_migrated", before={"version": before}, after={"version": target.version})
            savepoint.commit()
        except OperationError as exc:  # e.g. someone completed a task of this case meanwhile
            savepoint.rollback()
            results.append(MoveResult(row.case_id, number, False, exc.message))
            continue
        results.append(
            MoveResult(
                row.case_id, number, True, _("v%(old)d から v%(new)d に移行しました。", old=before, new=target.version)
            )
        )
    return results
