"""The draft's check: what the deploy would refuse, and for every running case whether it could move to the
draft (workflows.migration), with the reason in the designer's language when it could not."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from workflows.engine import Definition, ProcessDefinitionError
from workflows.migration import Blocker
from workflows.migration import check as check_migration

from ..extensions import db
from ..models import ProcessInstance
from ..operations.process import INSTANCE_SUSPENDED, parse_files, restore
from .drafts import Problem, check_files
from .models import ProcessDraft


@dataclass(frozen=True)
class CaseMove:
    case_id: int
    case_number: str
    company: str
    version: int
    movable: bool
    reasons: list[str]
    elements: list[str]
    current: bool = False  # already on the version the draft was deployed as


@dataclass
class DraftCheck:
    problems: list[Problem]
    cases: list[CaseMove] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def movable(self) -> list[CaseMove]:
        return [c for c in self.cases if c.movable and not c.current]


def _attribute_labels() -> dict[str, str]:
    """The engine's names for what changed in an element, as a designer calls them."""
    return {
        "bpmn_name": _("名前"),
        "extensions": _("エンジンの設定（フォーム・段階・説明など）"),
        "script": _("スクリプト"),
        "prescript": _("開始前のスクリプト"),
        "postscript": _("完了後のスクリプト"),
        "cond_task_specs": _("条件"),
        "default_task_spec": _("デフォルトフロー"),
        "inputs": _("入ってくるフロー"),
        "outputs": _("出ていくフロー"),
        "lane": _("レーン"),
        "documentation": _("説明"),
        "event_definition": _("イベントの定義（タイマー・メッセージ）"),
        "data_input": _("対象のコレクション"),
        "data_output": _("結果のコレクション"),
        "input_item": _("各インスタンスの変数"),
        "output_item": _("各インスタンスの結果の変数"),
        "typename": _("要素の種類"),
    }


def describe_attributes(attributes: tuple[str, ...]) -> str:
    labels = _attribute_labels()
    return "、".join(labels.get(a, a) for a in attributes) or "-"


def reason(blocker: Blocker) -> str:
    if blocker.code == "removed":
        return _(
            "%(title)s（%(id)s）にいますが、下書きにはこの要素がありません。", title=blocker.title, id=blocker.element
        )
    if blocker.code == "process_removed":
        return _("呼び出しプロセス %(id)s の途中ですが、下書きにはこのプロセスがありません。", id=blocker.element)
    return _(
        "%(title)s（%(id)s）にいますが、下書きでこの要素が変わっています（%(what)s）。",
        title=blocker.title, id=blocker.element, what=describe_attributes(blocker.attributes),
    )  # fmt: skip


def _case_moves(definition: Definition, deployed_version_id: int | None) -> list[CaseMove]:
    query = (
        select(ProcessInstance)
        .where(ProcessInstance.status.in_(("running", INSTANCE_SUSPENDED)))
        .options(joinedload(ProcessInstance.case), joinedload(ProcessInstance.process_version))
        .order_by(ProcessInstance.case_id)
    )
    moves = []
    for row in db.session.scalars(query):
        result = check_migration(restore(row), definition)
        moves.append(
            CaseMove(
                case_id=row.case_id,
                case_number=row.case.number,
                company=row.case.company.name,
                version=row.process_version.version,
                movable=result.movable,
                reasons=[reason(b) for b in result.blockers],
                elements=[b.element for b in result.blockers],
                current=row.process_version_id == deployed_version_id,
            )
        )
    return moves


def check_draft(draft: ProcessDraft) -> DraftCheck:
    """Reads only: the deploy's validation on the draft's files, then (when it passes) every running case
    diffed against the draft's spec. `seconds` is how long it took."""
    started = time.perf_counter()
    try:
        definition = parse_files(draft.sources)
    except ProcessDefinitionError:
        return DraftCheck(check_files(draft.sources), seconds=time.perf_counter() - started)
    result = DraftCheck([], _case_moves(definition, draft.deployed_version_id))
    result.seconds = time.perf_counter() - started
    return result
