"""Audit events: who did what, when, with before/after."""

from __future__ import annotations

import json
from typing import Any

from ..extensions import db
from ..models import AuditEvent, Case, User


def record(
    actor: User | None,
    case: Case | None,
    action: str,
    *,
    detail: str | None = None,
    before: Any = None,
    after: Any = None,
    on_behalf: bool = False,
    subject: User | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        case_id=case.id if case else None,
        action=action,
        detail=detail,
        before_json=json.dumps(before, ensure_ascii=False, default=str) if before is not None else None,
        after_json=json.dumps(after, ensure_ascii=False, default=str) if after is not None else None,
        on_behalf=on_behalf,
        subject_id=subject.id if subject else None,
    )
    db.session.add(event)
    return event
