"""What the browser tests do again and again: sign in, take a screenshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fixtures import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def sign_in(page: Any, live: Any, username: str) -> None:
    page.goto(live("/login"))
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="サインイン").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="サインアウト").click()
    page.wait_for_load_state()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
