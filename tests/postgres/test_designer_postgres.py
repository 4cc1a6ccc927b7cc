"""The designers' drafts, moving cases between versions and rollback, on PostgreSQL (savepoints per case,
compare-and-set saves)."""

from __future__ import annotations

import pytest

from tests.web import test_designer_drafts as drafts

pytestmark = pytest.mark.postgres


def test_saving_and_deploying_a_draft_on_postgresql(app, users):
    drafts.test_a_deployed_draft_becomes_the_newest_version_and_is_no_longer_edited(app, users)


def test_two_saves_of_the_same_version_on_postgresql(app, users):
    drafts.test_of_two_saves_of_the_same_version_one_wins_even_when_both_passed_the_check(app, users)


def test_moving_cases_on_postgresql(app, users, api_as):
    drafts.test_moving_cases_refuses_one_at_a_changed_task_and_moves_one_at_an_unchanged_task(app, users, api_as)


def test_rollback_on_postgresql(app, users, api_as):
    drafts.test_a_rollback_deploys_the_earlier_version_again_for_new_cases(app, users, api_as)
