"""The harness's own view of a server's database (an app in this process on the same URL): accounts and
tokens, emails queued straight into the outbox, and the rows the consistency checks read.

Sessions are short: the servers are writing the same SQLite file meanwhile."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from flask import Flask

from tests.fixtures import USERS, create_users
from webapp import create_app
from webapp.auth import issue_token
from webapp.extensions import db
from webapp.models import Case, User
from workflows.clock import clock

from .servers import timeline_now


def harness_app(database_url: str) -> Flask:
    clock.set(timeline_now(), frozen=False)
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "stress-harness",
            "MAIL_SERVER": None,
            "CLOCK_START": None,
            "RATELIMIT_ENABLED": False,
        }
    )


@contextmanager
def session(app: Flask) -> Iterator[Any]:
    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.rollback()
            db.session.remove()


@cache
def _password_hash() -> str:
    user = User()
    user.set_password("stress-pass-123")
    return user.password_hash


def create_accounts(app: Flask) -> dict[str, str]:
    """The shared test accounts (tests/fixtures.py: staff lead, staff2, expert_cn for CN/TH, ...) -> tokens."""
    create_users(app, _password_hash())
    with session(app) as s:
        tokens = {user.username: issue_token(user) for user in s.query(User).filter(User.username.in_(USERS))}
        s.commit()
    return tokens


def queue_emails(app: Flask, count: int, tag: str) -> int:
    """Queues `count` receipt-confirmation emails, each to its own address (so a repeat is recognisable by
    recipient and subject), through the app's own queue function, as an operation would."""
    from webapp.mail import queue_email
    from workflows.editions import get_edition

    with session(app) as s:
        cases = s.query(Case).order_by(Case.id).limit(50).all()
        if not cases:
            raise RuntimeError("no case to attach the queued emails to")
        for i in range(count):
            case = cases[i % len(cases)]
            queue_email("receipt_confirmation", f"stress-{tag}-{i}@example.jp", case, edition=get_edition(case.edition),
                        period_end="", reasons=[])  # fmt: skip
        s.commit()
    return count
