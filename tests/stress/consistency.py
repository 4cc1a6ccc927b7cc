"""What must hold after workers and masters were killed mid-request (each check counts inconsistencies):

- every instance's open inbox rows are exactly the engine's ready user tasks in the restored instance;
- every case has its process instance;
- every completion a client was told succeeded is stored as completed;
- the ledger of the kill scenario's case holds every acknowledged entry, and nothing beyond the requests whose
  answer was lost, and each entry has its audit event;
- after a final tick, no email is left half way (claimed, pending or failed with the SMTP server up);
- the API's inbox count equals the open rows, and listed receipt and hearing tasks can be completed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from flask import Flask
from sqlalchemy import func

from webapp.models import AuditEvent, Case, HoursEntry, HumanTask, OutboxEmail, ProcessInstance
from webapp.operations.process import restore

from .client import Api
from .database import session
from .flows import HEARING, complete

FINAL_EMAIL_STATES = ("sent", "kept")


@dataclass
class LedgerClaims:
    """What the clients know about the entries they posted on one case: acknowledged or outcome unknown."""

    case_id: int
    acknowledged: list[Decimal] = field(default_factory=list)
    unknown: list[Decimal] = field(default_factory=list)


@dataclass
class ConsistencyReport:
    counts: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    email_states: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def fail(self, check: str, note: str) -> None:
        self.counts[check] += 1
        if len(self.notes) < 30:
            self.notes.append(f"  {check}: {note}")

    def lines(self) -> list[str]:
        checks = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())) or "none"
        states = ", ".join(f"{k} {v}" for k, v in sorted(self.email_states.items()))
        return [f"inconsistencies: {self.total} ({checks})", f"outbox after the final tick: {states}", *self.notes]


def engine_matches_inbox(app: Flask, report: ConsistencyReport) -> int:
    checked = 0
    with session(app) as s:
        open_rows: dict[int, set[str]] = {}
        for instance_id, engine_task_id in s.query(HumanTask.instance_id, HumanTask.engine_task_id).filter(
            HumanTask.status == "open"
        ):
            open_rows.setdefault(instance_id, set()).add(str(engine_task_id))
        for row in s.query(ProcessInstance).order_by(ProcessInstance.id):
            checked += 1
            try:
                ready = {str(t.id) for t in restore(row).ready_user_tasks()}
            except Exception as exc:  # a state that no longer restores is itself the finding
                report.fail("instance does not restore", f"instance {row.id}: {type(exc).__name__}: {exc}")
                continue
            rows = open_rows.get(row.id, set())
            if ready != rows:
                report.fail(
                    "inbox differs from engine",
                    f"instance {row.id} (case {row.case_id}): ready not listed {sorted(ready - rows)}, "
                    f"listed not ready {sorted(rows - ready)}",
                )
        orphans = s.query(Case.id).outerjoin(ProcessInstance, ProcessInstance.case_id == Case.id)
        for (case_id,) in orphans.filter(ProcessInstance.id.is_(None)):
            report.fail("case without instance", f"case {case_id}")
    return checked


def acknowledged_completions(app: Flask, task_ids: set[int], report: ConsistencyReport) -> None:
    with session(app) as s:
        for task_id, status in s.query(HumanTask.id, HumanTask.status).filter(HumanTask.id.in_(task_ids)):
            if status != "completed":
                report.fail("acknowledged completion not stored", f"task {task_id} is {status}")
            task_ids = task_ids - {task_id}
        for task_id in sorted(task_ids):
            report.fail("acknowledged completion not stored", f"task {task_id} does not exist")


def ledger(app: Flask, claims: LedgerClaims, report: ConsistencyReport) -> None:
    with session(app) as s:
        rows = s.query(HoursEntry.hours).filter(HoursEntry.case_id == claims.case_id).all()
        stored = [Decimal(str(h)) for (h,) in rows]
        audited = (
            s.query(func.count(AuditEvent.id))
            .filter(AuditEvent.case_id == claims.case_id, AuditEvent.action == "hours_logged")
            .scalar()
        )
    acked, unknown = claims.acknowledged, claims.unknown
    if not (len(acked) <= len(stored) <= len(acked) + len(unknown)):
        report.fail("ledger entries", f"{len(stored)} stored; {len(acked)} acknowledged, {len(unknown)} unknown")
    if not (sum(acked) <= sum(stored) <= sum(acked) + sum(unknown)):
        report.fail("ledger sum", f"{sum(stored)} h stored; {sum(acked)} h acknowledged, {sum(unknown)} h unknown")
    if audited != len(stored):
        report.fail("ledger audit", f"{len(stored)} entries but {audited} hours_logged events")


def emails_settled(app: Flask, report: ConsistencyReport) -> None:
    with session(app) as s:
        for status, sent_at, email_id in s.query(OutboxEmail.status, OutboxEmail.sent_at, OutboxEmail.id):
            report.email_states[status] += 1
            if status not in FINAL_EMAIL_STATES:
                report.fail("email left half way", f"outbox row {email_id} is {status!r} after the final tick")
            elif status == "sent" and sent_at is None:
                report.fail("email left half way", f"outbox row {email_id} is sent without sent_at")


def api_matches(app: Flask, staff: Api, report: ConsistencyReport, sample: int) -> None:
    with session(app) as s:
        open_count = s.query(func.count(HumanTask.id)).filter(HumanTask.status == "open").scalar()
    body = staff.get("/tasks?per_page=1").json() or {}
    if body.get("total") != open_count:
        report.fail("API inbox total", f"GET /tasks total {body.get('total')} but {open_count} open rows")
    for stage, payload in (("receipt", {"sealed_pdf_confirmed": True}), ("hearing", HEARING)):
        listed = staff.get(f"/tasks?stage={stage}&per_page={sample}").json() or {}
        for task in listed.get("tasks", []):
            response = complete(staff, task["id"], payload)
            if not response.ok:
                report.fail("listed task not completable",
                            f"{stage} task {task['id']}: HTTP {response.status} {response.excerpt(120)}")  # fmt: skip
