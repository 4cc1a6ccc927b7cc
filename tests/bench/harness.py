"""What the benchmarks share: an app on a file-backed SQLite database, users, timing statistics."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Flask

from tests.fixtures import PASSWORD, USERS
from webapp import create_app
from webapp.extensions import db
from webapp.models import User
from workflows.clock import clock

BENCH_NOW = datetime.fromisoformat("2025-07-01T10:00:00+09:00")


def make_app(db_file: Path) -> Flask:
    clock.set(BENCH_NOW)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
            "WTF_CSRF_ENABLED": False,
            "MAIL_SERVER": None,
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        db.create_all()
        for username in ("staff", "expert_cn"):
            role, name, countries, lead, _company = USERS[username]
            user = User(username=username, role=role, display_name=name, countries_csv=countries, is_lead=lead)
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
    return app


def user(username: str) -> User:
    return db.session.query(User).filter_by(username=username).one()


@dataclass(frozen=True)
class Stats:
    samples: list[float]  # seconds

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.samples)
        return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)] * 1000

    @property
    def n(self) -> int:
        return len(self.samples)


def repeat(action: Callable[[], object], times: int, *, between: Callable[[], object] | None = None) -> Stats:
    """Times `action` `times` times; `between` runs untimed before each call (e.g. a fresh session)."""
    samples = []
    for _ in range(times):
        if between:
            between()
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return Stats(samples)


@contextmanager
def stopwatch(label: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    print(f"  ({label}: {time.perf_counter() - start:.1f} s)", flush=True)
