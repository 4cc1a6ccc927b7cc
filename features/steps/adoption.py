"""採否・採択件数: adoption and rejection, first come first served, the planned number of adoptions."""

from __future__ import annotations

from typing import Any

from pytest_bdd import step

from features.steps import R
from features.steps.common import new_case
from features.steps.eligibility import complete_hearing
from features.support import (
    World,
    adopt_many,
    application_form,
    drive,
    edition_label,
    multipart,
    role_user,
    shown,
    today,
)
from workflows.clock import clock

# ---------------------------------------------------------------- deciding one case


@step("ジェトロ担当者として、申請要件を満たすことをヒアリングで確認した")
def hearing_ok(world: World) -> None:
    complete_hearing(world)
    assert world.response.status_code == 200, shown(world.response)


def decide(world: World, payload: dict[str, Any], username: str = "staff") -> Any:
    task = world.require_task("adoption_decision")
    return world.complete(username, task["id"], payload)


@step("ジェトロ担当者として、採択を決定する")
def adopt_current(world: World) -> None:
    response = decide(world, {"decision": "adopt"})
    assert response.status_code == 200, f"採択できるべき: {shown(response)}"
    world.notes["adopted_at"] = clock.now()


@step("ジェトロ担当者として、理由を書かずに不採択を決定する")
def reject_without_reason(world: World) -> None:
    decide(world, {"decision": "reject"})


@step(R("ジェトロ担当者として、「{文}」という理由で不採択を決定する"))
def reject_with_reason(world: World, text: str) -> None:
    decide(world, {"decision": "reject", "reason": text, "confirm_notice": True})


@step(R("ジェトロ担当者として、通知の内容を確かめずに「{文}」という理由で不採択を決定する"))
def reject_unconfirmed(world: World, text: str) -> None:
    decide(world, {"decision": "reject", "reason": text})


@step("ジェトロ担当者として、理由を書かずに採択しようとする")
def adopt_without_reason(world: World) -> None:
    decide(world, {"decision": "adopt"})


@step(R("ジェトロ担当者として、「{文}」という理由で採択する"))
def adopt_with_reason(world: World, text: str) -> None:
    decide(world, {"decision": "adopt", "reason": text})


@step(R("{役割}として、「{文}」という理由で予定を超えて{会社}を採択(?:する|しようとする)"))
def adopt_beyond_plan(world: World, role: str, text: str, company: str) -> None:
    world.current = company
    decide(world, {"decision": "adopt", "beyond_plan_reason": text}, role_user(role))


@step(R("案件の履歴に、予定を超えて採択した理由「{文}」が残る"))
def beyond_plan_in_history(world: World, text: str) -> None:
    entries = [h for h in world.refresh()["history"] if h["action"] == "adopted_beyond_plan"]
    assert entries and entries[-1]["detail"] == text, f"規則違反: 予定を超えた採択の理由が履歴に残るべき: {entries}"


@step(R("{役割}として、「{文}」という理由で{会社}を申込順から外(?:す|そうとする)"))
def set_aside(world: World, role: str, text: str, company: str) -> None:
    world.current = company
    path = f"/cases/{world.case['id']}/set-aside"
    world.response = world.api_as(role_user(role)).post(path, json={"reason": text})


@step(R("案件の履歴に、申込順から外した理由「{文}」が残る"))
def set_aside_in_history(world: World, text: str) -> None:
    world.current = "A精工株式会社"
    case = world.refresh()
    entries = [h for h in case["history"] if h["action"] == "order_set_aside"]
    assert case["order_set_aside_reason"] == text and entries and entries[-1]["detail"] == text, case


# ---------------------------------------------------------------- first come, first served


def received(world: World, company: str, date: str, *, heard: bool) -> None:
    new_case(world, edition_label(world.edition), "中国", company, received_on=date)
    drive(world, "hearing" if heard else "receipt")


@step(
    R(
        "(?P<first>\\S+?株式会社)の申込書を {日付} に、(?P<second>\\S+?株式会社)の申込書を (?P<date2>\\d{4}-\\d{2}-\\d{2}) に受領し、どちらもヒアリングを終えた"
    )
)
def two_received_and_heard(world: World, first: str, date: str, second: str, date2: str) -> None:
    received(world, first, date, heard=True)
    received(world, second, date2, heard=True)


@step(R("{会社}の申込書を {日付} の (?P<at>\\d{2}:\\d{2}) に受領し、ヒアリングを終えた"))
def received_at_and_heard(world: World, company: str, date: str, at: str) -> None:
    new_case(world, edition_label(world.edition), "中国", company, received_on=date, received_time=at)
    drive(world, "hearing")


@step(R("{会社}の申込書を {日付} に受領し、まだヒアリングを終えていない"))
def received_not_heard(world: World, company: str, date: str) -> None:
    received(world, company, date, heard=False)


@step(R("{会社}の申込書を {日付} に受領し、ヒアリングを終えた"))
def received_and_heard(world: World, company: str, date: str) -> None:
    received(world, company, date, heard=True)


def adopt_company(world: World, company: str) -> Any:
    world.current = company
    return decide(world, {"decision": "adopt"})


@step(R("ジェトロ担当者として、{会社}を採択しようとする"))
def try_adopt(world: World, company: str) -> None:
    adopt_company(world, company)


@step(R("ジェトロ担当者として、{会社}を採択する"))
def adopt(world: World, company: str) -> None:
    response = adopt_company(world, company)
    assert response.status_code == 200, f"{company}を採択できるべき: {shown(response)}"


@step(R("{会社}の受付番号を示して「先に受領した案件」の採否を先に決めるよう求められる"))
def told_to_decide_earlier_first(world: World, company: str) -> None:
    response = world.response
    earlier = world.cases[company]["number"]
    assert response.status_code == 409, (
        f"規則違反: お申し込み順に審査し採択する — 先に受領した{company}（{earlier}）より先に採択してはならない。"
        f"実際: {shown(response)}"
    )
    message = response.get_json()["error"]
    assert earlier in message and "先に受領した案件" in message, message


@step("どちらも採択されている")
def both_adopted(world: World) -> None:
    for company in world.cases:
        case = world.refresh(company)
        assert case["adopted_at"] and case["stage"] == "forms", f"{company}が採択されているべき: {case['stage']}"


# ---------------------------------------------------------------- the planned number of adoptions


def edition_summary(world: World) -> dict[str, Any]:
    editions = world.api_as("staff").get("/editions").get_json()
    return next(e for e in editions if e["code"] == world.edition)


@step(R("{年度}の申込を、予定採択件数より1件少ない{数}件まで採択済みである"))
def adopted_up_to_one_below(world: World, edition: str, number: str) -> None:
    planned = edition_summary(world)["planned_adoptions"]
    assert int(number) == planned - 1, f"{edition}の予定採択件数は{planned}件（シナリオの前提と違う）"
    adopt_many(world, world.edition or "", int(number))
    assert edition_summary(world)["adopted"] == int(number)


@step("C商事株式会社とD工業株式会社の申込書を受領し、どちらもヒアリングを終えた")
def two_more_received(world: World) -> None:
    for company in ("C商事株式会社", "D工業株式会社"):
        received(world, company, today(world), heard=True)


@step(R("採択件数は{数}件になる"))
def adopted_count(world: World, number: str) -> None:
    summary = edition_summary(world)
    assert summary["adopted"] == int(number), f"採択件数は{number}件であるべき。実際: {summary['adopted']}"


@step("ジェトロ担当者として、新しい申込書を登録しようとする")
def try_new_application(world: World) -> None:
    data = application_form(world.edition or "", ["CN"], today(world), company_name="E物産株式会社")
    world.response = world.api_as("staff").post("/applications", data=multipart(data))


# ---------------------------------------------------------------- the plan reached


def _plan_mails(world: World, company: str, text: str) -> list:
    case = world.cases[company]
    return [m for m in world.mail.messages if text in str(m["Subject"]) and case["number"] in str(m["Subject"])]


@step(R("{会社}の企業の担当者に、受付番号を添えて件名に「{文}」を含むメールが届く"))
def plan_mail_arrives(world: World, company: str, text: str) -> None:
    found = _plan_mails(world, company, text)
    subjects = [str(m["Subject"]) for m in world.mail.messages]
    assert found, f"規則違反: 審査中の{company}に「{text}」の連絡が届くべき。届いたメール: {subjects}"
    assert len(found) == 1, f"「{text}」は1度だけ届くべき。実際: {len(found)}通"


@step(R("{会社}の企業の担当者には、件名に「{文}」を含むメールは届かない"))
def plan_mail_not_sent(world: World, company: str, text: str) -> None:
    found = _plan_mails(world, company, text)
    assert not found, f"採択された{company}には「{text}」は送らない。実際: {[str(m['Subject']) for m in found]}"


# ---------------------------------------------------------------- reopening a decision


@step(R("{役割}として、「{文}」という理由で採否の決定をやり直(?P<tries>す|そうとする)"))
def reopen_decision(world: World, role: str, text: str, tries: str) -> None:
    path = f"/cases/{world.case_id}/reopen-decision"
    world.response = world.api_as(role_user(role)).post(path, json={"reason": text})
    if tries == "す":
        assert world.response.status_code == 200, f"採否をやり直せません: {shown(world.response)}"


@step(R("案件の履歴に、採否をやり直した理由「{文}」が、やり直す前の「(?P<before>不採択|採択)」とともに残る"))
def reopened_in_history(world: World, text: str, before: str) -> None:
    entries = [h for h in world.refresh()["history"] if h["action"] == "decision_reopened"]
    assert entries and entries[-1]["detail"] == text, f"規則違反: やり直した理由が履歴に残るべき: {entries}"
    was = entries[-1]["before"]
    assert (was["status"] == "rejected") == (before == "不採択") and entries[-1]["after"]["status"] == "active", was
