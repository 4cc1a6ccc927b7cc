"""Per-country hour caps of each edition, as the hour_cap DMN hands them to the briefing tasks."""

from __future__ import annotations

import pytest

EDITION_CAPS = {
    "FY2021": {"CN": 17, "TH": 17, "VN": 17, "SG": 10},
    "FY2025": {"CN": 23, "TH": 23, "VN": 23, "ID": 23},
}


@pytest.mark.parametrize(
    ("edition", "country", "cap"),
    [(edition, country, cap) for edition, caps in EDITION_CAPS.items() for country, cap in caps.items()],
)
def test_briefing_task_carries_the_edition_hour_cap(start_case, edition, country, cap):
    case = start_case(edition, [country])
    case.to_briefings()

    briefing = case.task("ExpertBriefing", country)
    assert briefing.role == "expert"
    assert briefing.country == country
    assert briefing.data["country"] == country
    assert briefing.data["hour_cap"] == cap


@pytest.mark.parametrize("edition", sorted(EDITION_CAPS))
def test_all_countries_of_an_edition_get_their_own_briefing(start_case, edition):
    caps = EDITION_CAPS[edition]
    case = start_case(edition, list(caps))
    case.to_briefings()

    briefings = case.ready("ExpertBriefing")
    assert len(briefings) == len(caps)
    assert {t.data["country"]: t.data["hour_cap"] for t in briefings} == caps
    assert len({t.id for t in briefings}) == len(caps)


@pytest.mark.parametrize(("edition", "country"), [("FY2021", "ID"), ("FY2025", "SG")])
def test_country_outside_the_edition_gets_no_hours(start_case, edition, country):
    case = start_case(edition, [country])
    case.to_briefings()

    assert case.task("ExpertBriefing", country).data["hour_cap"] == 0
