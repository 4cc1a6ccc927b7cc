"""専門家説明・実施内容: the expert's briefing (menu, hours, language) and the agreed plan."""

from __future__ import annotations

import json
from typing import Any

from pytest_bdd import step

from features.steps import R
from features.support import COUNTRIES, LANGUAGES, World, briefing, plan, role_user, shown
from webapp.extensions import db
from webapp.models import AuditEvent

AUDIENCES = {"管理職": "managers", "従業員": "employees", "管理職・従業員": "both"}


def role_country(role: str) -> str:
    """「中国担当の現地専門家」 -> "CN"; the country of the briefing the expert works on."""
    return COUNTRIES[role.removesuffix("担当の現地専門家")]


def complete_briefing(world: World, role: str, **overrides: Any) -> Any:
    country = role_country(role)
    task = world.require_task("expert_briefing", country)
    return world.complete(role_user(role), task["id"], briefing(world, country, **overrides))


def field(world: World, name: str) -> dict[str, Any]:
    fields = world.notes["fields"]
    return next(f for f in fields if f["name"] == name)


@step(R("{役割}として、説明のタスクを開く"))
def open_briefing(world: World, role: str) -> None:
    task = world.require_task("expert_briefing", role_country(role))
    response = world.api_as(role_user(role)).get(f"/tasks/{task['id']}")
    assert response.status_code == 200, f"担当専門家は説明のタスクを開けるべき: {shown(response)}"
    world.notes["fields"] = response.get_json()["fields"]


@step("（A）コンサルテーションの依頼内容として次の項目を選べる")
def consultation_menu(world: World, datatable: list[list[str]]) -> None:
    labels = [label for _value, label in field(world, "consultation_items")["choices"]]
    for (item,) in datatable[1:]:
        assert any(item in label for label in labels), (
            f"規則違反: 別紙「ジェトロの提供するサービス内容」の（A）「{item}」を依頼内容として選べるべき。選択肢: {labels}"
        )


@step("（B）研修のテーマとして次のテーマを、その対象者とともに選べる")
def training_menu(world: World, datatable: list[list[str]]) -> None:
    choices = dict(field(world, "training_topics")["choices"])
    for code, topic, audience in datatable[1:]:
        label = choices.get(code, "")
        assert topic in label and f"（対象：{audience}）" in label, (
            f"規則違反: （B）{code}「{topic}」は対象「{audience}」として選べるべき。実際: {label or '選択肢にない'}"
        )


@step(R("{役割}として、依頼内容を選ばずに説明を完了する"))
def briefing_without_items(world: World, role: str) -> None:
    complete_briefing(world, role, consultation_items=[], training_topics=[])


@step(R("{役割}として、想定時間数を{数}時間として説明を完了する"))
def briefing_with_hours(world: World, role: str, number: str) -> None:
    complete_briefing(world, role, estimated_hours=number)


@step(R("研修の言語として選べるのは「{文}」だけである"))
def training_languages(world: World, text: str) -> None:
    offered = sorted(value for value, _label in field(world, "training_language")["choices"] if value)
    expected = sorted(LANGUAGES[name] for name in text.split("、"))
    assert offered == expected, f"規則違反: 研修の言語は「{text}」であるべき。実際の選択肢: {offered}"


@step(R("{役割}として、研修の言語を「{文}」として説明を完了する"))
def briefing_in_language(world: World, role: str, text: str) -> None:
    complete_briefing(world, role, training_language=LANGUAGES[text])


@step(R("{役割}として、研修の対象者を「(?P<audience>[^」]+)」、言語を「{文}」として説明を完了する"))
def briefing_audience_language(world: World, role: str, audience: str, text: str) -> None:
    response = complete_briefing(world, role, training_audience=AUDIENCES[audience], training_language=LANGUAGES[text])
    assert response.status_code == 200, (
        f"規則違反: 日本企業の管理職・社員も研修に参加できるべき。実際: {shown(response)}"
    )


@step(R("{役割}として、研修の対象者を「(?P<audience>[^」]+)」、テーマを「{文}」として説明を完了する"))
def briefing_audience_topic(world: World, role: str, audience: str, text: str) -> None:
    complete_briefing(world, role, training_audience=AUDIENCES[audience], training_topics=[text])


@step(
    R(
        r"{役割}として、想定時間数を{数}時間、フォローアップ面談のための確保を(?P<reserve>[\d.]+)時間として説明を完了した"
    )
)
def briefing_with_reserve(world: World, role: str, number: str, reserve: str) -> None:
    response = complete_briefing(world, role, estimated_hours=number, follow_up_reserved=reserve)
    assert response.status_code == 200, shown(response)


@step(R("{役割}として、説明を完了した"))
def briefing_done(world: World, role: str) -> None:
    response = complete_briefing(world, role)
    assert response.status_code == 200, shown(response)


def confirm_plan(world: World, **overrides: Any) -> Any:
    task = world.require_task("plan_confirmation")
    return world.complete("staff", task["id"], plan(world, **overrides))


@step("ジェトロ担当者として、専門家の合意を確認せずに実施内容を確定する")
def plan_without_expert(world: World) -> None:
    confirm_plan(world, agreed_by_expert=False)


@step("ジェトロ担当者として、企業の合意を確認せずに実施内容を確定する")
def plan_without_company(world: World) -> None:
    confirm_plan(world, agreed_by_company=False)


@step("ジェトロ担当者として、企業・専門家と合意した実施内容と実施時期を確定する")
def plan_agreed(world: World) -> None:
    response = confirm_plan(world)
    assert response.status_code == 200, shown(response)


@step(R("ジェトロ担当者として、支援終了日を{日付}として実施内容を確定する"))
def plan_until(world: World, date: str) -> None:
    confirm_plan(world, end_date=date)


@step("「支援期間」までの日付にするよう断られる")
def refused_beyond_period(world: World) -> None:
    response = world.response
    assert response.status_code == 422, f"規則違反: 支援期間を越える実施時期は確定できないはず。実際: {shown(response)}"
    messages = response.get_json().get("errors", {}).get("end_date", [])
    assert any("支援期間" in m for m in messages), messages


@step(
    R(
        "{役割}として、日本企業の管理職・社員も参加するとして、研修の対象者を「(?P<audience>[^」]+)」、言語を「{文}」として説明を完了する"
    )
)
def briefing_with_japan_side(world: World, role: str, audience: str, text: str) -> None:
    response = complete_briefing(
        world,
        role,
        training_audience=AUDIENCES[audience],
        training_language=LANGUAGES[text],
        japan_side_participants=True,
    )
    assert response.status_code == 200, f"規則違反: 日本企業の管理職・社員も参加できるべき。実際: {shown(response)}"


@step("説明の記録に、日本企業の管理職・社員も参加することが残る")
def japan_side_recorded(world: World) -> None:
    with world.app.app_context():
        events = db.session.query(AuditEvent).filter_by(case_id=world.case["id"], action="task_completed").all()
        answers = [json.loads(e.after_json) for e in events if e.detail == "サービス内容の説明・依頼内容の選定"]
    assert answers and answers[-1].get("japan_side_participants") is True, f"日本側の参加が記録されるべき: {answers}"


@step(R("説明の入力項目に「{文}」はない"))
def briefing_does_not_ask(world: World, text: str) -> None:
    labels = [f["label"] for f in world.notes["fields"]]
    assert labels and text not in labels, f"規則違反: この年度の説明では「{text}」を尋ねないはず。項目: {labels}"
