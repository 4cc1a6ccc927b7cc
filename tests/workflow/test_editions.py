"""Per-country hour caps of each edition: the edition file is their one home (the diagram no longer computes them,
so no process data can disagree with the ledger)."""

from __future__ import annotations

import pytest

from workflows.editions import get_edition

EDITION_CAPS = {
    "FY2021": {"CN": 17, "TH": 17, "VN": 17, "SG": 10},
    "FY2025": {"CN": 23, "TH": 23, "VN": 23, "ID": 23},
}


@pytest.mark.parametrize(
    ("edition", "country", "cap"),
    [(edition, country, cap) for edition, caps in EDITION_CAPS.items() for country, cap in caps.items()],
)
def test_the_edition_file_holds_the_cap_and_the_briefing_carries_no_copy(start_case, edition, country, cap):
    assert get_edition(edition).hour_cap(country) == cap
    case = start_case(edition, [country])
    case.to_briefings()

    briefing = case.task("ExpertBriefing", country)
    assert briefing.role == "expert"
    assert briefing.country == country
    assert briefing.data["country"] == country
    assert "hour_cap" not in briefing.data


@pytest.mark.parametrize("edition", sorted(EDITION_CAPS))
def test_all_countries_of_an_edition_get_their_own_briefing(start_case, edition):
    caps = EDITION_CAPS[edition]
    case = start_case(edition, list(caps))
    case.to_briefings()

    briefings = case.ready("ExpertBriefing")
    assert len(briefings) == len(caps)
    assert {t.data["country"] for t in briefings} == set(caps)
    assert len({t.id for t in briefings}) == len(caps)


@pytest.mark.parametrize(("edition", "country"), [("FY2021", "ID"), ("FY2025", "SG")])
def test_country_outside_the_edition_gets_no_hours(edition, country):
    assert get_edition(edition).hour_cap(country) == 0
