"""Training sessions (B) and consultations (A) as records: what was delivered, to whom, in which language; the
hours go to the ledger from the same form (one entry, linked to the record)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Case, HoursEntry, ServiceSession, User
from ..permissions import ledger_countries
from .hours import add_entry, require_logger
from .service_period import require_in_period, require_service_open

# The ledger's kind of work for a session's hours: a lecture at a training, else the way the consultation was held.
ACTIVITY_FOR_MODE = {"onsite": "meeting", "web": "web_meeting", "phone": "phone", "email": "email"}


def session_activity(kind: str, mode: str) -> str:
    return "training_lecture" if kind == "training" else ACTIVITY_FOR_MODE[mode]


def record_session(user: User, case: Case, data: dict[str, Any]) -> tuple[ServiceSession, HoursEntry]:
    """Records one session and its hours (add_entry checks who, the open service, the period, the cap and the
    follow-up's reservation; a refusal leaves neither)."""
    require_logger(user, case, data["country"])
    require_service_open(case, data["country"])
    require_in_period(case, data["held_on"], "held_on", _("実施日"))
    training = data["kind"] == "training"
    session = ServiceSession(
        case_id=case.id,
        country=data["country"],
        kind=data["kind"],
        held_on=data["held_on"] if isinstance(data["held_on"], date) else date.fromisoformat(str(data["held_on"])),
        mode=data["mode"],
        place=data.get("place") or None,
        items_json=json.dumps(data.get("topics") if training else data.get("items"), ensure_ascii=False),
        other_item=None if training else (data.get("other_item") or None),
        audiences_json=json.dumps(data.get("audiences") or []),
        language=data.get("language") or None,
        interpreter=bool(data.get("interpreter")),
        attendees=data.get("attendees"),
        expert_id=user.id,
    )
    entry_data = {
        "country": data["country"],
        "work_date": data["held_on"],
        "activity": session_activity(data["kind"], data["mode"]),
        "hours": data["hours"],
        "note": data.get("note"),
        "confirm_reserved": data.get("confirm_reserved"),
    }
    db.session.add(session)
    db.session.flush()
    entry = add_entry(user, case, entry_data, session_id=session.id)
    return session, entry


def case_sessions(user: User, case: Case) -> list[ServiceSession]:
    query = (
        select(ServiceSession)
        .where(ServiceSession.case_id == case.id, ServiceSession.country.in_(ledger_countries(user, case)))
        .options(selectinload(ServiceSession.expert))
        .order_by(ServiceSession.held_on.desc(), ServiceSession.id.desc())
    )
    return list(db.session.scalars(query))
