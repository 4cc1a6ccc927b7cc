"""ヒアリング・申請要件: what JETRO confirms on the phone, and the edition's requirements."""

from __future__ import annotations

from typing import Any

from pytest_bdd import step

from features.steps import R
from features.steps.common import new_case
from features.support import World, drive, hearing_answers

YES_NO = {"あり": True, "なし": False, "はい": True, "いいえ": False}
EXPERIENCE = {"あり": "yes", "一部あり": "partly", "なし": "no"}
SITE = {"現地拠点あり": "existing", "設立予定": "planned"}


def complete_hearing(world: World, **answers: Any) -> None:
    task = world.require_task("hearing")
    world.complete("staff", task["id"], hearing_answers(world, **answers))


@step("ジェトロ担当者として、電話でのヒアリングで検討状況を伺い、要件を満たすことを確認する")
def hearing_by_phone(world: World) -> None:
    complete_hearing(world, method="phone", management_status="本社の規程はあるが、現地法人では秘密情報の区分が未整備")


@step("案件の履歴にヒアリングの結果が残る")
def hearing_in_history(world: World) -> None:
    history = world.refresh()["history"]
    entries = [h for h in history if h["action"] == "task_completed" and h["detail"] == "ヒアリング"]
    assert entries and entries[0]["actor"] == "staff", f"ヒアリングを誰がいつ行ったかが履歴に残るべき。履歴: {history}"


@step(R("ジェトロ担当者として、ヒアリングで国内の営業秘密管理体制構築の経験は「{文}」と確認する"))
def hearing_domestic_experience(world: World, text: str) -> None:
    complete_hearing(world, domestic_experience=EXPERIENCE[text])


@step(R("ジェトロ担当者として、ヒアリングで現地拠点は「{文}」と確認する"))
def hearing_site(world: World, text: str) -> None:
    complete_hearing(world, site_status=SITE[text])


@step(
    R(
        "ジェトロ担当者として、ヒアリングで日本側からの申請かは「(?P<japan_side>はい|いいえ)」、現地拠点の希望は「(?P<wants>あり|なし)」と確認する"
    )
)
def hearing_site_consent(world: World, japan_side: str, wants: str) -> None:
    complete_hearing(world, applied_by_japan_side=YES_NO[japan_side], site_wants_service=YES_NO[wants])


@step(R("ジェトロ担当者として、ヒアリングで広報への協力の同意は「{文}」と確認する"))
def hearing_publicity_consent(world: World, text: str) -> None:
    complete_hearing(world, publicity_consent=YES_NO[text])


@step(R("ジェトロ担当者として、ヒアリングで管理体制の整備に取り組む意思は「{文}」と確認する"))
def hearing_willing(world: World, text: str) -> None:
    complete_hearing(world, willing_to_build=YES_NO[text])


@step(
    R(
        "ジェトロ担当者として、2019年度以降の同地域での利用が{数}時間の{年度}の申込書（{国々}、受領日 {日付}）を登録し、受領確認した"
    )
)
def registered_with_prior_use(world: World, number: str, edition: str, countries: str, date: str) -> None:
    new_case(world, edition, countries, prior_use_hours=number, received_on=date)
    drive(world, "receipt")


@step("ジェトロ担当者として、申込書のとおりの内容でヒアリングを完了する")
def hearing_as_applied(world: World) -> None:
    complete_hearing(world)


@step(R("ヒアリングの入力項目に「{文}」はない"))
def hearing_does_not_ask(world: World, text: str) -> None:
    task = world.require_task("hearing")
    fields = world.api_as("staff").get(f"/tasks/{task['id']}").get_json()["fields"]
    labels = [f["label"] for f in fields]
    assert labels and text not in labels, f"規則違反: この年度の条件にない「{text}」は尋ねないはず。項目: {labels}"


@step("ジェトロ担当者として、取り組む意思に触れずにヒアリングを完了する")
def hearing_without_willingness(world: World) -> None:
    answers = {k: v for k, v in hearing_answers(world).items() if k not in ("willing_to_build", "prior_use_hours")}
    world.complete("staff", world.require_task("hearing")["id"], answers)


@step("ジェトロ担当者として、理由を書かずにヒアリングを不要として完了しようとする")
def hearing_not_needed_without_reason(world: World) -> None:
    answers = {k: v for k, v in hearing_answers(world).items() if k != "hearing_date"}
    world.complete("staff", world.require_task("hearing")["id"], {**answers, "hearing_held": "not_needed"})


@step(R("ジェトロ担当者として、「{文}」という理由でヒアリングを不要として完了する"))
def hearing_not_needed(world: World, text: str) -> None:
    answers = {k: v for k, v in hearing_answers(world).items() if k != "hearing_date"}
    payload = {**answers, "hearing_held": "not_needed", "not_needed_reason": text}
    world.complete("staff", world.require_task("hearing")["id"], payload)


@step("ジェトロ担当者として、実施日を書かずにヒアリングを完了しようとする")
def hearing_without_date(world: World) -> None:
    answers = {k: v for k, v in hearing_answers(world).items() if k != "hearing_date"}
    world.complete("staff", world.require_task("hearing")["id"], answers)
