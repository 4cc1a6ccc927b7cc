"""Steps of task_notices.feature: each person's notice settings (their settings page), the daily digest sent
by the scheduled job, and the email when a lead assigns a task."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from pytest_bdd import step

from features.steps import R
from features.steps.accounts import page_client
from features.support import COUNTRIES, JST, TASKS, World, role_user
from workflows.clock import clock


def _settings(world: World, role: str, *, tasks: bool | None = None, digest: bool | None = None) -> None:
    """The person's settings page: what is on stays on unless the step changes it."""
    username = role_user(role)
    client = page_client(world, username)
    page = client.get("/account/settings").get_data(as_text=True)
    current = {name: bool(re.search(rf'<input[^>]*\bchecked\b[^>]*id="{name}"', page))
               for name in ("notify_tasks", "notify_digest")}  # fmt: skip
    wanted = {"notify_tasks": current["notify_tasks"] if tasks is None else tasks,
              "notify_digest": current["notify_digest"] if digest is None else digest}  # fmt: skip
    response = client.post("/account/settings", data={name: "y" for name, on in wanted.items() if on})
    assert response.status_code == 302, f"{role}の通知の設定を保存できません: {response.status_code}"


def _both(role: str, role2: str) -> tuple[str, str]:
    return role, role2


@step(R("{役割}と{役割2}は、毎朝のまとめを受け取る設定にしている"))
def digest_on(world: World, role: str, role2: str) -> None:
    for who in _both(role, role2):
        _settings(world, who, digest=True)


@step(R("{役割}と{役割2}は、タスクの通知を受け取る設定にしている"))
def notices_on(world: World, role: str, role2: str) -> None:
    for who in _both(role, role2):
        _settings(world, who, tasks=True)


@step(R("{役割}が、タスクの通知を止める"))
def notices_off(world: World, role: str) -> None:
    _settings(world, role, tasks=False)


def _at(day: datetime, hour: int) -> datetime:
    local = day.astimezone(JST)
    return datetime(local.year, local.month, local.day, hour, tzinfo=JST)


@step(R("「{タスク}」の期限の翌日の{数}時まで時計を進めてタイマーを実行する"))
def tick_after_due(world: World, task: str, number: str) -> None:
    row = world.require_task(TASKS[task])
    moment = _at(datetime.fromisoformat(row["due_at"]) + timedelta(days=1), int(number))
    clock.set(moment)
    world.notes["digest_day"] = moment
    world.run_timers()


@step(R("同じ日の{数}時まで時計を進めてタイマーを実行する"))
def tick_same_day(world: World, number: str) -> None:
    clock.set(_at(world.notes["digest_day"], int(number)))
    world.run_timers()


@step(R("翌日の{数}時まで時計を進めてタイマーを実行する"))
def tick_next_day(world: World, number: str) -> None:
    world.notes["digest_day"] = _at(world.notes["digest_day"] + timedelta(days=1), int(number))
    clock.set(world.notes["digest_day"])
    world.run_timers()


def _digests(world: World, role: str) -> list[str]:
    address = f"{role_user(role)}@example.jp"
    return [world.mail.body(m) for m in world.mail.to(address) if "期限が近い・過ぎたタスク" in str(m["Subject"])]


@step(R("{役割}に届いたまとめには、{国}の「{タスク}」が期限超過として載り、(?P<other>\\S+)のものは載らない"))
def digest_lists_own(world: World, role: str, country: str, task: str, other: str) -> None:
    bodies = _digests(world, role)
    assert len(bodies) == 1, f"規則違反: {role}には毎朝のまとめが1通届くべき。実際: {len(bodies)}通"
    body = bodies[0]
    number = world.case["number"]
    assert f"【期限超過】{number}" in body and f"{task}（{country}）" in body, (
        f"規則違反: {role}のまとめに{country}の「{task}」が期限超過として載るべき。本文: {body}"
    )
    assert other in COUNTRIES and f"（{other}）" not in body, (
        f"規則違反: {role}のまとめに、その人のものではない{other}のタスクが載ってはならない。本文: {body}"
    )


@step(R("{役割}に届いたまとめは{数}通である"))
def digest_count(world: World, role: str, number: str) -> None:
    bodies = _digests(world, role)
    assert len(bodies) == int(number), f"規則違反: まとめは1日に1通のはず。{role}に届いたのは{len(bodies)}通"


@step(R("ジェトロのリーダーとして、{国}の「{タスク}」を{役割}の担当にする"))
def lead_assigns(world: World, country: str, task: str, role: str) -> None:
    row = world.require_task(TASKS[task], COUNTRIES[country])
    response = world.api_as("staff").post(f"/tasks/{row['id']}/reassign", json={"assignee": role_user(role)})
    assert response.status_code == 200, f"担当を割り当てられません: {response.get_json()}"


@step(R("{役割}に、件名に「{文}」を含むメールが届く"))
def person_gets_mail(world: World, role: str, text: str) -> None:
    address = f"{role_user(role)}@example.jp"
    subjects = [str(m["Subject"]) for m in world.mail.to(address)]
    assert any(text in s for s in subjects), f"規則違反: {role}に「{text}」のメールが届くべき。届いたメール: {subjects}"


@step(R("{役割}には、件名に「{文}」を含むメールは届かない"))
def person_gets_no_mail(world: World, role: str, text: str) -> None:
    address = f"{role_user(role)}@example.jp"
    subjects = [str(m["Subject"]) for m in world.mail.to(address)]
    assert not any(text in s for s in subjects), f"規則違反: 通知を止めた{role}には届かないはず。実際: {subjects}"
