"""The inbox as the number of open cases grows: the query, the API list, and the HTML pages.

Cases beyond a few real ones are bulk-inserted rows (company, case, case country, process instance, two
human tasks: a completed receipt and one open task at some stage); the inbox never reads instance state,
so they share the deployed process version and carry a tiny state_json.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event, func, insert, select
from werkzeug.datastructures import FileStorage

from tests.fixtures import PASSWORD
from tests.web.lifecycle import PDF, application
from webapp.extensions import db
from webapp.models import Case, CaseCountry, Company, HumanTask, ProcessInstance, User
from webapp.operations import cases
from webapp.operations.process import TASK_DUE_DAYS, latest_version
from webapp.queries import count_limit, count_tasks, inbox_filters, inbox_query
from workflows.editions import get_edition
from workflows.engine import SERIALIZER_VERSION

from .harness import BENCH_NOW, Stats, repeat, user

REAL_CASES = 3
CHUNK = 10_000
COUNTRIES = ("CN", "TH", "VN", "ID")
# (form_key, stage, role, per country): one open task per bulk case, cycling through the lifecycle.
OPEN_TASKS = (
    ("receipt_confirmation", "receipt", "staff", False),
    ("hearing", "hearing", "staff", False),
    ("adoption_decision", "adoption", "staff", False),
    ("forms_submission", "forms", "applicant", False),
    ("expert_briefing", "briefing", "expert", True),
    ("plan_confirmation", "plan", "staff", True),
    ("service_delivery", "service", "expert", True),
    ("follow_up", "follow_up", "expert", True),
    ("publicity", "publicity", "staff", False),
)


def register_real_cases(app: Flask) -> int:
    """A few cases through the operations layer (this also deploys the process); returns one case id."""
    with app.test_request_context():
        staff = user("staff")
        ids = []
        for _ in range(REAL_CASES):
            pdf = FileStorage(io.BytesIO(PDF), "application.pdf", content_type="application/pdf")
            data = application("FY2025", ["CN", "VN"], "2025-07-01")
            ids.append(cases.register_application(staff, data, {"sealed_pdf": pdf}).id)
        db.session.commit()
        return ids[0]


def case_count() -> int:
    return db.session.scalar(select(func.count(Case.id))) or 0


def grow_to(app: Flask, total_cases: int) -> None:
    """Bulk-inserts cases until there are `total_cases` (all open)."""
    with app.app_context():
        version_id = latest_version().id  # type: ignore[union-attr]
        start = case_count()
        first_ids = {m: (db.session.scalar(select(func.max(m.id))) or 0) + 1 for m in (Company, Case, HumanTask)}
        first_ids[CaseCountry] = (db.session.scalar(select(func.max(CaseCountry.id))) or 0) + 1
        first_ids[ProcessInstance] = (db.session.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
        staff_id = db.session.scalar(select(User.id).where(User.username == "staff"))
        for chunk_start in range(start, total_cases, CHUNK):
            count = min(CHUNK, total_cases - chunk_start)
            rows = _rows(chunk_start, count, first_ids, version_id, staff_id)
            connection = db.session.connection()
            for model in (Company, Case, CaseCountry, ProcessInstance, HumanTask):
                connection.execute(insert(model.__table__), rows[model])  # Core executemany: no ORM bookkeeping
            for model in first_ids:
                first_ids[model] += len(rows[model])
            db.session.commit()


def _rows(offset: int, count: int, first: dict[Any, int], version_id: int, staff_id: int) -> dict[Any, list[dict]]:
    edition = get_edition("FY2025")
    assert edition is not None
    rows: dict[Any, list[dict]] = {m: [] for m in (Company, Case, CaseCountry, ProcessInstance, HumanTask)}
    for i in range(count):
        seq = offset + i
        company_id, case_id = first[Company] + i, first[Case] + i
        instance_id = first[ProcessInstance] + i
        created = BENCH_NOW - timedelta(minutes=seq % 50_000)
        country = COUNTRIES[seq % len(COUNTRIES)]
        form_key, stage, role, per_country = OPEN_TASKS[seq % len(OPEN_TASKS)]
        name = f"ベンチ株式会社{seq:06d}"
        rows[Company].append({"id": company_id, "name": name, "contact_name": "担当 太郎",
                              "contact_email": f"c{seq}@example.jp", "created_at": created})  # fmt: skip
        rows[Case].append({"id": case_id, "number": f"BENCH-{seq:06d}", "edition": "FY2025", "company_id": company_id,
                           "received_on": created.date(), "status": "active", "stage": stage,
                           "application_json": "{}", "ineligible_reasons_json": "[]", "created_at": created})  # fmt: skip
        rows[CaseCountry].append({"id": first[CaseCountry] + i, "case_id": case_id, "country": country,
                                  "position": 0, "hour_cap": edition.hour_cap(country)})  # fmt: skip
        rows[ProcessInstance].append({"id": instance_id, "case_id": case_id, "process_version_id": version_id,
                                      "state_json": "{}", "serializer_version": SERIALIZER_VERSION, "lock_version": 3,
                                      "status": "running", "next_timer_due": None, "updated_at": created})  # fmt: skip
        common = {"instance_id": instance_id, "case_id": case_id, "edition": "FY2025", "company_name": name}
        rows[HumanTask].append({**common, "id": first[HumanTask] + 2 * i, "engine_task_id": f"{case_id:032x}",
                                "element_id": "receipt_confirmation", "title": "受領確認",
                                "form_key": "receipt_confirmation", "stage": "receipt", "role": "staff",
                                "country": None, "status": "completed", "due_at": created + timedelta(days=3),
                                "created_at": created, "completed_at": created + timedelta(hours=1),
                                "completed_by_id": staff_id})  # fmt: skip
        due = edition.support_period_end if stage in ("service", "follow_up") else None
        if stage in TASK_DUE_DAYS:
            due = created + timedelta(days=TASK_DUE_DAYS[stage])
        if stage == "forms":
            due = created + timedelta(days=edition.forms_reminder_days)
        rows[HumanTask].append({**common, "id": first[HumanTask] + 2 * i + 1, "engine_task_id": f"{case_id:031x}1",
                                "element_id": form_key, "title": form_key, "form_key": form_key, "stage": stage,
                                "role": role, "country": country if per_country else None, "status": "open",
                                "due_at": due, "created_at": created + timedelta(hours=1), "completed_at": None,
                                "completed_by_id": None})  # fmt: skip
    return rows


@dataclass
class InboxTimes:
    query: Stats  # inbox_query: the count and the first page
    count: Stats  # its (capped) count alone
    total_label: str  # the count as the inbox shows it ("1000+" when capped)


def time_inbox_query(app: Flask, username: str, reps: int) -> InboxTimes:
    """queries.inbox_query, first page (50), default sort, each call in a fresh session; and its count alone."""
    with app.app_context():
        state: dict[str, Any] = {}

        def fresh() -> None:
            db.session.remove()
            state["user"] = user(username)

        def query() -> None:
            state["total"] = inbox_query(state["user"], {}, page=1, per_page=50)[1]

        def count() -> None:
            count_tasks(inbox_filters(state["user"], {}), count_limit(1, 50))

        times = InboxTimes(repeat(query, reps, between=fresh), repeat(count, reps, between=fresh), "")
        times.total_label = f"{state['total']}"
        db.session.remove()
    return times


@dataclass
class PageTime:
    label: str
    path: str | None
    stats: Stats | None = None
    status: int | None = None
    statements: int | None = None
    note: str = field(default="")


@contextmanager
def counting_statements(app: Flask) -> Iterator[list[int]]:
    counter = [0]

    def count(*_args: Any) -> None:
        counter[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", count)


def find_page(app: Flask, pattern: str, case_id: int) -> str | None:
    """The path of a GET page whose rule matches `pattern`, or None when the page is not present."""
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or set()) and re.fullmatch(pattern, rule.rule):
            return re.sub(r"<[^>]+>", str(case_id), rule.rule)
    return None


def time_pages(app: Flask, case_id: int, reps: int) -> list[PageTime]:
    pages = [
        PageTime("inbox page GET /inbox", find_page(app, r"/inbox/?", case_id)),
        PageTime("case page GET /cases/<id>", find_page(app, r"/cases/<(int:)?\w+>/?", case_id)),
        PageTime("API GET /api/v1/tasks (50 rows)", "/api/v1/tasks"),
    ]
    client = app.test_client()
    login = client.post("/login", data={"username": "staff", "password": PASSWORD})
    with app.app_context():
        from webapp.auth import issue_token

        token = issue_token(user("staff"))
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    for page in pages:
        if page.path is None:
            continue
        if login.status_code >= 400 and not page.path.startswith("/api/"):
            page.note = f"sign-in failed ({login.status_code})"
            continue
        kwargs = {"headers": headers} if page.path.startswith("/api/") else {}
        try:
            first = client.get(page.path, **kwargs)
        except Exception as exc:  # a page still being built must not stop the benchmark
            page.note = f"page raised {type(exc).__name__}: {exc}"
            continue
        page.status = first.status_code
        with counting_statements(app) as counter:
            client.get(page.path, **kwargs)
        page.statements = counter[0]
        page.stats = repeat(lambda p=page.path, k=kwargs: client.get(p, **k), reps)
    return pages
