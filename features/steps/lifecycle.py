"""辞退・中断・中止・年度の延期: a case withdrawn, suspended, resumed or cancelled, and a whole edition postponed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pytest_bdd import step

from features.steps import R
from features.steps.common import _task_key
from features.support import World, edition_code, role_user, shown
from workflows.clock import clock

ACTIONS = {"辞退": "withdraw", "中断": "suspend", "再開": "resume", "中止": "cancel"}
EDITION_ACTIONS = {"延期": "suspend", "再開": "resume"}
STATUSES = {"支援中": "active", "辞退": "withdrawn", "中断中": "suspended", "中止": "cancelled"}


def change_case(world: World, role: str, action: str, reason: str | None, company: str | None = None) -> Any:
    if company:
        world.current = company
    body = {} if reason is None else {"reason": reason}
    response = world.api_as(role_user(role)).post(f"/cases/{world.case_id}/{ACTIONS[action]}", json=body)
    world.response = response
    return response


def at_days_after_adoption(world: World, days: str) -> None:
    clock.set(world.notes["adopted_at"] + timedelta(days=int(days)))


# ---------------------------------------------------------------- a case


@step(R("{役割}として、「{文}」という理由で{会社}の案件を(?P<action>辞退|中止)(?P<attempt>する|しようとする)"))
def change_named_case(world: World, role: str, text: str, company: str, action: str, attempt: str) -> None:
    response = change_case(world, role, action, text, company)
    if attempt == "する":
        assert response.status_code == 200, f"{role}は案件を{action}できるべき: {shown(response)}"


@step(R("{役割}として、「{文}」という理由で案件を(?P<action>辞退|中断|再開|中止)(?:する|した)"))
def change_current_case(world: World, role: str, text: str, action: str) -> None:
    response = change_case(world, role, action, text)
    assert response.status_code == 200, f"{role}は案件を{action}できるべき: {shown(response)}"


@step(R("{役割}として、理由を書かずに案件を(?P<action>辞退|中断|再開|中止)しようとする"))
def change_without_reason(world: World, role: str, action: str) -> None:
    change_case(world, role, action, None)


@step(R("{役割}として、「{文}」という理由で案件を(?P<action>辞退|中断|再開|中止)しようとする"))
def try_change_current_case(world: World, role: str, text: str, action: str) -> None:
    change_case(world, role, action, text)


@step(R("採択から{数}日後に、{役割}として「{文}」という理由で案件を(?P<action>中断|再開)する"))
def change_case_days_after_adoption(world: World, number: str, role: str, text: str, action: str) -> None:
    at_days_after_adoption(world, number)
    change_current_case(world, role, text, action)


@step(R("案件は(?P<status>辞退|中止)になり、開いているタスクはすべて取り消される"))
def case_ended(world: World, status: str) -> None:
    case = world.refresh()
    assert case["status"] == STATUSES[status], f"規則違反: 案件は{status}になるべき。実際: {case['status']}"
    still_open = [t["title"] for t in case["tasks"] if t["status"] == "open"]
    assert not still_open, f"規則違反: {status}した案件にタスクが残っている: {still_open}"
    assert not world.tasks("staff", case=str(world.case_id)), "規則違反: 受付箱に取り消されたはずのタスクが残っている"


@step(R("案件は(?P<status>支援中|中断中)のままである"))
def case_unchanged(world: World, status: str) -> None:
    case = world.refresh()
    assert case["status"] == STATUSES[status], f"規則違反: 案件は{status}のままであるべき。実際: {case['status']}"


@step(R("{役割}として、「{タスク}」のタスクを引き受けようとする"))
def try_claim(world: World, role: str, task: str) -> None:
    row = world.require_task(_task_key(task))
    world.response = world.api_as(role_user(role)).post(f"/tasks/{row['id']}/claim")


# ---------------------------------------------------------------- due dates


def _task_anywhere(world: World, task: str) -> dict[str, Any]:
    """The one open task of that kind among the scenario's cases."""
    key = _task_key(task)
    found = [t for label in world.cases for t in world.tasks("staff", case=str(world.cases[label]["id"]))
             if t["form_key"] == key]  # fmt: skip
    assert len(found) == 1, f"「{task}」のタスクが1件だけ開いているはず。実際: {found}"
    return found[0]


@step(R("「{タスク}」の期限は採択から{数}日後(?:である|になる)"))
def due_days_after_adoption(world: World, task: str, number: str) -> None:
    row = _task_anywhere(world, task)
    expected = world.notes["adopted_at"] + timedelta(days=int(number))
    actual = datetime.fromisoformat(row["due_at"])
    assert actual == expected, (
        f"規則違反: 「{task}」の期限は採択から{number}日後（{expected:%Y-%m-%d %H:%M}）であるべき。"
        f"実際: {actual:%Y-%m-%d %H:%M}（中断していた期間だけ後ろにずれるはず）"
    )


# ---------------------------------------------------------------- a whole edition


def change_edition(world: World, role: str, edition: str, action: str, reason: str) -> Any:
    code = edition_code(edition)
    path = f"/editions/{code}/{EDITION_ACTIONS[action]}"
    world.response = world.api_as(role_user(role)).post(path, json={"reason": reason})
    return world.response


@step(R("{役割}として、「{文}」という理由で{年度}全体を(?P<action>延期|再開)しようとする"))
def try_change_edition(world: World, role: str, text: str, edition: str, action: str) -> None:
    change_edition(world, role, edition, action, text)


@step(R("採択から{数}日後に、{役割}として「{文}」という理由で{年度}全体を(?P<action>延期|再開)する"))
def change_edition_days_after_adoption(
    world: World, number: str, role: str, text: str, edition: str, action: str
) -> None:
    at_days_after_adoption(world, number)
    response = change_edition(world, role, edition, action, text)
    assert response.status_code == 200, f"{role}は{edition}全体を{action}できるべき: {shown(response)}"


@step(R("{年度}のすべての案件が(?P<status>中断中|支援中)(?:になる|に戻る)"))
def every_case_is(world: World, edition: str, status: str) -> None:
    statuses = {label: world.refresh(label)["status"] for label in world.cases}
    assert set(statuses.values()) == {STATUSES[status]}, f"規則違反: すべての案件が{status}であるべき。実際: {statuses}"


@step(R("{年度}は延期中で、お申し込みを受け付けていない"))
def edition_closed_while_postponed(world: World, edition: str) -> None:
    summary = next(e for e in world.api_as("staff").get("/editions").get_json() if e["code"] == edition_code(edition))
    assert summary["postponed_since"] and not summary["intake_open"], f"規則違反: 延期中は受付を止めるべき: {summary}"
    assert "延期中" in summary["intake_closed_reason"], summary["intake_closed_reason"]
