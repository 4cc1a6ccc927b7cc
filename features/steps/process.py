"""プロセスのバージョン: a designer deploys a changed diagram on the process page."""

from __future__ import annotations

import io
import re

from pytest_bdd import step

from features.steps import R
from features.support import World, drive, role_user
from webapp.operations.process import repository_files

VERSION_ROW = re.compile(r"<td>v(\d+)")


def deploy(world: World, role: str, bpmn: str) -> None:
    api = world.api_as(role_user(role))
    files = {"files": [(io.BytesIO(bpmn.encode("utf-8")), "support_program.bpmn")]}
    world.response = api.client.post("/process/deploy", headers=api._headers(), data=files,
                                      content_type="multipart/form-data", follow_redirects=True)  # fmt: skip


def page_text(world: World) -> str:
    return str(world.response.get_data(as_text=True))


@step(R("{役割}として、「ヒアリング」を「ヒアリング（電話）」に改名した流れをデプロイする"))
def deploy_renamed(world: World, role: str) -> None:
    bpmn = repository_files()["support_program.bpmn"].replace('name="ヒアリング"', 'name="ヒアリング（電話）"')
    deploy(world, role, bpmn)


@step(R("{役割}として、ヒアリングの入力画面を存在しない「hearing_v2」に変えた流れをデプロイしようとする"))
def deploy_broken(world: World, role: str) -> None:
    world.notes["versions_before"] = page_text_of_versions(world)
    bpmn = repository_files()["support_program.bpmn"].replace(
        'name="formKey" value="hearing"', 'name="formKey" value="hearing_v2"'
    )
    deploy(world, role, bpmn)


@step(R("{役割}として、流れをデプロイしようとする"))
def deploy_as(world: World, role: str) -> None:
    deploy(world, role, repository_files()["support_program.bpmn"])


def page_text_of_versions(world: World) -> str:
    api = world.api_as("designer")
    return str(api.client.get("/process/", headers=api._headers()).get_data(as_text=True))


@step("新しいバージョンがデプロイされている")
def new_version_deployed(world: World) -> None:
    text = page_text(world)
    assert world.response.status_code == 200 and "バージョン 2 をデプロイしました" in text, text[:3000]


@step(R("デプロイは断られ、誤りのある要素「{文}」と「(?P<key>[^」]+)」が示される"))
def deploy_refused(world: World, text: str, key: str) -> None:
    page = page_text(world)
    assert "デプロイできません" in page and text in page and key in page, (
        f"規則違反: 誤りのある図はデプロイせず、どこが誤りか（{text}・{key}）を示すべき:\n{page[:3000]}"
    )


@step("新しいバージョンはデプロイされていない")
def nothing_deployed(world: World) -> None:
    before = VERSION_ROW.findall(world.notes["versions_before"])
    after = VERSION_ROW.findall(page_text_of_versions(world))
    assert after == before, f"規則違反: 誤りのある図をデプロイしてはならない。バージョン: {before} → {after}"


@step(R("ジェトロ担当者として、(?P<first>\\S+?株式会社)と(?P<second>\\S+?株式会社)の受領確認を完了する"))
def confirm_both(world: World, first: str, second: str) -> None:
    for company in (first, second):
        world.current = company
        drive(world, "receipt")


@step(R("{会社}の次のタスクは「{文}」である"))
def next_task_title(world: World, company: str, text: str) -> None:
    world.current = company
    task = world.require_task("hearing")
    assert task["title"] == text, (
        f"規則違反: {company}の案件は申込時のバージョンの流れで進むべき。次のタスク: {task['title']}"
    )
