"""Steps of accounts.feature: staff invite the company's contact from the case page, the contact sets a
password from the emailed link and works as that company. These steps use the pages (a signed-in browser
session), as people do: invitations and passwords have no API."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

from pytest_bdd import step
from sqlalchemy import select

from features.steps import R
from features.support import World
from tests.fixtures import PASSWORD
from tests.web.lifecycle import PDF
from webapp.extensions import db
from webapp.models import AuditEvent, HumanTask
from workflows.clock import clock

INVITED_PASSWORD = "shotai-pass-2025"
_LINK = re.compile(r"http://localhost:5000(/account/set-password/\S+)")


def page_client(world: World, username: str, password: str = PASSWORD) -> Any:
    """A browser signed in with the sign-in page."""
    client = world.app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"{username} でサインインできません: {response.status_code}"
    return client


def _invite(world: World, email: str, name: str) -> None:
    response = page_client(world, "staff").post(
        f"/cases/{world.case_id}/invite", data={"email": email, "display_name": name}
    )
    assert response.status_code == 302, (
        f"招待できません: {response.status_code} {response.get_data(as_text=True)[:300]}"
    )
    world.notes.setdefault("invited_at", {})[email] = clock.now()


@step(R("ジェトロ担当者として、(?:{会社}の)?案件のページから企業の担当者を招待する"))
def invite_contact(world: World, company: str | None = None) -> None:
    if company:
        world.current = company
    _invite(world, world.contact_email, "山田 一郎")


@step(R("ジェトロ担当者として、案件のページから別の担当者 (?P<email>\\S+@\\S+) を招待する"))
def invite_other(world: World, email: str) -> None:
    _invite(world, email, "田中 四郎")


def _link_to(world: World, email: str) -> str:
    messages = [m for m in world.mail.to(email) if "アカウントのご案内" in str(m["Subject"])]
    assert messages, f"{email} に招待のメールが届いていません"
    found = _LINK.search(world.mail.body(messages[-1]))
    assert found, "招待のメールにパスワード設定のリンクがありません"
    return found.group(1)


@step("企業の担当者が、招待のメールのリンクからパスワードを設定する")
def set_password_from_invitation(world: World) -> None:
    path = _link_to(world, world.contact_email)
    client = world.app.test_client()
    response = client.post(path, data={"password": INVITED_PASSWORD, "confirm": INVITED_PASSWORD})
    assert response.status_code == 302, f"パスワードを設定できません: {response.status_code}"
    world.notes["invited_link"] = path
    world.notes["invited_client"] = client  # signed in by setting the password


def _invited(world: World) -> Any:
    return page_client(world, world.contact_email, INVITED_PASSWORD)  # the password just set signs in


@step(R("招待されたアカウントの受付箱に「{タスク}」のタスクがある"))
def invited_inbox_has(world: World, task: str) -> None:
    task_row = world.require_task("forms_submission")
    inbox = _invited(world).get("/inbox/").get_data(as_text=True)
    assert f"/tasks/{task_row['id']}" in inbox, f"規則違反: 招待された企業の担当者の受付箱に「{task}」があるべき"


@step(R("招待されたアカウントでは、{会社}の案件は見つからない"))
def invited_cannot_see(world: World, company: str) -> None:
    other = world.cases[company]
    response = _invited(world).get(f"/cases/{other['id']}")
    assert response.status_code == 404, (
        f"規則違反: 他社（{company}）の案件は見えてはならない。実際: {response.status_code}"
    )
    listing = _invited(world).get("/cases/").get_data(as_text=True)
    assert company not in listing, f"規則違反: 案件一覧に他社（{company}）の案件が出てはならない"


@step("招待されたアカウントで、様式1と様式2を添付して提出する")
def invited_submits_forms(world: World) -> None:
    task = world.require_task("forms_submission")
    response = _invited(world).post(
        f"/tasks/{task['id']}",
        data={"form1_file": (io.BytesIO(PDF), "form1.pdf"), "form2_file": (io.BytesIO(PDF), "form2.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, f"提出できません: {response.status_code}"
    world.notes["forms_task"] = task["id"]


@step(R("「{タスク}」は企業自身が完了したと記録される"))
def completed_by_company(world: World, task: str) -> None:
    with world.app.app_context():
        row = db.session.get(HumanTask, world.notes["forms_task"])
        assert row is not None and row.status == "completed"
        assert row.completed_by is not None and row.completed_by.username == world.contact_email, (
            f"規則違反: 「{task}」は招待された担当者が完了したと記録されるべき"
        )
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "task_completed").order_by(AuditEvent.id.desc())
        ).first()
        assert event is not None and not event.on_behalf, "規則違反: 企業に代わっての処理として記録してはならない"


@step(R("同じリンクでもう一度パスワードを設定しようとすると「{文}」と断られる"))
def link_used_once(world: World, text: str) -> None:
    response = world.app.test_client().post(
        world.notes["invited_link"], data={"password": "another-pass-2025", "confirm": "another-pass-2025"}
    )
    said = response.get_data(as_text=True)
    assert response.status_code == 409 and text in said, (
        f"規則違反: リンクは1回だけ使えるべき。実際: {response.status_code}"
    )


@step(R("招待から{数}時間を1分過ぎるまで時計を進める"))
def after_invitation(world: World, number: str) -> None:
    last = max(world.notes["invited_at"].values())
    clock.set(last + timedelta(hours=float(number), minutes=1))


@step(R("(?P<email>\\S+@\\S+) に届いたリンクを開くと「{文}」と断られる"))
def link_expired(world: World, email: str, text: str) -> None:
    response = world.app.test_client().get(_link_to(world, email))
    said = response.get_data(as_text=True)
    assert response.status_code == 409 and text in said, (
        f"規則違反: 期限の切れたリンクは断られるべき。実際: {response.status_code}"
    )
