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


# SpiffWorkflow's own refusals while reading a diagram (English), by how they start: (prefix, words, takes the rest)
_ENGINE_MESSAGES = (
    ("No start event found", lambda rest: _("開始イベントがありません。プロセスに開始イベントを置いてください。")),
    ("Duplicate process ID: ", lambda rest: _("プロセスID「%(what)s」が重複しています。", what=rest)),
    ("A SubWorkflow Must contain an End event", lambda rest: _("サブプロセスに終了イベントを置いてください。")),
    ("Unknown Time Specification", lambda rest: _("タイマーの時間指定を読み取れません（ISO 8601 で書いてください）。")),
    ("Time Specification Error. ", lambda rest: _("タイマーの時間指定に誤りがあります：%(what)s", what=rest)),
    ("There is no support implemented for this task type.", lambda rest: _("この種類の要素はエンジンが扱えません。")),
    ("No decisions found", lambda rest: _("DMN ファイルに決定表がありません。")),
    ("Multiple decision tables are not current supported.",
     lambda rest: _("1つの DMN ファイルに置ける決定表は1つだけです。")),
    ("Cannot resolve dataInputAssociation ", lambda rest: _("データ入力「%(what)s」の参照先がありません。", what=rest)),
    ("Cannot resolve dataOutputAssociation ", lambda rest: _("データ出力「%(what)s」の参照先がありません。", what=rest)),
    ("Conditional event definition with missing condition", lambda rest: _("条件イベントに条件を書いてください。")),
)  # fmt: skip


def known_engine_message(message: str) -> str | None:
    """The engine's refusal in the user's language, where it is a known one."""
    for prefix, words in _ENGINE_MESSAGES:
        if message.startswith(prefix):
            return str(words(message[len(prefix) :].strip(" .")))
    return None


def engine_message_text(message: str) -> str:
    """A known engine refusal in the user's words; else the engine's own, framed."""
    return known_engine_message(message) or _("エンジンがこの図を読み込めませんでした：%(what)s", what=message)


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
    known = known_engine_message(exc.message) if exc.code in ("schema", "invalid") else None
    if known:
        reason = known
    elif exc.code == "python":
        reason = _("式・スクリプト：%(what)s", what=describe_cause(exc.cause, exc.message))
    else:
        reason = texts.get(exc.code) or engine_message_text(exc.message)
    where = " ".join(p for p in (exc.file or "", exc.element or "") if p)
    return _("デプロイできません（%(where)s）：%(reason)s", where=where or "-", reason=reason)
