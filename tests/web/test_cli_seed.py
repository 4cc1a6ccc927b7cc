"""`make run` seeds the demo through the same operations as the pages: users and cases in one command."""

from __future__ import annotations

from webapp.extensions import db
from webapp.models import Case, User


def test_seed_demo_creates_users_and_cases_and_is_safe_to_run_twice(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--at", "2025-09-01T10:00:00+09:00"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        users, cases = db.session.query(User).count(), db.session.query(Case).count()
    assert users >= 5 and cases >= 1
    second = runner.invoke(args=["seed-demo", "--at", "2025-09-01T10:00:00+09:00"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert db.session.query(User).count() == users
