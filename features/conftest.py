"""Acceptance features: fixtures, tag markers, and every area's step definitions.

The features drive the application as its users do: the JSON API signed in as the role a step names, the
`flask tick` job for timers, and an SMTP server standing in for the company's mailbox. Only the clock is set
directly (a step that says what day it is).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from features.steps.adoption import *  # noqa: F403
from features.steps.briefing import *  # noqa: F403
from features.steps.common import *  # noqa: F403
from features.steps.eligibility import *  # noqa: F403
from features.steps.forms import *  # noqa: F403
from features.steps.hours import *  # noqa: F403
from features.steps.intake import *  # noqa: F403
from features.steps.process import *  # noqa: F403
from features.steps.publicity import *  # noqa: F403
from features.steps.roles import *  # noqa: F403
from features.support import Mailbox, World, start_mailbox
from tests.fixtures import PASSWORD, USERS
from webapp.extensions import db
from webapp.models import Company, User

TAGS = {
    "FY2021": "2021年度（日系企業における営業秘密漏えい対策支援事業）の規則",
    "FY2025": "2025年度（海外における営業秘密漏えい対策支援事業）の規則",
    "申込": "申込・受領確認",
    "ヒアリング": "ヒアリング・申請要件",
    "採否": "採否・採択件数",
    "採択件数": "予定採択件数まで多数の案件を採択する（数秒かかる）",
    "様式": "様式1・様式2",
    "専門家説明": "専門家説明・実施内容",
    "サービス提供": "サービス提供・時間記録",
    "フォローアップ": "フォローアップ",
    "広報": "広報・事例紹介",
    "役割": "受付箱・役割",
    "プロセス": "プロセスのバージョン",
    "メール": "企業に届くメールを確かめる",
    "時計": "時計を進めてタイマー（flask tick）を実行する",
}


def pytest_configure(config: pytest.Config) -> None:
    for tag, meaning in TAGS.items():
        config.addinivalue_line("markers", f"{tag}: {meaning}")


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash of the test password for every account (hashing costs ~0.1-0.4 s each)."""
    user = User(username="hash", role="staff", display_name="hash")
    user.set_password(PASSWORD)
    return str(user.password_hash)


@pytest.fixture
def users(app: Flask, password_hash: str) -> dict[str, User]:
    """The same accounts as tests/fixtures.py's `users`, with the password hashed once per session."""
    with app.app_context():
        companies: dict[str, Company] = {}
        for username, (role, name, countries, lead, company_name) in USERS.items():
            user = User(username=username, role=role, display_name=name, countries_csv=countries, is_lead=lead)
            user.email = f"{username}@example.jp"
            if company_name:
                company = companies.setdefault(company_name, Company(name=company_name))
                db.session.add(company)
                db.session.flush()
                user.company_id = company.id
            user.password_hash = password_hash
            db.session.add(user)
        db.session.commit()
        return {u.username: u for u in db.session.query(User).all()}


@pytest.fixture
def mailbox(app: Any) -> Iterator[Mailbox]:
    box, controller = start_mailbox(app)
    yield box
    controller.stop()


@pytest.fixture
def world(app: Any, api_as: Any, users: Any, mailbox: Mailbox, set_clock: Any) -> World:
    return World(app=app, api_as=api_as, mailbox=mailbox)
