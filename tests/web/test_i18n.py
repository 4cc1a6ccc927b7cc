"""The UI is Japanese by default and switches to English with ?lang=en (kept in the session); the API,
which has no session, answers in Japanese. Also checks the English catalogue itself is complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.fixtures import PASSWORD

CATALOGUE = Path(__file__).resolve().parents[2] / "webapp" / "translations" / "en" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")


def _read_catalogue():  # type: ignore[no-untyped-def]
    with open(CATALOGUE / "messages.po", "rb") as po:
        return read_po(po, locale="en")


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue() -> None:
    """`*.mo` is not in git: compile it (as `make translations` does) when missing or older than the .po."""
    po, mo = CATALOGUE / "messages.po", CATALOGUE / "messages.mo"
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        catalog = _read_catalogue()
        with open(mo, "wb") as out:
            write_mo(out, catalog)


def login(app, username="staff"):  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def page(client, path: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_the_login_page_is_japanese_by_default_and_english_on_request(app, users):
    client = app.test_client()
    html = page(client, "/login")
    assert '<html lang="ja">' in html and "<h1>サインイン</h1>" in html and "ユーザー名" in html

    html = page(client, "/login?lang=en")
    assert '<html lang="en">' in html and "<h1>Sign in</h1>" in html
    assert "Username" in html and "Password" in html and "サインイン" not in html


def test_wrong_credentials_are_reported_in_the_chosen_language(app, users):
    client = app.test_client()
    response = client.post("/login", data={"username": "staff", "password": "wrong"})
    assert "ユーザー名またはパスワードが違います。" in response.get_data(as_text=True)

    client.get("/login?lang=en")
    response = client.post("/login", data={"username": "staff", "password": "wrong"})
    assert "Incorrect username or password." in response.get_data(as_text=True)


def test_the_choice_of_english_is_kept_for_the_session_until_switched_back(app, users):
    client = login(app)
    html = page(client, "/inbox/")
    assert "<h1>受付箱</h1>" in html and "サインアウト" in html

    page(client, "/inbox/?lang=en")
    html = page(client, "/inbox/")  # no lang parameter: the session remembers English
    assert "<h1>Inbox</h1>" in html and "Sign out" in html and "Dashboard" in html
    assert "井上 花子（JETRO staff）" in html  # data stays as entered; the role label is translated
    assert "受付箱" not in html and "サインアウト" not in html

    html = page(client, "/inbox/?lang=ja")
    assert "<h1>受付箱</h1>" in html and "Inbox" not in html


def test_an_unknown_language_is_ignored(app, users):
    client = login(app)
    assert "<h1>受付箱</h1>" in page(client, "/inbox/?lang=fr")
    page(client, "/inbox/?lang=en")
    assert "<h1>Inbox</h1>" in page(client, "/inbox/?lang=fr")


def test_form_labels_and_validation_messages_follow_the_language(app, users):
    client = login(app)
    html = page(client, "/applications/new")
    assert "会社名" in html and "対象国" in html

    client.get("/inbox/?lang=en")
    html = page(client, "/applications/new")
    assert "Company name" in html and "Target country" in html and "Register application" in html
    response = client.post("/applications/new", data={"company_name": ""})
    html = response.get_data(as_text=True)
    assert "Enter the company name" in html and "Select at least one target country" in html
    assert "会社名を入力してください" not in html


def test_the_api_has_no_session_and_answers_in_japanese(app, users, api_as):
    response = api_as("staff").post("/applications", json={})
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "入力内容を確認してください。"
    assert body["errors"]["company_name"] == ["会社名を入力してください"]


def test_api_messages_are_english_only_when_the_caller_session_is_english(app, users, api_as):
    staff = api_as("staff")
    staff.client.get("/login?lang=en")  # the same browser session chose English
    body = staff.post("/applications", json={}).get_json()
    assert body["error"] == "Check your input."
    assert body["errors"]["company_name"] == ["Enter the company name"]


def test_every_message_has_an_english_translation_with_the_same_placeholders():
    catalog = _read_catalogue()
    messages = [m for m in catalog if m.id]
    assert len(messages) > 500
    untranslated = [m.id for m in messages if not m.string or m.fuzzy]
    assert untranslated == []
    mismatched = [m.id for m in messages if sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string))]
    assert mismatched == []
    japanese_left = [m.id for m in messages if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", m.string)]
    assert japanese_left == []
