"""サービス提供・時間記録: the hours ledger per company and country, the support period, free of charge."""

from __future__ import annotations

import re
from typing import Any

from pytest_bdd import step

from features.steps import R
from features.steps.common import new_case
from features.support import (
    ACTIVITIES,
    COMPANY,
    COUNTRIES,
    EDITIONS,
    PDF,
    SERVICE_DONE,
    TASKS,
    World,
    application_fields,
    briefing,
    drive,
    follow_up,
    hearing_answers,
    plan,
    role_user,
    shown,
    today,
)

# ---------------------------------------------------------------- logging hours


def log_hours(world: World, role: str, activity: str, hours: str, *, country: str | None = None,
              work_date: str | None = None, **extra: Any) -> Any:  # fmt: skip
    code = COUNTRIES[country] if country else COUNTRIES[role.removesuffix("担当の現地専門家")]
    entry = {"country": code, "work_date": work_date or today(world), "activity": ACTIVITIES[activity], "hours": hours}
    response = world.api_as(role_user(role)).post(f"/cases/{world.case_id}/hours", json={**entry, **extra})
    world.response = response
    world.notes["logged"] = (code, float(hours))
    if response.status_code == 201:
        world.notes["entry_id"] = response.get_json()["id"]
    return response


@step(R("{役割}として、(?:さらに)?{作業}{数}時間を記録(?:する|しようとする)"))
def record_hours(world: World, role: str, activity: str, number: str) -> None:
    log_hours(world, role, activity, number)


@step(R("{役割}として、{作業}{数}時間を記録した"))
def recorded_hours(world: World, role: str, activity: str, number: str) -> None:
    response = log_hours(world, role, activity, number)
    assert response.status_code == 201, f"{activity}{number}時間を記録できるべき: {shown(response)}"


@step(R("{役割}として、作業日を{日付}として{作業}{数}時間を記録しようとする"))
def record_on_day(world: World, role: str, date: str, activity: str, number: str) -> None:
    log_hours(world, role, activity, number, work_date=date)


@step(R("{役割}として、作業日を{日付}として{作業}{数}時間を記録できる"))
def can_record_on_day(world: World, role: str, date: str, activity: str, number: str) -> None:
    response = log_hours(world, role, activity, number, work_date=date)
    assert response.status_code == 201, (
        f"規則違反: 支援期間（採択の日から終了日まで）の作業日（{date}）は記録できるべき。実際: {shown(response)}"
    )


@step(R("{役割}として、作業日を{日付}として{作業}{数}時間を記録しようとすると断られる"))
def cannot_record_on_day(world: World, role: str, date: str, activity: str, number: str) -> None:
    response = log_hours(world, role, activity, number, work_date=date)
    assert response.status_code in (409, 422), (
        f"規則違反: 支援期間の終了後は時間を記録できないはず。実際: {shown(response)}"
    )


@step(R("{役割}として、確保した時間を使うことを確認して{作業}{数}時間を記録する"))
def record_using_reserve(world: World, role: str, activity: str, number: str) -> None:
    log_hours(world, role, activity, number, confirm_reserved=True)


@step(R("{役割}として、この案件の{国}の時間を記録しようとする"))
def record_other_country(world: World, role: str, country: str) -> None:
    log_hours(world, role, "面談", "1", country=country)


# ---------------------------------------------------------------- what the ledger shows


def country_hours(world: World, country: str) -> dict[str, Any]:
    code = COUNTRIES[country]
    return next(h for h in world.refresh()["hours"] if h["country"] == code)


@step(R("記録は受け付けられ、{国}の残り時間は{数}時間になる"))
def accepted_and_remaining(world: World, country: str, number: str) -> None:
    assert world.response.status_code == 201, f"規則違反: 上限までの記録は受け付けるべき。実際: {shown(world.response)}"
    remaining(world, country, number)


@step(R("{国}の残り時間は{数}時間(?:になる|のままである)"))
def remaining(world: World, country: str, number: str) -> None:
    hours = country_hours(world, country)
    assert hours["remaining"] == float(number), (
        f"規則違反: {country}の残り時間は{number}時間であるべき（上限{hours['cap']:g}時間、利用{hours['used']:g}時間）"
    )


@step(R("{国}の利用時間は{数}時間のままである"))
def used_unchanged(world: World, country: str, number: str) -> None:
    hours = country_hours(world, country)
    assert hours["used"] == float(number), (
        f"規則違反: 断られた記録は数えないはず。{country}の利用時間: {hours['used']:g}"
    )


@step(R("その{数}時間は上限に(?P<counted>数える|数えない)"))
def counted_or_not(world: World, number: str, counted: str) -> None:
    assert world.response.status_code == 201, f"記録できるべき: {shown(world.response)}"
    code, hours = world.notes["logged"]
    name = next(k for k, v in COUNTRIES.items() if v == code)
    summary = country_hours(world, name)
    if counted == "数える":
        assert world.response.get_json()["counted"] and summary["used"] == hours, (
            f"規則違反: この作業の時間は上限に数えるべき。利用時間: {summary['used']:g}"
        )
    else:
        assert (
            not world.response.get_json()["counted"] and summary["used"] == 0 and summary["travel_not_counted"] == hours
        ), f"規則違反: 専門家の出張に要する時間は含まないはず。利用時間: {summary['used']:g}"


@step(R("{国}の移動時間{数}時間は上限の外で記録されている"))
def travel_outside_cap(world: World, country: str, number: str) -> None:
    hours = country_hours(world, country)
    assert hours["travel_not_counted"] == float(number), f"移動時間は別に記録されているべき: {hours}"


@step(R("{国}の支援は「{文}」となっている"))
def country_closed(world: World, country: str, text: str) -> None:
    hours = country_hours(world, country)
    assert hours["closed_label"] == text, (
        f"規則違反: 支援期間の終了日を過ぎたら{country}の支援は「{text}」となるべき。実際: {hours['closed_label']}"
    )


# ---------------------------------------------------------------- free of charge

FEE_WORDS = re.compile(r"費用|料金|手数料|\bfees?\b", re.IGNORECASE)


def fee_mentions(fields: list[dict[str, Any]], where: str) -> list[str]:
    found = []
    for f in fields:
        text = " ".join(
            [f["name"], f["label"], f.get("description") or ""] + [str(c[1]) for c in f.get("choices") or []]
        )
        if FEE_WORDS.search(text):
            found.append(f"{where}: {f['label']}（{f['name']}）")
        found.extend(fee_mentions(f.get("fields") or [], where))
    return found


@step("申込書に費用・料金の欄はない")
def application_has_no_fee(world: World) -> None:
    found = fee_mentions(application_fields(world.app), "申込書")
    assert not found, f"規則違反: サービスは無料なので費用・料金の欄があってはならない: {found}"


@step("株式会社サンプル精機の中国の案件を、受領確認から広報まで進め、開いたタスクの入力欄をすべて確かめる")
def walk_every_task(world: World) -> None:
    new_case(world, "2025年度", "中国", COMPANY)
    seen: dict[str, list[dict[str, Any]]] = {}
    for form_key in TASKS.values():
        task = world.require_task(form_key)
        username = "expert_cn" if task["role"] == "expert" else "staff"
        response = world.api_as(username).get(f"/tasks/{task['id']}")
        assert response.status_code == 200, shown(response)
        seen[form_key] = response.get_json()["fields"]
        if form_key != "publicity":
            complete_next(world, form_key, username)
    world.notes["task_fields"] = seen


def complete_next(world: World, form_key: str, username: str) -> None:
    payloads = {
        "receipt_confirmation": {"sealed_pdf_confirmed": True},
        "hearing": hearing_answers(world),
        "adoption_decision": {"decision": "adopt"},
        "forms_submission": {"form1_file": PDF, "form2_file": PDF},
        "expert_briefing": briefing(world, "CN"),
        "plan_confirmation": plan(world),
        "service_delivery": SERVICE_DONE,
        "follow_up": follow_up(world),
    }
    task = world.require_task(form_key)
    response = world.complete(username, task["id"], payloads[form_key])
    assert response.status_code == 200, f"{form_key}: {shown(response)}"
    world.refresh()


@step("どのタスクにも費用・料金の欄はない")
def no_task_has_fee(world: World) -> None:
    seen = world.notes["task_fields"]
    names = {v: k for k, v in TASKS.items()}
    assert set(seen) == set(TASKS.values()), f"すべてのタスクを確かめるべき: {sorted(seen)}"
    found = [m for key, fields in seen.items() for m in fee_mentions(fields, names[key])]
    assert not found, f"規則違反: サービスは無料なので費用・料金の欄があってはならない: {found}"


# ---------------------------------------------------------------- a company's cases in several editions


def keep_earlier_case(world: World, company: str) -> None:
    if company in world.cases:
        world.notes.setdefault("earlier_cases", []).append(world.cases[company]["id"])


@step(R("{年度}に採択され、{国々}でサービス提供中の{会社}の案件がある"))
def company_case_in_service(world: World, edition: str, countries: str, company: str) -> None:
    keep_earlier_case(world, company)
    new_case(world, edition, countries, company)
    drive(world, "plan")


@step(R("{年度}に採択され、様式1・様式2を提出済みの{国々}の{会社}の案件がある"))
def company_case_with_forms(world: World, edition: str, countries: str, company: str) -> None:
    keep_earlier_case(world, company)
    new_case(world, edition, countries, company)
    drive(world, "forms")


def ledger(world: World, username: str = "staff") -> dict[str, Any]:
    response = world.api_as(username).get(f"/cases/{world.case_id}/hours")
    assert response.status_code == 200, shown(response)
    return dict(response.get_json())


@step(
    R(
        "時間記録では、{年度}の{国}は{数}時間、(?P<edition2>20\\d\\d年度)の(?P<country2>[^はの]+)は(?P<number2>[\\d.]+)時間と、"
        "年度ごとに分けて示される"
    )
)
def ledger_by_edition(world: World, edition: str, country: str, number: str, edition2: str, country2: str,
                      number2: str) -> None:  # fmt: skip
    editions = {e["edition"]: e for e in ledger(world)["editions"]}
    for label, name, hours in ((edition, country, number), (edition2, country2, number2)):
        code, country_code = EDITIONS[label], COUNTRIES[name]
        assert code in editions, f"規則違反: {label}の時間は年度ごとに示されるべき。実際の年度: {sorted(editions)}"
        account = next((a for a in editions[code]["accounts"] if a["country"] == country_code), None)
        assert account and account["used"] == float(hours), (
            f"規則違反: {label}の{name}の利用時間は{hours}時間（年度ごとの上限）であるべき。実際: {account}"
        )
        entries = editions[code]["entries"]
        assert entries and all(e["edition"] == code for e in entries), f"{label}の記録が混ざっている: {entries}"
    assert next(iter(editions)) == world.case["edition"], "この案件の年度が先に示されるべき"


# ---------------------------------------------------------------- corrections


def reverse_last(world: World, role: str, reason: str) -> Any:
    entry_id = world.notes["entry_id"]
    response = world.api_as(role_user(role)).post(
        f"/cases/{world.case_id}/hours/{entry_id}/reverse", json={"reason": reason}
    )
    world.response = response
    return response


@step(R("{役割}として、その記録を理由を書かずに取り消す"))
def reverse_without_reason(world: World, role: str) -> None:
    reverse_last(world, role, "")


@step(R("{役割}として、その記録を「{文}」として取り消す"))
def reverse_with_reason(world: World, role: str, text: str) -> None:
    reverse_last(world, role, text)


@step(R("ジェトロ担当者には、元の{数}時間の記録と、理由「{文}」つきの取消の記録の両方が見える"))
def both_entries_visible(world: World, number: str, text: str) -> None:
    entries = next(e for e in ledger(world)["editions"] if e["current"])["entries"]
    original = next((e for e in entries if e["id"] == world.notes["entry_id"]), None)
    assert original and original["hours"] == float(number) and original["reversed"], (
        f"規則違反: 元の記録は変えずに残り、取消済みと示されるべき。実際: {entries}"
    )
    reversal = next((e for e in entries if e["reverses"] == original["id"]), None)
    assert reversal and reversal["hours"] == -float(number) and reversal["reason"] == text, (
        f"規則違反: 取消は理由つきの別の記録（-{number}時間）として残るべき。実際: {entries}"
    )
