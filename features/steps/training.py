"""研修・コンサルテーションの実施記録: a session's record, with its hours in the ledger."""

from __future__ import annotations

from typing import Any

from pytest_bdd import step

from features.steps import R
from features.steps.briefing import role_country
from features.steps.hours import country_hours
from features.support import LANGUAGES, World, role_user, shown, today

AUDIENCES = {
    "現地拠点の管理職": "local_managers",
    "現地拠点の従業員": "local_employees",
    "日本企業の管理職": "japan_managers",
    "日本企業の社員": "japan_employees",
}
PLACE = "現地法人 本社会議室"


def record_session(world: World, role: str, **fields: Any) -> Any:
    country = role_country(role)
    payload = {
        "country": country,
        "held_on": today(world),
        "mode": "onsite",
        "place": PLACE,
        "audiences": ["local_managers", "local_employees"],
        "language": "ja",
        "attendees": 20,
        "hours": "2",
        **fields,
    }
    response = world.api_as(role_user(role)).post(f"/cases/{world.case_id}/sessions", json=payload)
    world.response = response
    if response.status_code == 201:
        world.notes["session"] = response.get_json()["session"]
    return response


def record_training(world: World, role: str, **fields: Any) -> Any:
    return record_session(world, role, kind="training", **{"topics": ["B1"], **fields})


def record_consultation(world: World, role: str, **fields: Any) -> Any:
    return record_session(world, role, kind="consultation", **{"audiences": ["local_managers"], **fields})


@step(R("{役割}として、対象者を「(?P<audience>[^」]+)」、テーマを「{文}」として研修を記録する"))
def training_for(world: World, role: str, audience: str, text: str) -> None:
    record_training(world, role, audiences=[AUDIENCES[audience]], topics=text.split("、"))


@step(R("{役割}として、言語を「{文}」として研修を記録する"))
def training_in(world: World, role: str, text: str) -> None:
    record_training(world, role, language=LANGUAGES[text])


@step(R("{役割}として、言語を「{文}」、通訳ありとして研修を記録する"))
def training_with_interpreter(world: World, role: str, text: str) -> None:
    record_training(world, role, language=LANGUAGES[text], interpreter=True)


@step(R("{役割}として、項目を「(?P<item>[^」]+)」として、内容を書かずにコンサルテーションを記録する"))
def consultation_without_text(world: World, role: str, item: str) -> None:
    record_consultation(world, role, items=[item], mode="web", place="")


@step(R("{役割}として、項目を「(?P<item>[^」]+)」、内容を「{文}」としてコンサルテーションを記録する"))
def consultation_with_text(world: World, role: str, item: str, text: str) -> None:
    record_consultation(world, role, items=[item], other_item=text, mode="web", place="")


@step(R("{役割}として、対象者を「(?P<audience>[^」]+)」、項目を「(?P<item>[^」]+)」としてコンサルテーションを記録する"))
def consultation_for(world: World, role: str, audience: str, item: str) -> None:
    record_consultation(world, role, audiences=[AUDIENCES[audience]], items=[item])


@step(R("研修の記録が残り、{国}の利用時間は{数}時間になる"))
def training_recorded(world: World, country: str, number: str) -> None:
    assert world.response.status_code == 201, f"規則違反: この研修は記録できるべき。実際: {shown(world.response)}"
    hours = country_hours(world, country)
    assert hours["used"] == float(number), (
        f"規則違反: 講演の時間は同じ記録から作業時間に入るべき（{number}時間）。実際: {hours['used']:g}時間"
    )


@step(R("その研修の記録には、実施日・会場・テーマ「{文}」・対象者・言語・参加者数が残る"))
def training_record_kept(world: World, text: str) -> None:
    sessions = world.api_as("staff").get(f"/cases/{world.case_id}/sessions").get_json()["sessions"]
    kept = next((s for s in sessions if s["id"] == world.notes["session"]["id"]), None)
    assert kept, f"研修の記録が残るべき: {sessions}"
    expected = {"held_on": today(world), "place": PLACE, "items": [text], "language": "ja", "attendees": 20}
    assert {k: kept[k] for k in expected} == expected and kept["audiences"], f"研修の記録: {kept}"
    ledger = world.api_as("staff").get(f"/cases/{world.case_id}/hours").get_json()["editions"][0]["entries"]
    assert any(e["session_id"] == kept["id"] and e["activity"] == "training_lecture" for e in ledger), (
        f"講演の時間は「研修会での講演」として作業時間に入るべき: {ledger}"
    )


@step(R("コンサルテーションの記録に「{文}」が残り、{国}の利用時間は{数}時間になる"))
def consultation_recorded(world: World, text: str, country: str, number: str) -> None:
    assert world.response.status_code == 201, f"規則違反: この項目は記録できるべき。実際: {shown(world.response)}"
    session = world.notes["session"]
    assert session["other_item"] == text and session["items"] == ["A-other"], f"記録: {session}"
    assert country_hours(world, country)["used"] == float(number)
