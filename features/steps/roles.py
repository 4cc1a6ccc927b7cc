"""受付箱・役割: who sees and does what; acting on the company's behalf; two people at once; claiming."""

from __future__ import annotations

import threading
from typing import Any

from pytest_bdd import step

from features.steps import R
from features.support import COUNTRIES, TASKS, World, hearing_answers, role_user, shown


@step(R("{役割}には、この案件が見つからない"))
def case_not_found_for(world: World, role: str) -> None:
    response = world.case_as(role_user(role))
    assert response.status_code == 404, f"規則違反: {role}は担当外・他社の案件を見られないはず。実際: {shown(response)}"


@step(R("{役割}として、{国}の説明のタスクを完了しようとする"))
def complete_other_countrys_briefing(world: World, role: str, country: str) -> None:
    task = world.require_task("expert_briefing", COUNTRIES[country])
    world.complete(role_user(role), task["id"], {"briefing_date": "2025-07-10", "consultation_items": ["A1-1"],
                                                 "estimated_hours": "5"})  # fmt: skip


@step(R("{役割}として、ヒアリングのタスクを完了しようとする"))
def try_complete_hearing(world: World, role: str) -> None:
    task = world.require_task("hearing")
    world.complete(role_user(role), task["id"], hearing_answers(world))


@step(R("案件の履歴に、ジェトロ担当者が企業に代わって「{タスク}」を完了したことが残る"))
def on_behalf_in_history(world: World, task: str) -> None:
    history = world.refresh()["history"]
    entries = [h for h in history if h["action"] == "task_completed" and h["detail"] == task]
    assert entries, f"「{task}」の完了が履歴に残るべき: {history}"
    entry = entries[-1]
    assert entry["actor"] == "staff" and entry["on_behalf"], (
        f"規則違反: ジェトロ担当者が企業に代わって行ったことが履歴に残るべき。実際: {entry}"
    )


# ---------------------------------------------------------------- two people at the same moment


@step("ジェトロ担当者と別のジェトロ担当者が、同時にヒアリングを完了する")
def complete_at_once(world: World) -> None:
    task = world.require_task("hearing")
    barrier = threading.Barrier(2)
    results: list[tuple[int, dict[str, Any]]] = []

    def worker(username: str) -> None:
        api = world.api_as(username)
        barrier.wait()
        response = api.post(f"/tasks/{task['id']}/complete", json=hearing_answers(world))
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("staff", "staff2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    world.notes["results"] = results


@step(R("一方は完了し、もう一方は「{文}」処理されていると知らされる"))
def one_wins(world: World, text: str) -> None:
    results = world.notes["results"]
    codes = sorted(code for code, _ in results)
    assert codes == [200, 409], f"規則違反: 同じタスクは1回だけ完了し、もう一方には知らせるべき。実際: {results}"
    loser = next(body for code, body in results if code == 409)
    assert text in loser["error"], f"後の人には「{text}」完了・処理されていると伝えるべき: {loser}"


# ---------------------------------------------------------------- claiming and assigning


def hearing_task(world: World) -> dict[str, Any]:
    return world.require_task(TASKS["ヒアリング"])


@step(R("{役割}として、ヒアリングのタスクを引き受け(?:る|ようとする)"))
def claim(world: World, role: str) -> None:
    world.response = world.api_as(role_user(role)).post(f"/tasks/{hearing_task(world)['id']}/claim")


@step(R("{役割}として、ヒアリングのタスクの担当を{役割2}に割り当て(?:る|ようとする)"))
def reassign(world: World, role: str, role2: str) -> None:
    body = {"assignee": role_user(role2)}
    world.response = world.api_as(role_user(role)).post(f"/tasks/{hearing_task(world)['id']}/reassign", json=body)


@step(R("ヒアリングのタスクの担当者は{役割}になっている"))
def assignee_is(world: World, role: str) -> None:
    assert world.response.status_code == 200, f"リーダーは担当を割り当てられるべき: {shown(world.response)}"
    assert hearing_task(world)["assignee"] == role_user(role)


@step(R("{役割}として、理由を書かずにヒアリングのタスクを引き継ごうとする"))
def take_over_without_reason(world: World, role: str) -> None:
    world.response = world.api_as(role_user(role)).post(f"/tasks/{hearing_task(world)['id']}/takeover", json={})


@step(R("{役割}として、理由「{文}」を記録してヒアリングのタスクを引き継ぐ"))
def take_over(world: World, role: str, text: str) -> None:
    path = f"/tasks/{hearing_task(world)['id']}/takeover"
    world.response = world.api_as(role_user(role)).post(path, json={"reason": text})


@step(R("案件の履歴に、リーダーが「{文}」と記録して引き継いだことが残る"))
def takeover_in_history(world: World, text: str) -> None:
    history = world.refresh()["history"]
    entries = [h for h in history if h["action"] == "task_taken_over"]
    assert entries, f"規則違反: リーダーの引き継ぎが履歴に残るべき: {history}"
    assert entries[-1]["actor"] == role_user("ジェトロのリーダー") and text in entries[-1]["detail"], entries[-1]
