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

from features.steps.accounts import *  # noqa: F403
from features.steps.adoption import *  # noqa: F403
from features.steps.briefing import *  # noqa: F403
from features.steps.common import *  # noqa: F403
from features.steps.eligibility import *  # noqa: F403
from features.steps.forms import *  # noqa: F403
from features.steps.hours import *  # noqa: F403
from features.steps.intake import *  # noqa: F403
from features.steps.lifecycle import *  # noqa: F403
from features.steps.notices import *  # noqa: F403
from features.steps.period import *  # noqa: F403
from features.steps.process import *  # noqa: F403
from features.steps.publicity import *  # noqa: F403
from features.steps.roles import *  # noqa: F403
from features.steps.training import *  # noqa: F403
from features.support import Mailbox, World, start_mailbox
from tests.fixtures import create_users
from webapp import create_app
from webapp.extensions import db
from webapp.models import User

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
    "支援期間": "支援期間（採択後から支援期間終了日まで）・国別のサービスの開始と終了",
    "研修": "研修・コンサルテーションの実施記録",
    "フォローアップ": "フォローアップ",
    "広報": "広報・事例紹介",
    "役割": "受付箱・役割",
    "プロセス": "プロセスのバージョン",
    "辞退と延期": "辞退・中断・中止・年度の延期",
    "アカウント": "企業の担当者の招待・パスワードの設定",
    "通知": "タスクの通知と毎朝のまとめ",
    "メール": "企業に届くメールを確かめる",
    "時計": "時計を進めてタイマー（flask tick）を実行する",
}


def pytest_configure(config: pytest.Config) -> None:
    for tag, meaning in TAGS.items():
        config.addinivalue_line("markers", f"{tag}: {meaning}")


# ---------------------------------------------------------------- one application, emptied between scenarios
# Creating the app, its schema and the first process version costs ~0.2 s; over ~120 scenarios that is most
# of the run. The features share one app and database and empty every table after each scenario, keeping only
# the repository's process version 1 (so new cases start it without parsing the diagram again).


@pytest.fixture(scope="session")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    database = tmp_path_factory.mktemp("features") / "features.sqlite3"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "WTF_CSRF_ENABLED": False,
            "MAIL_SERVER": None,
            "SECRET_KEY": "test",
        }
    )
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(shared_app: Flask, set_clock: Any) -> Iterator[Flask]:
    """Overrides tests/fixtures.py's `app` for the features: same configuration, emptied afterwards."""
    yield shared_app
    shared_app.config["MAIL_SERVER"] = None
    with shared_app.app_context():
        db.session.remove()
        empty_database()


def empty_database() -> None:
    with db.engine.begin() as connection:
        versions = db.metadata.tables["process_version"]
        connection.execute(versions.update().values(deployed_by_id=None))
        for table in reversed(db.metadata.sorted_tables):
            if table is not versions:
                connection.execute(table.delete())
        connection.execute(versions.delete().where(versions.c.version > 1))


@pytest.fixture
def users(app: Flask, password_hash: str) -> dict[str, User]:
    """The accounts of tests/fixtures.py, in the shared features database."""
    return create_users(app, password_hash)


@pytest.fixture
def mailbox(app: Any) -> Iterator[Mailbox]:
    box, controller = start_mailbox(app)
    yield box
    controller.stop()


@pytest.fixture
def world(request: pytest.FixtureRequest, app: Any, api_as: Any, users: Any, set_clock: Any) -> World:
    """The scenario's world; scenarios tagged @メール also get the company's mailbox (an SMTP server)."""
    box = request.getfixturevalue("mailbox") if request.node.get_closest_marker("メール") else None
    return World(app=app, api_as=api_as, mailbox=box)
