"""Fixtures shared by the web tests and the acceptance features: an app on a fresh database, users
of every role with API tokens, a set clock, and a small JSON API client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp import create_app
from webapp.auth import issue_token
from webapp.extensions import db
from webapp.models import Company, User
from workflows.clock import clock

PASSWORD = "test-pass-123"
DEMO_NOW = datetime.fromisoformat("2025-07-01T10:00:00+09:00")

# username -> (role, display name, countries, is_lead, company)
USERS = {
    "staff": ("staff", "井上 花子", "", True, None),
    "staff2": ("staff", "河野 太郎", "", False, None),
    "expert_cn": ("expert", "上海 明律師事務所", "CN,TH", False, None),
    "expert_vn": ("expert", "Hanoi IP Law", "VN,ID,SG", False, None),
    "applicant": ("applicant", "山田 一郎", "", False, "株式会社サンプル精機"),
    "applicant_other": ("applicant", "佐藤 次郎", "", False, "他社株式会社"),
    "designer": ("designer", "設計 太郎", "", False, None),
    "admin": ("admin", "管理 花子", "", False, None),
}


@pytest.fixture
def set_clock() -> Iterator[Any]:
    clock.set(DEMO_NOW)
    yield clock.set
    clock.reset()


@pytest.fixture
def app(tmp_path, set_clock) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}",
            "WTF_CSRF_ENABLED": False,
            "MAIL_SERVER": None,
            "CLOCK_START": None,  # the test sets the clock itself
            "SECRET_KEY": "test",
            "RATELIMIT_ENABLED": False,  # tests sign in often from one address; test_auth_security enables it
        }
    )
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def password_hash() -> str:
    """Hashing is deliberately slow (argon2); hash the shared test password once per run."""
    user = User()
    user.set_password(PASSWORD)
    return user.password_hash


def create_users(app: Flask, password_hash: str) -> dict[str, User]:
    """One account per entry of USERS (applicants linked to their company), all with the test password."""
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
            # Task notices off: the outbox of the other tests holds the program's emails only; the notice tests
            # turn them on for the users they are about (tests/web/test_task_notices.py).
            user.notify_tasks = user.notify_digest = False
            db.session.add(user)
        db.session.commit()
        return {u.username: u for u in db.session.query(User).all()}


@pytest.fixture
def users(app: Flask, password_hash: str) -> dict[str, User]:
    return create_users(app, password_hash)


@dataclass
class ApiClient:
    """Calls /api/v1 as one user."""

    client: FlaskClient
    token: str

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self._headers(), query_string=params)

    def post(self, path: str, json: Any = None, data: Any = None, headers: dict[str, str] | None = None) -> Any:
        all_headers = {**self._headers(), **(headers or {})}
        if data is not None:
            return self.client.post(f"/api/v1{path}", headers=all_headers, data=data,
                                    content_type="multipart/form-data")  # fmt: skip
        return self.client.post(f"/api/v1{path}", headers=all_headers, json=json or {})


@pytest.fixture
def api_as(app: Flask, users: dict[str, User]) -> Any:
    """api_as("staff") -> an ApiClient signed in as that user."""
    tokens: dict[str, str] = {}
    with app.app_context():
        for user in db.session.query(User).all():
            tokens[user.username] = issue_token(user)
        db.session.commit()

    def make(username: str) -> ApiClient:
        return ApiClient(app.test_client(), tokens[username])

    return make
