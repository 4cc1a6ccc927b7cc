"""The engine's own refusals of a diagram reach designers in their language, not in SpiffWorkflow's English."""

from __future__ import annotations

import re

import pytest

from webapp.diagram_messages import engine_message_text

from .test_diagram_safety import bpmn, login, upload

NO_START = re.sub(r"<bpmn:startEvent id=\"ApplicationReceived\".*?</bpmn:startEvent>", "", bpmn(), count=1, flags=re.S)


def refusal(page: str) -> str:
    return " ".join(re.findall(r"(?:デプロイできません|Cannot deploy)[^<]*", page))


def test_a_second_file_repeating_the_process_id_is_refused_in_japanese(app, users):
    client = login(app.test_client(), "designer")
    text = refusal(upload(client, "copy.bpmn", bpmn()).get_data(as_text=True))
    assert "プロセスID「" in text and "が重複しています" in text and "Duplicate" not in text, text


@pytest.mark.parametrize(
    ("message", "japanese", "english"),
    [
        ("No start event found", "開始イベントがありません", "no start event"),
        ("Duplicate process ID: trade_secret_support", "プロセスID「trade_secret_support」が重複しています", "trade_secret_support"),
        ("Time Specification Error. bad value", "タイマーの時間指定に誤りがあります：bad value", "bad value"),
        ("Something new in SpiffWorkflow", "エンジンがこの図を読み込めませんでした：Something new", "Something new"),
    ],
)  # fmt: skip
def test_engine_messages_are_put_in_the_users_words(app, message, japanese, english):
    with app.test_request_context("/?lang=ja"):
        assert japanese in engine_message_text(message)
    with app.test_request_context("/?lang=en"):
        words = engine_message_text(message)
        assert english.lower() in words.lower() and not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", words), words
