"""Input bounds on PostgreSQL, where NUL, over-long text and ids beyond `integer` used to fail in the driver."""

from __future__ import annotations

import pytest

from tests.web import test_api_fuzz, test_api_input

pytestmark = pytest.mark.postgres


def test_fuzzed_requests_never_answer_5xx_on_postgresql(app, api_as):
    test_api_fuzz.test_fuzzed_requests_never_answer_5xx_and_every_refusal_says_why_in_japanese(app, api_as)


def test_path_ids_beyond_the_integer_range_answer_404_on_postgresql(app, api_as, users):
    case = test_api_input.register(api_as("staff"), "FY2025", ["CN"], "2025-07-01")
    test_api_input.test_path_ids_in_unicode_digits_or_beyond_the_column_range_answer_404(app, api_as, case)


def test_nul_and_over_long_text_are_refused_on_postgresql(app, api_as, users):
    test_api_input.test_nul_in_query_strings_and_form_posts_is_refused_naming_the_field(app, api_as)
    for bad in ("a\x00b", "\ud800"):
        test_api_input.test_nul_and_lone_surrogates_in_json_are_refused_naming_the_field(api_as, bad)
    test_api_input.test_free_text_stored_inside_json_has_a_global_bound(api_as)
