"""What the editor page hands the browser: the registered forms, stages, decisions and lane → role mapping the
engine knows, the draft's files, and every word the editor shows (through Flask-Babel, Japanese first)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from lxml import etree

from forms import FORM_CLASSES
from workflows.engine import LANE_ROLES, PROGRAM_DECISIONS

from ..labels import ROLE_LABELS, STAGE_LABELS
from ..operations.process import STAGE_ORDER
from .drafts import Problem
from .models import ProcessDraft


def _texts() -> dict[str, str]:
    return {
        "group": _("エンジンの設定"),
        "none": _("（なし）"),
        "formKey": _("フォーム"),
        "stage": _("段階"),
        "decides": _("プログラムの決定"),
        "instructions": _("担当者への説明"),
        "preScript": _("開始前のスクリプト"),
        "postScript": _("完了後のスクリプト"),
        "script": _("スクリプト（Python）"),
        "condition": _("条件式（Python）"),
        "decision": _("呼び出す決定表"),
        "laneRole": _("レーン（役割）"),
        "laneUnmapped": _("このレーン名は役割に対応していません。"),
        "collection": _("対象のコレクション"),
        "collectionItem": _("各インスタンスの変数"),
        "outputCollection": _("結果のコレクション"),
        "outputItem": _("各インスタンスの結果の変数"),
        "lintNoFormKey": _("ユーザータスクにフォームを指定してください。"),
        "lintUnknownFormKey": _("フォーム「%s」は登録されていません。"),
        "lintNoStage": _("ユーザータスクに段階を指定してください。"),
        "lintLaneRole": _("レーン名「%s」は役割に対応していません。"),
        "lintReservedId": _("ID「%s」はエンジンの予約IDです。"),
        "lintCollection": _("複数インスタンスの対象のコレクションを指定してください。"),
        "saving": _("保存しています…"),
        "saveFailed": _("保存できませんでした。"),
        "importWarnings": _("図の読み込みで警告がありました："),
    }


def _modeler_texts() -> dict[str, str]:
    """The properties panel's own labels (bpmn-js-i18n's Japanese table covers the modeler's palette and menus)."""
    return {
        "General": _("一般"),
        "Name": _("名前"),
        "ID": _("ID"),
        "Documentation": _("説明"),
        "Element documentation": _("要素の説明"),
        "Process documentation": _("プロセスの説明"),
        "Executable": _("実行可能"),
        "Timer": _("タイマー"),
        "Type": _("種類"),
        "Value": _("値"),
        "Date": _("日時"),
        "Duration": _("期間"),
        "Cycle": _("繰り返し"),
        "Multi-instance": _("複数インスタンス"),
        "Loop cardinality": _("繰り返し回数"),
        "Completion condition": _("完了条件"),
        "Message": _("メッセージ"),
        "Global message reference": _("メッセージの参照"),
        "<none>": _("（なし）"),
        "Toggle linting overlays": _("検査の表示を切り替え"),
        "{errors} Errors, {warnings} Warnings": _("エラー {errors} 件、警告 {warnings} 件"),
        "No Issues": _("問題なし"),
        "Issues for child elements": _("内側の要素の問題"),
        "User Task": _("ユーザータスク"),
        "Script Task": _("スクリプトタスク"),
        "Business Rule Task": _("ビジネスルールタスク"),
        "Call Activity": _("呼び出しアクティビティ"),
        "Sub Process": _("サブプロセス"),
        "Sequence Flow": _("シーケンスフロー"),
        "Conditional Flow": _("条件付きフロー"),
        "Default Flow": _("デフォルトフロー"),
        "Exclusive Gateway": _("排他ゲートウェイ"),
        "Parallel Gateway": _("並列ゲートウェイ"),
        "Start Event": _("開始イベント"),
        "End Event": _("終了イベント"),
        "Timer Boundary Event": _("タイマー境界イベント"),
        "Message Intermediate Throw Event": _("メッセージ送信中間イベント"),
        "Lane": _("レーン"),
        "Participant": _("参加者（プール）"),
        "Process": _("プロセス"),
    }


def _decision_tables(files: dict[str, str]) -> list[dict[str, str]]:
    tables = []
    for name, text in sorted(files.items()):
        if not name.endswith(".dmn"):
            continue
        try:
            root = etree.fromstring(text.encode("utf-8"))
        except etree.XMLSyntaxError:
            continue
        for decision in root.iter("{*}decision"):
            did = decision.get("id") or ""
            tables.append({"value": did, "label": f"{decision.get('name') or did}（{did}）"})
    return tables


def editor_config(draft: ProcessDraft, problems: list[Problem]) -> dict[str, Any]:
    files = draft.sources
    return {
        "lang": str(get_locale() or "ja"),
        "files": files,
        "order": list(files),  # the tabs' order (JSON objects are sent with sorted keys)
        "lockVersion": draft.lock_version,
        "saveUrl": url_for("designer.save", draft_id=draft.id),
        "csrf": generate_csrf(),
        "problems": [p.as_json() for p in problems],
        "texts": _texts(),
        "modelerTexts": _modeler_texts(),
        "formKeys": [{"value": key, "label": key} for key in sorted(FORM_CLASSES)],
        "stages": [{"value": s, "label": f"{STAGE_LABELS.get(s, s)}（{s}）"} for s in STAGE_ORDER],
        "decisions": [{"value": d, "label": d} for d in sorted(PROGRAM_DECISIONS)],
        "lanes": [
            {"value": lane, "label": lane, "role": str(ROLE_LABELS.get(role, role))}
            for lane, role in LANE_ROLES.items()
        ],
        "decisionTables": _decision_tables(files),
    }
