"""The Alembic migrations, the whole lifecycle and a real concurrent double completion on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tests.web import (
    test_accounts,
    test_api_lifecycle,
    test_case_lifecycle,
    test_concurrency,
    test_delivery,
    test_hour_caps,
    test_idempotency,
    test_task_notices,
)
from tests.web.test_delivery import slow_smtp  # noqa: F401  (fixture)
from webapp.extensions import db

from .conftest import upgrade

pytestmark = pytest.mark.postgres


def test_the_migrations_build_the_schema_the_models_describe(app):
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        tables = set(inspect(db.engine).get_table_names())
        assert tables == set(db.metadata.tables) | {"alembic_version"}
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == [], "the models changed without a migration"
    again = upgrade(app)
    assert again.exit_code == 0, again.output  # already at head: a no-op


def test_fy2025_case_in_two_countries_runs_end_to_end_on_postgresql(app, api_as):
    test_api_lifecycle.test_fy2025_case_in_two_countries_runs_end_to_end(app, api_as)


def test_fy2021_singapore_case_runs_end_to_end_on_postgresql(app, api_as, set_clock):
    test_api_lifecycle.test_fy2021_singapore_case_runs_end_to_end(app, api_as, set_clock)


def test_concurrent_double_completion_gives_one_success_and_one_conflict_on_postgresql(app, api_as):
    test_concurrency.test_concurrent_double_completion_gives_one_success_and_one_conflict(app, api_as)


def test_the_cap_holds_for_two_cases_of_one_company_at_once_on_postgresql(app, api_as):
    test_hour_caps.test_two_entries_on_two_cases_of_one_company_cannot_pass_the_cap_together(app, api_as)


def test_two_deliveries_at_once_send_every_email_once_on_postgresql(app, request):
    test_delivery.test_two_deliveries_at_once_send_every_email_exactly_once(app, request.getfixturevalue("slow_smtp"))


def test_an_invited_contact_sets_a_password_and_submits_the_forms_on_postgresql(app, api_as, users):
    adopted = test_accounts.make_adopted(api_as)
    test_accounts.test_an_invited_contact_sets_a_password_and_submits_forms_1_and_2_themselves(app, adopted)


def test_two_ticks_at_once_queue_each_digest_once_on_postgresql(app, api_as, users, set_clock):
    # No write lock on PostgreSQL: the claim's INSERT … ON CONFLICT DO NOTHING decides which tick writes a digest.
    case = test_task_notices.make_two_country_case(app, api_as)
    test_task_notices.test_two_ticks_at_once_queue_each_digest_once(app, api_as, set_clock, case)


def test_concurrent_requests_with_one_key_book_once_on_postgresql(app, api_as):
    test_idempotency.test_two_concurrent_requests_with_one_key_book_once(app, api_as)


def test_concurrent_completions_with_one_key_both_get_the_first_answer_on_postgresql(app, api_as):
    test_idempotency.test_concurrent_completions_with_one_key_both_get_the_first_answer(app, api_as)


def test_a_withdrawal_racing_a_completion_on_postgresql(app, api_as):
    # No write lock up front on PostgreSQL: both run at once and the instance's compare-and-set picks the winner.
    for attempt in range(4):
        test_case_lifecycle.test_a_withdrawal_and_a_completion_at_once_one_wins_and_nothing_is_half_written(
            app, api_as, attempt
        )


def test_withdrawal_suspension_and_cancellation_on_postgresql(app, api_as, set_clock):
    test_case_lifecycle.test_the_company_withdraws_its_adopted_case_and_frees_its_place(app, api_as)
    test_case_lifecycle.test_staff_cancel_a_case_with_a_notice_to_the_company(app, api_as)
