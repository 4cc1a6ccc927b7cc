"""申込・受領確認: registering the received application, the edition's countries, the sealed PDF."""

from __future__ import annotations

from pytest_bdd import step

from features.steps import R
from features.steps.common import new_case
from features.support import (
    COMPANY,
    COUNTRIES,
    PDF,
    World,
    application_fields,
    application_form,
    edition_label,
    multipart,
    register,
    shown,
    today,
)


@step(R("ジェトロ担当者として、{国}を対象国とする申込書を登録する"))
def register_for_country(world: World, country: str) -> None:
    world.notes["country"] = country
    register(world, COMPANY, world.edition or "", [COUNTRIES[country]])


@step("申込は受け付けられる")
def application_accepted(world: World) -> None:
    response = world.response
    country = world.notes["country"]
    assert response.status_code == 201, (
        f"規則違反: {country}は{world.edition}の対象国なので申込を受け付けるべき。実際: {shown(response)}"
    )
    assert response.get_json()["stage"] == "receipt"


@step("申込は受け付けられない")
def application_refused(world: World) -> None:
    response = world.response
    country = world.notes["country"]
    assert response.status_code == 422, (
        f"規則違反: {country}は{world.edition}の対象国ではないので申込を受け付けてはならない。実際: {shown(response)}"
    )
    messages = response.get_json()["errors"]["countries"]
    assert any(country in m and "対象国ではありません" in m for m in messages), messages


@step("ジェトロ担当者として、担当者メールアドレスを記入していない申込書を登録する")
def register_without_email(world: World) -> None:
    register(world, COMPANY, world.edition or "", ["CN"], contact_email=None)


@step("申請企業として、申込書を登録しようとする")
def applicant_registers(world: World) -> None:
    data = application_form(world.edition or "", ["CN"], today(world))
    world.response = world.api_as("applicant").post("/applications", data=multipart(data))


@step(R("ジェトロ担当者として、捺印済みPDFを添付せずに{会社}の申込書（{国々}）を登録した"))
def register_without_pdf(world: World, company: str, countries: str) -> None:
    new_case(world, edition_label(world.edition), countries, company, sealed_pdf=None)


@step("ジェトロ担当者として、受領確認を完了する")
def confirm_receipt(world: World) -> None:
    task = world.require_task("receipt_confirmation")
    world.complete("staff", task["id"], {"sealed_pdf_confirmed": True})


@step("ジェトロ担当者として、捺印済みPDFを添付して受領確認を完了する")
def confirm_receipt_with_pdf(world: World) -> None:
    task = world.require_task("receipt_confirmation")
    response = world.complete("staff", task["id"], {"sealed_pdf_confirmed": True, "sealed_pdf": PDF})
    assert response.status_code == 200, f"捺印済みPDFを添付すれば受領確認できるべき。実際: {shown(response)}"


@step("そのメールには案件の受付番号が書かれている")
def mail_has_case_number(world: World) -> None:
    message = world.notes["mail"]
    number = world.case["number"]
    body = world.mail.body(message)
    assert number in body and number in str(message["Subject"]), f"受付番号 {number} が書かれているべき:\n{body}"


@step(R("申込書の現地拠点の種類は(?P<kinds>(?:「[^」]+」)+)から選べる"))
def site_types_offered(world: World, kinds: str) -> None:
    expected = kinds.strip("「」").split("」「")
    sites = next(f for f in application_fields(world.app) if f["name"] == "sites")["fields"]  # one per country
    for country in sites:
        site_type = next(f for f in country["fields"] if f["name"] == "site_type")
        offered = [label for value, label in site_type["choices"] if value]
        assert offered == expected, f"規則違反: {country['label']}の現地拠点は{expected}から選べるべき。実際: {offered}"


# ---------------------------------------------------------------- FY2021: the posted original


def post_original(world: World, **dates: str) -> None:
    world.response = world.api_as("staff").post(f"/cases/{world.case_id}/original", json=dates)


@step(
    R(
        "ジェトロ担当者として、申請書原本の発送日を {日付}、受領日を (?P<received>\\d{4}-\\d{2}-\\d{2}) と記録しようとする"
    )
)
def try_record_original(world: World, date: str, received: str) -> None:
    post_original(world, sent_on=date, received_on=received)


@step(R("ジェトロ担当者として、申請書原本の(?P<which>発送日|受領日)を {日付} と記録(?P<tries>しようとする|する)"))
def record_original(world: World, which: str, date: str, tries: str) -> None:
    post_original(world, **{"sent_on" if which == "発送日" else "received_on": date})
    if tries == "する":
        assert world.response.status_code == 200, f"申請書原本を記録できません: {shown(world.response)}"


@step(R("案件の申請書原本は、発送 {日付}、受領(?P<received>はまだ| \\d{4}-\\d{2}-\\d{2} )と記録されている"))
def original_recorded(world: World, date: str, received: str) -> None:
    original = world.refresh()["original"]
    expected = None if received == "はまだ" else received.strip()
    assert original == {"sent_on": date, "received_on": expected}, original


@step(R("案件の履歴に、申請書原本の記録が{数}件残る"))
def original_history(world: World, number: str) -> None:
    entries = [h for h in world.refresh()["history"] if h["action"] == "original_recorded"]
    assert len(entries) == int(number), entries
