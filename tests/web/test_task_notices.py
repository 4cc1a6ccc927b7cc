"""Task emails: a task entering someone's queue or assigned to them, each user able to turn them off; the
daily digest of due and overdue tasks from `flask tick`, listing only the user's own tasks, once per day
(repeated and concurrent ticks included). All through the outbox."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from tests.fixtures import PASSWORD
from webapp import create_app
from webapp.extensions import db
from webapp.models import OutboxEmail, TaskDigest
from webapp.operations.task_notices import send_digests

from .lifecycle import PDF, adopt, complete, open_task, register
from .test_auth_security import config_like

JST = timezone(timedelta(hours=9))


def login(app, username: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def notices(app, username: str, *, tasks: bool, digest: bool) -> None:
    """The user's own settings page."""
    data = {"notify_tasks": "y"} if tasks else {}
    data |= {"notify_digest": "y"} if digest else {}
    assert login(app, username).post("/account/settings", data=data).status_code == 302


def mail(app, to_addr: str, template: str | None = None) -> list[OutboxEmail]:
    with app.app_context():
        query = select(OutboxEmail).where(OutboxEmail.to_addr == to_addr).order_by(OutboxEmail.id)
        rows = [e for e in db.session.scalars(query) if template is None or e.template == template]
        db.session.expunge_all()
        return rows


def tick(app) -> str:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    return str(result.output)


def to_briefings(api_as, case_id: int) -> None:
    staff = api_as("staff")
    adopt(staff, case_id)
    forms = open_task(staff, case_id, "forms_submission")
    assert complete(staff, forms["id"], {"form1_file": PDF, "form2_file": PDF}).status_code == 200


def test_a_task_entering_a_queue_emails_who_works_it_and_opted_out_users_get_none(app, api_as, users):
    notices(app, "expert_cn", tasks=True, digest=False)
    notices(app, "staff2", tasks=True, digest=False)
    notices(app, "expert_vn", tasks=True, digest=False)
    notices(app, "expert_vn", tasks=False, digest=False)  # turned off again on the settings page
    case = register(api_as("staff"), "FY2025", ["CN", "VN"], "2025-07-01", company_name="二国精機株式会社")

    (receipt,) = mail(app, "staff2@example.jp", "task_queued")  # a staff-lane task: the staff queue
    assert receipt.subject == f"【タスク】新しいタスクが届きました（{case['number']} 二国精機株式会社）"
    assert "受領確認" in receipt.body and "/tasks/" in receipt.body and "/account/settings" in receipt.body
    assert mail(app, "staff@example.jp") == []  # notices off (the fixture's accounts start with them off)

    to_briefings(api_as, case["id"])
    (briefing,) = mail(app, "expert_cn@example.jp", "task_queued")
    cn_task = open_task(api_as("expert_cn"), case["id"], "expert_briefing", "CN")
    assert f"http://localhost:5000/tasks/{cn_task['id']}" in briefing.body and "（中国）" in briefing.body
    assert "ベトナム" not in briefing.body  # the VN briefing is not in this expert's queue
    assert mail(app, "expert_vn@example.jp") == []  # opted out


def test_a_task_assigned_to_an_expert_emails_them_and_a_claim_of_ones_own_does_not(app, api_as, users):
    case = register(api_as("staff"), "FY2025", ["CN"], "2025-07-01", company_name="割当精機株式会社")
    to_briefings(api_as, case["id"])
    notices(app, "expert_cn", tasks=True, digest=False)
    lead = api_as("staff")
    task = open_task(lead, case["id"], "expert_briefing", "CN")

    response = lead.post(f"/tasks/{task['id']}/reassign", json={"assignee": "expert_cn"})

    assert response.status_code == 200, response.get_json()
    (assigned,) = mail(app, "expert_cn@example.jp", "task_assigned")
    assert assigned.subject == f"【タスク】タスクの担当になりました（{case['number']} 割当精機株式会社）"
    assert "井上 花子さんが、次のタスクをあなたの担当にしました。" in assigned.body
    assert f"/tasks/{task['id']}" in assigned.body

    expert = api_as("expert_cn")
    assert expert.post(f"/tasks/{task['id']}/unclaim").status_code == 200
    assert expert.post(f"/tasks/{task['id']}/claim").status_code == 200
    assert len(mail(app, "expert_cn@example.jp", "task_assigned")) == 1  # their own claim: no email

    notices(app, "expert_cn", tasks=False, digest=False)
    assert expert.post(f"/tasks/{task['id']}/unclaim").status_code == 200
    assert lead.post(f"/tasks/{task['id']}/reassign", json={"assignee": "expert_cn"}).status_code == 200
    assert len(mail(app, "expert_cn@example.jp", "task_assigned")) == 1  # turned off


def test_a_new_task_set_writes_its_notices_in_one_insert(app, api_as, users):
    for username in ("expert_cn", "expert_vn"):
        notices(app, username, tasks=True, digest=False)
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN", "VN"], "2025-07-01", company_name="一括精機株式会社")
    adopt(staff, case["id"])
    forms = open_task(staff, case["id"], "forms_submission")
    inserts: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO outbox_email"):
            inserts.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert complete(staff, forms["id"], {"form1_file": PDF, "form2_file": PDF}).status_code == 200
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", count)
    assert len(inserts) == 1  # two briefings, two experts: one statement
    assert len(mail(app, "expert_cn@example.jp")) == len(mail(app, "expert_vn@example.jp")) == 1


# ---------------------------------------------------------------- the daily digest


@pytest.fixture
def two_country_case(app, api_as, users):  # type: ignore[no-untyped-def]
    return make_two_country_case(app, api_as)


def make_two_country_case(app, api_as):  # type: ignore[no-untyped-def]
    """A case in CN and VN at the briefings, the two experts and staff2 taking the digest."""
    case = register(api_as("staff"), "FY2025", ["CN", "VN"], "2025-07-01", company_name="期限精機株式会社")
    to_briefings(api_as, case["id"])
    for username in ("expert_cn", "expert_vn", "staff2"):
        notices(app, username, tasks=False, digest=True)
    return case


def japan_time(moment: datetime, hour: int, minute: int = 0, days_later: int = 0) -> datetime:
    """That hour (Japan time) of the Japan day of `moment`, `days_later` days on."""
    day = moment.astimezone(JST).date() + timedelta(days=days_later)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST)


def briefing_due(app, api_as, case_id: int) -> datetime:
    task = open_task(api_as("expert_cn"), case_id, "expert_briefing", "CN")
    return datetime.fromisoformat(task["due_at"])


def test_the_digest_lists_only_the_users_own_due_tasks_once_a_day(app, api_as, set_clock, two_country_case):
    case = two_country_case
    due = briefing_due(app, api_as, case["id"])
    assert "digest" not in tick(app)  # not due yet: nothing to list
    assert mail(app, "expert_cn@example.jp") == []

    overdue_day = japan_time(due, 9, 30, days_later=1)
    set_clock(overdue_day)
    assert "2 task digest(s) queued" in tick(app)
    (cn,) = mail(app, "expert_cn@example.jp", "task_digest")
    assert "【期限超過】" in cn.body and f"{case['number']} 期限精機株式会社" in cn.body
    assert "（中国）" in cn.body and "ベトナム" not in cn.body  # only this expert's tasks
    (vn,) = mail(app, "expert_vn@example.jp", "task_digest")
    assert "（ベトナム）" in vn.body and "（中国）" not in vn.body
    assert mail(app, "staff2@example.jp") == []  # no staff task is due: the experts' tasks are not theirs

    tick(app)
    set_clock(overdue_day + timedelta(hours=5))
    tick(app)
    assert len(mail(app, "expert_cn@example.jp", "task_digest")) == 1  # once per day, however many ticks

    set_clock(overdue_day + timedelta(days=1))
    tick(app)
    assert len(mail(app, "expert_cn@example.jp", "task_digest")) == 2  # the next day again


def test_the_digest_waits_for_the_morning_and_skips_users_who_turned_it_off(app, api_as, set_clock, two_country_case):
    due = briefing_due(app, api_as, two_country_case["id"])
    early = japan_time(due, 7, days_later=1)  # before DIGEST_HOUR (08:00)
    set_clock(early)
    tick(app)
    assert mail(app, "expert_cn@example.jp") == []
    notices(app, "expert_vn", tasks=False, digest=False)
    set_clock(early + timedelta(hours=2))
    tick(app)
    assert len(mail(app, "expert_cn@example.jp", "task_digest")) == 1
    assert mail(app, "expert_vn@example.jp") == []


def test_a_task_assigned_to_someone_else_is_not_in_my_digest(app, api_as, set_clock, users):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01", company_name="担当精機株式会社")
    notices(app, "staff2", tasks=False, digest=True)
    notices(app, "staff", tasks=False, digest=True)
    receipt = open_task(staff, case["id"], "receipt_confirmation")
    assert staff.post(f"/tasks/{receipt['id']}/claim").status_code == 200
    due = datetime.fromisoformat(receipt["due_at"])
    assert due > japan_time(due, 9)
    set_clock(japan_time(due, 9))  # the due day, before the due time
    tick(app)
    (mine,) = mail(app, "staff@example.jp", "task_digest")
    assert "受領確認" in mine.body and "【期限超過】" not in mine.body  # due today
    assert mail(app, "staff2@example.jp") == []  # claimed by another: not theirs


def test_two_ticks_at_once_queue_each_digest_once(app, api_as, set_clock, two_country_case):
    due = briefing_due(app, api_as, two_country_case["id"])
    set_clock(japan_time(due, 10, days_later=1))
    other = create_app(config_like(app))
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def work(flask_app) -> None:  # type: ignore[no-untyped-def]
        with flask_app.app_context():
            barrier.wait()
            counts.append(send_digests())
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=work, args=(a,)) for a in (app, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == [0, 2]
    with app.app_context():
        assert len(db.session.scalars(select(TaskDigest)).all()) == 2
    with other.app_context():
        db.engine.dispose()
    assert sum(len(mail(app, f"{u}@example.jp", "task_digest")) for u in ("expert_cn", "expert_vn")) == 2
