"""Steps every area uses: the edition and the day, cases at a given point of the program, inboxes,
refusals, the company's mailbox and the timer job."""

from __future__ import annotations

from datetime import datetime, timedelta

from pytest_bdd import step

from features.steps import R
from features.support import (
    COMPANY,
    COUNTRIES,
    EDITION_TODAY,
    TASKS,
    World,
    country_codes,
    drive,
    edition_code,
    edition_label,
    error_text,
    jst,
    register,
    role_user,
    shown,
)
from webapp.extensions import db
from webapp.models import Case, User
from workflows.clock import clock

# ---------------------------------------------------------------- the edition and the day


def enter_edition(world: World, edition: str) -> None:
    """Sets the day to one inside the edition's application window (unless the scenario chose the day)."""
    if world.edition != edition:
        world.edition = edition
        if not world.notes.get("day_chosen"):
            clock.set(EDITION_TODAY[edition])


@step(R("{年度}の募集期間中である"))
def application_period_open(world: World, edition: str) -> None:
    enter_edition(world, edition_code(edition))


@step(R("今日は {日付} である"))
def today_is(world: World, date: str) -> None:
    clock.set(jst(date))
    world.notes["day_chosen"] = True


# ---------------------------------------------------------------- accounts


@step("申請企業の担当者アカウントは株式会社サンプル精機に所属している")
def applicant_account_belongs_to_company(world: World) -> None:
    """Account set-up (no API or command exists for it): the applicant account is linked to the company of
    each case registered in this scenario."""
    world.notes["link_applicant"] = True


def link_applicant(world: World) -> None:
    if not world.notes.get("link_applicant"):
        return
    with world.app.app_context():
        user = db.session.query(User).filter_by(username="applicant").one()
        case = db.session.get(Case, world.case_id)
        assert case is not None
        user.company_id = case.company_id
        db.session.commit()


# ---------------------------------------------------------------- cases at a point of the program


def new_case(world: World, edition: str, countries: str, company: str = COMPANY, **extra: object) -> None:
    enter_edition(world, edition_code(edition))
    response = register(world, company, world.edition or "", country_codes(countries), **extra)
    assert response.status_code == 201, f"申込書を登録できません: {shown(response)}"
    link_applicant(world)


@step(R("ジェトロ担当者として、{会社}の申込書（{国々}）を登録した"))
def staff_registered_application(world: World, company: str, countries: str) -> None:
    new_case(world, edition_label(world.edition), countries, company)


@step(R("{年度}の{国々}向けの申込書を受領確認した"))
def application_receipt_confirmed(world: World, edition: str, countries: str) -> None:
    new_case(world, edition, countries)
    drive(world, "receipt")


@step(R("{年度}に採択された{国々}の案件がある"))
def adopted_case(world: World, edition: str, countries: str) -> None:
    new_case(world, edition, countries)
    drive(world, "adopted")
    world.notes["adopted_at"] = clock.now()


@step(R("{年度}に採択され、様式1・様式2を提出済みの{国々}の案件がある"))
def case_with_forms(world: World, edition: str, countries: str) -> None:
    new_case(world, edition, countries)
    drive(world, "forms")


@step(R("{年度}に採択され、{国々}でサービス提供中の案件がある"))
def case_in_service(world: World, edition: str, countries: str) -> None:
    new_case(world, edition, countries)
    drive(world, "plan")


@step(R("{年度}に採択され、{国々}でフォローアップまで終えた{会社}の案件がある"))
def case_followed_up(world: World, edition: str, countries: str, company: str) -> None:
    new_case(world, edition, countries, company)
    drive(world, "follow_up")


# ---------------------------------------------------------------- inboxes


def _task_key(task: str) -> str:
    assert task in TASKS, f"タスク名「{task}」は業務の流れにありません（{', '.join(TASKS)}）"
    return TASKS[task]


def inbox(world: World, role: str, task: str, country: str | None) -> list[dict]:
    key = _task_key(task)
    code = COUNTRIES[country] if country else None
    return [
        t
        for t in world.tasks(role_user(role), case=str(world.case_id))
        if t["form_key"] == key and (code is None or t["country"] == code)
    ]


@step(R("{国の}「{タスク}」のタスクが{役割}の受付箱に入る"))
def task_in_inbox(world: World, task: str, role: str, country: str | None = None) -> None:
    found = inbox(world, role, task, country)
    assert found, (
        f"規則違反: 「{task}」（{country or '-'}）は{role}の受付箱に入るべき。受付箱: {world.tasks(role_user(role))}"
    )


@step(R("「{タスク}」のタスクが1件だけ{役割}の受付箱に入る"))
def exactly_one_task_in_inbox(world: World, task: str, role: str) -> None:
    found = inbox(world, role, task, None)
    assert len(found) == 1, f"規則違反: 「{task}」は1件だけできるべき。実際: {found}"


@step(R("{国の}「{タスク}」のタスクは{役割}の受付箱にない"))
def task_not_in_inbox(world: World, task: str, role: str, country: str | None = None) -> None:
    found = inbox(world, role, task, country)
    assert not found, f"規則違反: 「{task}」（{country or '-'}）は{role}の受付箱に入ってはならない。実際: {found}"


@step(R("{国の}「{タスク}」のタスクは{役割}の受付箱に残っている"))
def task_still_in_inbox(world: World, task: str, role: str, country: str | None = None) -> None:
    task_in_inbox(world, task, role, country)


@step(R("{国の}「{タスク}」のタスクはまだ誰の受付箱にもない"))
def task_not_yet(world: World, task: str, country: str | None = None) -> None:
    code = COUNTRIES[country] if country else None
    task_row = world.open_task(_task_key(task), code)
    assert task_row is None, f"規則違反: 「{task}」（{country or '-'}）はまだ始まっていないはず。実際: {task_row}"


@step(R("{国の}「{タスク}」のタスクはまだ開いている"))
def task_still_open(world: World, task: str, country: str | None = None) -> None:
    code = COUNTRIES[country] if country else None
    assert world.open_task(_task_key(task), code) is not None, f"「{task}」のタスクが開いたままであるべき"


# ---------------------------------------------------------------- refusals


@step(R("「{文}」と断られる"))
def refused_with(world: World, text: str) -> None:
    response = world.response
    assert 400 <= response.status_code < 500, f"規則違反: 「{text}」として断られるべき。実際: {shown(response)}"
    said = error_text(response)
    assert text in said, f"断る理由として「{text}」が示されるべき。実際の表示: {said}"


@step("権限がないとして断られる")
def refused_forbidden(world: World) -> None:
    response = world.response
    assert response.status_code == 403, f"規則違反: 権限がない操作は403で断られるべき。実際: {shown(response)}"


@step("見つからないとして断られる")
def refused_not_found(world: World) -> None:
    response = world.response
    assert response.status_code == 404, (
        f"規則違反: 担当外の案件は見つからないとして断られるべき。実際: {shown(response)}"
    )


@step("断られる")
def refused(world: World) -> None:
    response = world.response
    assert response.status_code in (403, 404), f"規則違反: この操作は断られるべき。実際: {shown(response)}"


# ---------------------------------------------------------------- the case's outcome


@step("案件は採否の決定に進む")
def goes_to_adoption_decision(world: World) -> None:
    assert world.response.status_code == 200, f"ヒアリングを完了できません: {shown(world.response)}"
    case = world.refresh()
    assert case["status"] == "active" and world.open_task("adoption_decision") and not case["ineligible_reasons"], (
        f"規則違反: 申請要件を満たす申込は採否の決定に進むべき。実際: status={case['status']} stage={case['stage']} "
        f"理由={case['ineligible_reasons']}"
    )


@step("案件は要件を満たさないと推奨される")
def recommended_ineligible(world: World) -> None:
    assert world.response.status_code == 200, f"ヒアリングを完了できません: {shown(world.response)}"
    case = world.refresh()
    assert case["ineligible_reasons"], f"規則違反: 要件を満たさない理由が推奨として示されるべき。実際: {case}"
    assert case["status"] == "active" and world.open_task("adoption_decision"), (
        f"規則違反: 審査結果は推奨で、採否は担当者が決めるべき。実際: status={case['status']} stage={case['stage']}"
    )


@step("案件は要件外として不採択になる")
def becomes_ineligible(world: World) -> None:
    assert world.response.status_code == 200, f"ヒアリングを完了できません: {shown(world.response)}"
    case = world.refresh()
    assert case["status"] == "ineligible" and case["ineligible_reasons"], (
        f"規則違反: 申請要件を満たさない申込は要件外として不採択になるべき。実際: status={case['status']} "
        f"stage={case['stage']}"
    )
    assert world.open_task("adoption_decision") is None, "要件外の申込に採否の決定のタスクが残っている"


@step("案件は採択される")
def becomes_adopted(world: World) -> None:
    assert world.response.status_code == 200, f"採択できるべき: {shown(world.response)}"
    case = world.refresh()
    assert case["status"] == "active" and world.open_task("forms_submission"), f"採択されるべき。実際: {case}"


@step("案件は不採択になる")
def becomes_rejected(world: World) -> None:
    assert world.response.status_code == 200, shown(world.response)
    case = world.refresh()
    assert case["status"] == "rejected", f"不採択になるべき。実際: {case['status']}"


@step("案件は完了している")
def case_completed(world: World) -> None:
    case = world.refresh()
    assert case["status"] == "completed", f"支援が完了しているべき。実際: status={case['status']} stage={case['stage']}"


# ---------------------------------------------------------------- the company's mailbox


def _mails(world: World, subject: str) -> list:
    return [m for m in world.mail.to(world.contact_email) if subject in str(m["Subject"])]


@step(R("企業の担当者に、件名に「{文}」を含むメールが届く"))
def mail_arrives(world: World, text: str) -> None:
    found = _mails(world, text)
    subjects = [str(m["Subject"]) for m in world.mail.messages]
    assert found, f"規則違反: 企業（{world.contact_email}）に「{text}」の連絡が届くべき。届いたメール: {subjects}"
    world.notes["mail"] = found[-1]


@step(R("企業の担当者には、件名に「{文}」を含むメールはまだ届いていない"))
def mail_not_yet(world: World, text: str) -> None:
    found = _mails(world, text)
    assert not found, f"規則違反: 「{text}」はまだ送られないはず。実際: {[str(m['Subject']) for m in found]}"


@step(R("そのメールの「{文}」の案内は(?P<present>ある|ない)"))
def mail_mentions_or_not(world: World, text: str, present: str) -> None:
    body = world.mail.body(world.notes["mail"])
    assert (text in body) == (present == "ある"), f"規則違反: 「{text}」の案内はこの年度には{present}はず。本文: {body}"


@step(R("そのメールには「{文}」と書かれている"))
def mail_says(world: World, text: str) -> None:
    message = world.notes["mail"]
    body = world.mail.body(message)
    assert text in body, f"規則違反: 「{message['Subject']}」に「{text}」が書かれているべき。本文:\n{body}"


# ---------------------------------------------------------------- the clock and the timer job


def advance_and_tick(world: World, when: datetime) -> None:
    clock.set(when)
    world.notes["tick_output"] = world.run_timers()


@step(R("{日時} まで時計を進めてタイマーを実行する"))
def tick_at(world: World, when: str) -> None:
    advance_and_tick(world, jst(when))


@step(R("採択から{数}日の1分前まで時計を進めてタイマーを実行する"))
def tick_just_before(world: World, number: str) -> None:
    advance_and_tick(world, world.notes["adopted_at"] + timedelta(days=int(number)) - timedelta(minutes=1))


@step(R("採択から{数}日を1分過ぎるまで時計を進めてタイマーを実行する"))
def tick_just_after(world: World, number: str) -> None:
    advance_and_tick(world, world.notes["adopted_at"] + timedelta(days=int(number), minutes=1))


@step(R("採択から{数}日後まで時計を進めてタイマーを実行する"))
def tick_days_after(world: World, number: str) -> None:
    advance_and_tick(world, world.notes["adopted_at"] + timedelta(days=int(number)))
