"""What designers and staff read when a diagram is refused at deploy or its code fails at run time.

The process layer says which rule was broken (a code and what it found); the words live here, through
Flask-Babel, so they follow the user's language (Japanese first)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from forms import FORM_CLASSES
from workflows.engine import LANE_ROLES, ProcessDefinitionError, ProcessRuntimeError
from workflows.evaluator import LIMITS, EvaluationError, Refusal
from workflows.sandbox import TIMEOUT_SECONDS

from .operations.process_errors import cause_exception


def _refusal_text(exc: Refusal) -> str:
    detail = exc.detail
    texts = {
        "construct": _("「%(what)s」は使えません（式・代入・if・for・while のみ使えます）。", what=detail),
        "name": _("「_」で始まる名前（%(what)s）は使えません。", what=detail),
        "builtin": _("関数 %(what)s は使えません。", what=detail),
        "attribute": _("属性・メソッド「%(what)s」は使えません。", what=detail),
        "constant": _("この種類の値（%(what)s）は使えません。", what=detail),
        "format": _("書式指定「%(what)s」は使えません（幅は3桁まで）。", what=detail),
        "too_long": _("式またはスクリプトが長すぎます（%(limit)d文字まで）。", limit=LIMITS.max_source),
        "syntax": _("Python の文法エラーです：%(what)s", what=detail),
        "subscript": _("%(what)s の要素は取り出せません。", what=detail),
        "write": _("%(what)s は変更できません。", what=detail),
        "endless_loop": _("終わらない繰り返し（while True）です。break を入れてください。"),
        "limit": _("データによらず上限を超えます（%(what)s）。", what=detail),
    }
    text = texts.get(exc.code, _("使えない書き方です：%(what)s", what=detail or exc.code))
    if exc.line:
        text += _("（%(line)d行目）", line=exc.line)
    return text


def _error_text(exc: EvaluationError) -> str:
    texts = {
        "steps": _("繰り返しの回数が上限を超えました。"),
        "size": _("作られた値が大きすぎます（%(what)s）。", what=exc.detail),
        "data": _("扱えないデータです（%(what)s）。", what=exc.detail),
        "memory": _("メモリの上限を超えたため停止しました。"),
        "timeout": _("スクリプトの実行時間が上限（%(seconds)g秒）を超えたため停止しました。", seconds=TIMEOUT_SECONDS),
        "crashed": _("スクリプトの実行環境が異常終了しました。"),
        "no_services": _("このシステムにはサービスタスクで呼び出せるサービスがありません。"),
    }
    return texts.get(exc.code, _("実行時エラー：%(what)s", what=exc.detail))


def describe_cause(cause: Exception | None, fallback: str) -> str:
    if isinstance(cause, Refusal):
        return _refusal_text(cause)
    if isinstance(cause, EvaluationError):
        return _error_text(cause)
    return fallback


def describe_stored_error(cause: dict[str, Any] | None, message: str) -> str:
    """A kept process error's reason (webapp/operations/process_errors.py), in the reader's language."""
    return describe_cause(cause_exception(cause), message)


def describe_runtime_error(exc: ProcessRuntimeError) -> str:
    """For staff: which element failed and why; the case stays where it was."""
    return _(
        "プロセスの %(element)s で処理が止まったため、この操作は保存していません（案件は元のままです）：%(reason)s"
        " プロセス設計者に連絡してください。",
        element=exc.element or "?",
        reason=describe_cause(exc.cause, str(exc)),
    )


def describe_definition_error(exc: ProcessDefinitionError) -> str:
    """For designers: where (file, element) and which rule; nothing was stored."""
    texts = {
        "not_executable": _('プロセスが実行可能（isExecutable="true"）になっていません。'),
        "reserved_id": _("ID「%(id)s」はエンジンが使う予約IDです。別のIDにしてください。", id=exc.element or ""),
        "no_diagram": _("図の情報（BPMNDiagram）がありません。モデラーで保存したファイルを使ってください。"),
        "no_shape": _("この要素に図形がありません。モデラーで配置してください。"),
        "unbounded_loop": _("繰り返しに最大回数（loopMaximum、1〜100）を指定してください。"),
        "undeclared_collection": _(
            "複数インスタンスのコレクション「%(what)s」を、その ID のプロパティ（bpmn:property）としてプロセスに"
            "宣言してください（宣言がないと標準のモデラーが保存時に参照を消します）。",
            what=exc.detail,
        ),
        "xml": _("XML として読み込めません：%(what)s", what=exc.message),
        "file_type": _(
            "拡張子が .bpmn または .dmn のファイルだけをデプロイできます（%(what)s）。", what=exc.file or ""
        ),
        "unmapped_lane": _(
            "レーン名「%(what)s」は役割に対応していません。次のいずれかにしてください：%(known)s",
            what=exc.detail, known="、".join(LANE_ROLES),
        ),
        "no_form_key": _("ユーザータスクにフォーム（formKey プロパティ）を指定してください。"),
        "unknown_form_key": _(
            "フォーム「%(what)s」は登録されていません。次のいずれかにしてください：%(known)s",
            what=exc.detail, known="、".join(sorted(FORM_CLASSES)),
        ),
        "no_stage": _("ユーザータスクに段階（stage プロパティ）を指定してください。"),
        "no_lane": _("ユーザータスクをプールのレーンに入れてください。"),
        "unknown_decision": _(
            "決定（decides プロパティ）「%(what)s」は使えません。採否の決定には decides=\"adoption\" とフォーム"
            "「adoption_decision」を指定してください。",
            what=exc.detail,
        ),
        "duplicate_decision": _("決定「%(what)s」を行うユーザータスクは1つだけにしてください。", what=exc.detail),
        "schema": _("BPMN の形式に合いません。モデラーで開いて直してください（%(what)s）。", what=exc.message),
    }  # fmt: skip
    if exc.code == "python":
        reason = _("式・スクリプト：%(what)s", what=describe_cause(exc.cause, exc.message))
    else:
        reason = texts.get(exc.code, exc.message)
    where = " ".join(p for p in (exc.file or "", exc.element or "") if p)
    return _("デプロイできません（%(where)s）：%(reason)s", where=where or "-", reason=reason)
