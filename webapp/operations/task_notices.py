"""Task emails: a task entering someone's queue, a task assigned to someone, and the daily digest of due and
overdue tasks (sent by `flask tick`). All go through the outbox, written in the caller's transaction and sent
after commit; each user can turn them off on the settings page (User.notify_tasks, User.notify_digest).

The queue rule is the inbox's: staff get the staff lane's tasks, an expert the expert lane's tasks of their
countries, an applicant their own company's tasks. The new-task notice runs inside sync_human_tasks, so it
reads only plain columns (one query for the recipients) and writes one insert for the whole new task set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Table, exists, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from workflows.editions import get_edition

from ..extensions import db, lock_for_write
from ..mail import outbox_row, public_url, queue_emails
from ..models import Case, CaseStatus, HumanTask, Role, TaskDigest, TaskStatus, User, utcnow

_RECIPIENT = (User.id, User.email, User.display_name, User.role, User.countries_csv, User.company_id)
QUEUE_ROLES = (Role.STAFF.value, Role.EXPERT.value, Role.APPLICANT.value)


def _zone() -> ZoneInfo:
    return ZoneInfo(str(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Tokyo"))


def in_queue_of(user: Any, role: str, country: str | None, company_id: int | None) -> bool:
    """Whether a task of that lane (and country, and company) is in the user's queue; `user` is a User or a row
    of its columns."""
    if user.role != role:
        return False
    if role == Role.EXPERT:
        return country is not None and country in user.countries_csv.split(",")
    if role == Role.APPLICANT:
        return user.company_id is not None and user.company_id == company_id
    return role == Role.STAFF


def _recipients(flag: Any, roles: Iterable[str], company_id: int | None = None, *more: Any) -> Sequence[Any]:
    query = select(*_RECIPIENT).where(
        User.active.is_(True), flag.is_(True), User.email.is_not(None), User.email != "", User.role.in_(list(roles))
    )
    query = query.where(*more)
    if company_id is not None:
        query = query.where(or_(User.role != Role.APPLICANT.value, User.company_id == company_id))
    return db.session.execute(query.order_by(User.id)).all()


def _country_name(edition_code: str, code: str | None) -> str:
    edition = get_edition(edition_code)
    country = edition.country(code) if edition and code else None
    return country.name_ja if country else (code or "")


def _due_text(due_at: datetime | None) -> str:
    return f"{due_at.astimezone(_zone()):%Y-%m-%d}" if due_at else ""


def _task_lines(tasks: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {
            "title": t.title,
            "country": _country_name(t.edition, t.country),
            "due": _due_text(t.due_at),
            "link": public_url("tasks.show", task_id=t.id),
        }
        for t in tasks
    ]


# ---------------------------------------------------------------- a new task set (from sync_human_tasks)


def notify_new_tasks(case: Case, inserted: list[dict[str, Any]]) -> None:
    """One email per recipient listing the new tasks in their queue; one outbox insert for them all."""
    roles = {values["role"] for values in inserted} & set(QUEUE_ROLES)
    if not roles:
        return
    tasks = [SimpleNamespace(**values) for values in inserted]  # the shape of a HumanTask row
    rows = []
    for user in _recipients(User.notify_tasks, roles, case.company_id):
        mine = [t for t in tasks if in_queue_of(user, t.role, t.country, case.company_id)]
        if mine:
            rows.append(
                outbox_row(
                    "task_queued",
                    user.email,
                    None,
                    user_name=user.display_name,
                    number=case.number,
                    company=case.company.name,
                    tasks=_task_lines(mine),
                    settings_link=public_url("account.settings"),
                )
            )
    queue_emails(rows)


# ---------------------------------------------------------------- assigned by someone else


def notify_assigned(actor: User, task: HumanTask, assignee: User) -> None:
    """A lead handed the task to `assignee` (claiming a task oneself sends nothing)."""
    if assignee.id == actor.id or not assignee.notify_tasks or not assignee.email or not assignee.active:
        return
    row = outbox_row(
        "task_assigned",
        assignee.email,
        None,
        user_name=assignee.display_name,
        actor=actor.display_name,
        number=task.case.number,
        company=task.company_name,
        task=_task_lines([task])[0],
        settings_link=public_url("account.settings"),
    )
    queue_emails([row])


# ---------------------------------------------------------------- the daily digest (flask tick)


def digest_day(now: datetime | None = None) -> date | None:
    """The (Japan) day whose digest is due now, or None before DIGEST_HOUR."""
    local = (now or utcnow()).astimezone(_zone())
    return local.date() if local.hour >= int(current_app.config["DIGEST_HOUR"]) else None


def send_digests() -> int:
    """Queues today's digest for every user with due (today or earlier) open tasks who has not had it today;
    returns how many. Each user's day is claimed in task_digest first (insert, skipping rows that exist), so
    repeated or concurrent ticks queue it once. The caller commits."""
    day = digest_day()
    if day is None:
        return 0
    done_today = exists().where(TaskDigest.user_id == User.id, TaskDigest.day == day)
    users = _recipients(User.notify_digest, QUEUE_ROLES, None, ~done_today)
    if not users:
        return 0
    end = datetime.combine(day + timedelta(days=1), time(), _zone())
    tasks = db.session.execute(
        select(
            HumanTask.id,
            HumanTask.title,
            HumanTask.role,
            HumanTask.country,
            HumanTask.edition,
            HumanTask.company_name,
            HumanTask.assignee_id,
            HumanTask.due_at,
            Case.number,
            Case.company_id,
        )  # fmt: skip
        .join(Case, Case.id == HumanTask.case_id)
        .where(
            HumanTask.status == TaskStatus.OPEN.value,
            HumanTask.due_at.is_not(None),
            HumanTask.due_at < end,
            Case.status == CaseStatus.ACTIVE.value,  # a suspended case's due dates move on resumption
        )
        .order_by(HumanTask.due_at, HumanTask.id)
    ).all()
    lists = {u.id: [t for t in tasks if _is_theirs(u, t)] for u in users}
    wanted = [user_id for user_id, mine in lists.items() if mine]
    if not wanted:
        return 0  # most ticks of a day: read only, no write lock
    lock_for_write()  # SQLite: ticks take turns from here; the claim skips rows another tick wrote meanwhile
    claimed = _claim(day, wanted)
    start = datetime.combine(day, time(), _zone())
    rows = [
        outbox_row(
            "task_digest",
            user.email,
            None,
            user_name=user.display_name,
            day=f"{day:%Y-%m-%d}",
            tasks=[
                {**line, "number": t.number, "company": t.company_name, "overdue": t.due_at < start}
                for t, line in zip(lists[user.id], _task_lines(lists[user.id]), strict=True)
            ],
            settings_link=public_url("account.settings"),
        )
        for user in users
        if user.id in claimed
    ]
    queue_emails(rows)
    return len(rows)


def _is_theirs(user: Any, task: Any) -> bool:
    """Assigned to them, or unassigned in their queue."""
    if task.assignee_id is not None:
        return bool(task.assignee_id == user.id)
    return in_queue_of(user, task.role, task.country, task.company_id)


def _claim(day: date, user_ids: list[int]) -> set[int]:
    table = cast(Table, TaskDigest.__table__)
    dialect_insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    # In user id order (the recipients' order): two ticks inserting the same rows never wait on each other
    # crosswise; the second waits for the first to commit, then skips every row.
    statement = (
        dialect_insert(table)
        .values([{"user_id": user_id, "day": day, "queued_at": now} for user_id in user_ids])
        .on_conflict_do_nothing()
        .returning(table.c.user_id)
    )
    return set(db.session.scalars(statement))
