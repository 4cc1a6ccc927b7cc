"""支援期間: the dates the service records, a country's service from its plan to its follow-up, the period's end."""

from __future__ import annotations

from pytest_bdd import step

from features.steps import R
from features.steps.briefing import confirm_plan
from features.steps.publicity import complete_country_task
from features.support import TASKS, World, follow_up


@step(R("ジェトロ担当者として、支援開始日を{日付}として実施内容を確定する"))
def plan_from(world: World, date: str) -> None:
    confirm_plan(world, start_date=date)


@step(R("{役割}として、面談日を{日付}としてフォローアップ面談を完了する"))
def follow_up_on(world: World, role: str, date: str) -> None:
    complete_country_task(world, role, "follow_up", dict(follow_up(world), meeting_date=date))


@step(R("「{タスク}」のタスクは閉じられている"))
def task_closed(world: World, task: str) -> None:
    assert task in TASKS, task
    found = world.open_task(TASKS[task])
    assert found is None, f"規則違反: 支援期間の終了で「{task}」のタスクは閉じられるべき。実際: {found}"


@step(R("案件は「{文}」として終わっている"))
def case_ended_as(world: World, text: str) -> None:
    case = world.refresh()
    assert case["status"] != "active" and case["stage_label"] == text and case["status_reason"] == text, (
        f"規則違反: 案件は「{text}」として終わり、その理由が示されるべき。実際: status={case['status']} "
        f"stage={case['stage_label']} reason={case['status_reason']}"
    )
