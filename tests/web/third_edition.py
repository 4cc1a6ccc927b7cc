"""A made-up third edition (tests/data/editions/fy2026.toml: China 20 h, Malaysia 15 h, prior use since FY2023 of
15 h or more accepted from 2026-07-01), loaded through TSS_EDITIONS_DIR, and a local expert for Malaysia."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.fixtures import ApiClient
from webapp.auth import issue_token
from webapp.extensions import db
from webapp.models import User
from workflows.editions import EXTRA_DIRS_VARIABLE, Edition, get_edition

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "editions"


@pytest.fixture
def third_edition(monkeypatch: pytest.MonkeyPatch) -> Iterator[Edition]:
    """FY2026 is an edition while the test runs (only a data file: nothing else changes)."""
    monkeypatch.setenv(EXTRA_DIRS_VARIABLE, str(DATA_DIR))
    edition = get_edition("FY2026")
    assert edition is not None, "tests/data/editions/fy2026.toml was not loaded"
    yield edition


def expert_for(app: Flask, password_hash: str, username: str, countries: str) -> ApiClient:
    """A retained local expert for the given countries, with an API token."""
    with app.app_context():
        user = User(username=username, role="expert", display_name=f"{username} 法律事務所", countries_csv=countries)
        user.email = f"{username}@example.jp"
        user.password_hash = password_hash
        db.session.add(user)
        token = issue_token(user)
        db.session.commit()
    return ApiClient(app.test_client(), token)
