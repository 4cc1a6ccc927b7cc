"""広報（事例紹介）, and the follow-up meeting before it."""

from __future__ import annotations

from typing import Any

from pytest_bdd import step

from features.steps import R
from features.steps.briefing import role_country
from features.support import SERVICE_DONE, World, follow_up, role_user, shown

# ---------------------------------------------------------------- the service and the follow-up meeting


def complete_country_task(world: World, role: str, form_key: str, payload: dict[str, Any]) -> Any:
    task = world.require_task(form_key, role_country(role))
    return world.complete(role_user(role), task["id"], payload)


@step(R("{役割}として、コンサルテーション・研修の実施を完了(?:する|した)"))
def service_done(world: World, role: str) -> None:
    response = complete_country_task(world, role, "service_delivery", SERVICE_DONE)
    assert response.status_code == 200, shown(response)


@step(R("{役割}として、面談の結果を書かずにフォローアップ面談を完了する"))
def follow_up_without_outcome(world: World, role: str) -> None:
    complete_country_task(world, role, "follow_up", dict(follow_up(world), outcome=""))


@step(R("{役割}として、フォローアップ面談の結果を記録して完了する"))
def follow_up_done(world: World, role: str) -> None:
    response = complete_country_task(world, role, "follow_up", follow_up(world))
    assert response.status_code == 200, shown(response)


# ---------------------------------------------------------------- the case study

STUDY = {
    "issues": "退職者による図面データの持ち出しが懸念されていた",
    "support_given": "就業規則・秘密保持誓約書のレビューと、管理職・従業員向け研修",
    "measures": "秘密情報の区分表示とアクセス権限の見直し、退職時の誓約書を導入",
}


def decide_publicity(world: World, payload: dict[str, Any]) -> Any:
    task = world.require_task("publicity")
    return world.complete("staff", task["id"], payload)


@step(R("ジェトロ担当者として、企業名の公表(?P<consent>への同意なしで|に同意を得て)、業種「{文}」の事例として公開する"))
def publish(world: World, consent: str, text: str) -> None:
    named = consent == "に同意を得て"
    response = decide_publicity(world, {"publish": True, "consent_to_be_named": named, "industry": text, **STUDY})
    assert response.status_code == 200, shown(response)


@step("ジェトロ担当者として、事例として公開しないことにする")
def do_not_publish(world: World) -> None:
    response = decide_publicity(world, {"publish": False})
    assert response.status_code == 200, shown(response)


@step("ジェトロ担当者として、課題を書かずに事例として公開する")
def publish_without_issues(world: World) -> None:
    decide_publicity(world, {"publish": True, "industry": "精密機器", **dict(STUDY, issues="")})


def public_text(world: World) -> str:
    """What anyone reads on the public case-study page (GET /public, no sign-in).

    Fallback while that page does not exist: the published CaseStudy rows as the page would title them."""
    if "public.index" in world.app.view_functions:
        response = world.app.test_client().get("/public")
        assert response.status_code == 200, f"事例紹介のページを開けるべき: {response.status_code}"
        return str(response.get_data(as_text=True))
    from webapp.extensions import db
    from webapp.models import CaseStudy
    from webapp.operations.publicity import display_name

    with world.app.app_context():
        studies = db.session.query(CaseStudy).filter_by(published=True).all()
        return "\n".join(f"{display_name(s.case, s.content, s.named)} {s.content}" for s in studies)


@step(R("公開された事例紹介に「{文}」の事例が載っている"))
def study_published(world: World, text: str) -> None:
    page = public_text(world)
    assert text in page, f"規則違反: 事例紹介に「{text}」の事例が載るべき。ページ:\n{page[:2000]}"


@step(R("公開された事例紹介に「{文}」の事例は載っていない"))
def study_not_published(world: World, text: str) -> None:
    page = public_text(world)
    assert text not in page, f"公開しないと決めた事例が載っている:\n{page[:2000]}"


@step(R("公開された事例紹介には「{文}」の名前が出ていない"))
def name_not_shown(world: World, text: str) -> None:
    page = public_text(world)
    assert text not in page, f"規則違反: 企業名の公表に同意がなければ「{text}」の名前を出してはならない:\n{page[:2000]}"
