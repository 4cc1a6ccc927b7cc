"""ヒアリング・申請要件: what JETRO confirms on the phone, and the edition's requirements."""

from __future__ import annotations

from typing import Any

from pytest_bdd import step

from features.steps import R
from features.steps.common import enter_edition
from features.support import (
    COMPANY,
    COUNTRIES,
    World,
    application_fields,
    country_codes,
    drive,
    edition_code,
    hearing_answers,
    register,
    shown,
)

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


# ---------------------------------------------------------------- prior use (FY2021), per region, at registration


@step(
    R(
        "ジェトロ担当者として、2019年度以降の{国}での利用が{数}時間と記載された{年度}の申込書（{国々}、受領日 {日付}）を登録する"
    )
)
def register_with_prior_use(world: World, country: str, number: str, edition: str, countries: str, date: str) -> None:
    enter_edition(world, edition_code(edition))
    prior_use = {f"prior_use-{COUNTRIES[country]}": number}
    register(world, COMPANY, world.edition or "", country_codes(countries), received_on=date, **prior_use)


@step(R("ジェトロ担当者として、過去の利用時間を記載していない{年度}の申込書（{国々}、受領日 {日付}）を登録する"))
def register_without_prior_use(world: World, edition: str, countries: str, date: str) -> None:
    enter_edition(world, edition_code(edition))
    register(world, COMPANY, world.edition or "", country_codes(countries), received_on=date)


@step(R("案件は{国々}を対象国として登録される"))
def registered_for(world: World, countries: str) -> None:
    response = world.response
    assert response.status_code == 201, f"規則違反: 申込書は登録されるべき。実際: {shown(response)}"
    expected = country_codes(countries)
    actual = response.get_json()["countries"]
    assert actual == expected, f"規則違反: 対象国は{countries}（{expected}）であるべき。実際: {actual}"
    assert [h["country"] for h in response.get_json()["hours"]] == expected, "時間の上限も登録した国だけにあるべき"


@step(R("{国}は「{文}」と案内される"))
def told_about_region(world: World, country: str, text: str) -> None:
    body = world.response.get_json()
    notice = str(body.get("notice") or "")
    assert f"{country}は、" in notice and text in notice, (
        f"規則違反: {country}を除いたこととその受付開始日（「{text}」）が案内されるべき。実際: {notice or body}"
    )
    assert f"{country}を除いて申込書を登録しました" in notice, f"除いた地域が案内されるべき。実際: {notice}"
    history = world.refresh()["history"]
    refused = [h for h in history if h["action"] == "prior_use_region_refused"]
    assert refused and text in refused[0]["detail"], f"案件の履歴に除いた地域と理由が残るべき。履歴: {history}"


@step("受付開始日の案内はない")
def not_told_about_opening(world: World) -> None:
    body = world.response.get_json()
    assert "notice" not in body and body["prior_use_refused"] == [], (
        f"規則違反: どの地域も受付開始日前にはあたらないので、除く地域はないはず。実際: {body}"
    )


@step("申込書は登録されていない")
def nothing_registered(world: World) -> None:
    assert world.response.status_code == 409, f"申込書は登録できないと断られるべき。実際: {shown(world.response)}"
    total = world.api_as("staff").get("/tasks").get_json()["total"]
    assert total == 0, f"規則違反: 登録されていない申込には受領確認のタスクもできないはず。タスク: {total}件"


@step("その後のヒアリングでは過去の利用時間を尋ねない")
def hearing_does_not_ask_prior_use(world: World) -> None:
    drive(world, "receipt")
    task = world.require_task("hearing")
    fields = world.api_as("staff").get(f"/tasks/{task['id']}").get_json()["fields"]
    asked = [f["label"] for f in fields if "利用時間" in f["label"] or "prior_use" in f["name"]]
    assert not asked, f"規則違反: 過去の利用は登録のときに地域ごとに判断し、ヒアリングでは尋ねないはず。項目: {asked}"


@step("申込書に過去の利用時間を記載する欄はない")
def application_does_not_ask_prior_use(world: World) -> None:
    fields = application_fields(world.app)
    asked = [f["label"] for f in fields if f["name"] == "prior_use"]
    assert not asked, f"規則違反: この年度には過去の利用時間による定めがないので、申込書でも尋ねないはず。欄: {asked}"


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
    answers = {k: v for k, v in hearing_answers(world).items() if k != "willing_to_build"}
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


# ---------------------------------------------------------------- conditions per site (target country)


def complete_hearing_for_site(world: World, country: str, **site: Any) -> None:
    """The hearing, with one country's site answered as the step says (the others as the application said)."""
    answers = hearing_answers(world)
    code = COUNTRIES[country]
    answers["sites"][code] = {**answers["sites"][code], **site}
    world.complete("staff", world.require_task("hearing")["id"], answers)


@step(
    R(
        "ジェトロ担当者として、ヒアリングで{国}の現地拠点について、日本側からの申請かは「(?P<japan_side>はい|いいえ)」、"
        "現地拠点の希望は「(?P<wants>あり|なし)」と確認する"
    )
)
def hearing_one_site_consent(world: World, country: str, japan_side: str, wants: str) -> None:
    complete_hearing_for_site(
        world, country, applied_by_japan_side=YES_NO[japan_side], site_wants_service=YES_NO[wants]
    )


@step(R("ジェトロ担当者として、ヒアリングで{国}の現地拠点は「{文}」と確認する"))
def hearing_one_site_status(world: World, country: str, text: str) -> None:
    complete_hearing_for_site(world, country, site_status=SITE[text])


@step(R("審査結果（推奨）には「{文}」だけが示される"))
def only_this_reason(world: World, text: str) -> None:
    assert world.response.status_code == 200, f"ヒアリングを完了できません: {shown(world.response)}"
    shown_reasons = [r["message"] for r in world.refresh()["ineligible_reasons"]]
    assert shown_reasons == [text], (
        f"規則違反: 要件は拠点ごとに確かめ、満たさない国だけを示すべき。実際: {shown_reasons}"
    )
