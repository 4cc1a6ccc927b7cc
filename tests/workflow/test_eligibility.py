"""The eligibility DMN at its boundaries, driven through the Hearing task of a real case."""

from __future__ import annotations

import pytest

from .support import ROOT


def screen(start_case, edition, received_on=None, **hearing):
    """Runs receipt + hearing; returns the ineligible reasons the table recommends. Whatever it finds, the case
    goes on to a person's adoption decision, and the finding is thrown as a record, never as a notice."""
    case = start_case(edition, ["CN"], received_on=received_on)
    messages = case.screen(**hearing)
    assert not case.instance.completed
    assert case.ready_names() == [("DecideAdoption", None)]
    reasons = case.task("DecideAdoption").data["ineligible_reasons"]
    assert [(m.name, m.payload) for m in messages] == [("eligibility_assessed", {"ineligible_reasons": reasons})]
    return reasons


@pytest.mark.parametrize(
    ("edition", "hearing", "expected"),
    [
        pytest.param("FY2021", {"site_status": "planned"}, ["CN:site_required"], id="FY2021-planned-site"),
        pytest.param("FY2025", {"site_status": "planned"}, [], id="FY2025-planned-site-ok"),
        pytest.param("FY2021", {"site_status": "existing"}, [], id="FY2021-existing-site-ok"),
        pytest.param("FY2025", {"domestic_experience": "no"}, ["no_domestic_experience"], id="FY2025-no-experience"),
        pytest.param("FY2025", {"domestic_experience": "partly"}, [], id="FY2025-partly-experience-ok"),
        pytest.param("FY2021", {"domestic_experience": "no"}, [], id="FY2021-no-experience-ok"),
        pytest.param(
            "FY2025",
            {"applied_by_japan_side": True, "site_wants_service": False},
            ["CN:site_consent_missing"],
            id="FY2025-japan-side-without-site-consent",
        ),
        pytest.param(
            "FY2025",
            {"applied_by_japan_side": True, "site_wants_service": True},
            [],
            id="FY2025-japan-side-with-site-consent-ok",
        ),
        pytest.param(
            "FY2025",
            {"applied_by_japan_side": False, "site_wants_service": False},
            [],
            id="FY2025-site-applies-itself-ok",
        ),
        pytest.param(
            "FY2021",
            {"applied_by_japan_side": True, "site_wants_service": False},
            [],
            id="FY2021-japan-side-without-site-consent-ok",
        ),
        pytest.param("FY2021", {"willing_to_build": False}, ["not_willing"], id="FY2021-not-willing"),
        # FY2025's 応募条件 have no 「取り組む意思」: not a reason in that edition
        pytest.param("FY2025", {"willing_to_build": False}, [], id="FY2025-willingness-not-a-condition"),
        pytest.param("FY2021", {"publicity_consent": False}, ["no_publicity_consent"], id="FY2021-no-publicity"),
        pytest.param("FY2025", {"publicity_consent": False}, ["no_publicity_consent"], id="FY2025-no-publicity"),
        pytest.param("FY2021", {}, [], id="FY2021-all-met"),
        pytest.param("FY2025", {}, [], id="FY2025-all-met"),
    ],
)
def test_each_requirement_alone(start_case, edition, hearing, expected):
    assert screen(start_case, edition, **hearing) == expected


@pytest.mark.parametrize(
    ("edition", "received_on"),
    [("FY2021", "2021-07-08"), ("FY2021", "2021-07-14"), ("FY2021", "2021-07-15"), ("FY2025", "2025-05-21")],
)
def test_the_table_does_not_apply_the_prior_use_rule(start_case, edition, received_on):
    """One home per rule: registration refuses a region by its prior use (webapp/operations/prior_use.py); the
    table neither asks for it nor reads the received date, so a case it reaches is screened on the rest."""
    assert screen(start_case, edition, received_on=received_on) == []
    table = (ROOT / "workflows" / "dmn" / "eligibility.dmn").read_text(encoding="utf-8")
    assert "prior_use" not in table and "received_on" not in table


def test_several_reasons_are_all_listed_fy2021(start_case):
    reasons = screen(
        start_case,
        "FY2021",
        received_on="2021-07-14",
        site_status="planned",
        willing_to_build=False,
        publicity_consent=False,
        # not requirements in FY2021, so they must not add reasons:
        domestic_experience="no",
        applied_by_japan_side=True,
        site_wants_service=False,
    )
    assert sorted(reasons) == sorted(["CN:site_required", "not_willing", "no_publicity_consent"])
    assert len(reasons) == len(set(reasons))


def test_several_reasons_are_all_listed_fy2025(start_case):
    reasons = screen(
        start_case,
        "FY2025",
        site_status="planned",  # allowed in FY2025
        domestic_experience="no",
        applied_by_japan_side=True,
        site_wants_service=False,
        willing_to_build=False,
        publicity_consent=False,
    )
    assert sorted(reasons) == sorted(["no_domestic_experience", "CN:site_consent_missing", "no_publicity_consent"])
    assert len(reasons) == len(set(reasons))


def test_a_site_condition_is_decided_per_target_country(start_case):
    """Two countries: only Thailand's site was applied for by the Japanese side without wanting the service."""
    case = start_case("FY2025", ["CN", "TH"])
    cn = {"site_status": "existing", "applied_by_japan_side": False, "site_wants_service": True}
    th = {"site_status": "existing", "applied_by_japan_side": True, "site_wants_service": False}
    case.screen(sites={"CN": cn, "TH": th})
    assert case.task("DecideAdoption").data["ineligible_reasons"] == ["TH:site_consent_missing"]


def test_a_planned_site_is_a_reason_only_for_its_own_country_in_fy2021(start_case):
    case = start_case("FY2021", ["CN", "TH"])
    planned = {"site_status": "planned", "applied_by_japan_side": False, "site_wants_service": True}
    existing = {**planned, "site_status": "existing"}
    case.screen(sites={"CN": existing, "TH": planned})
    assert case.task("DecideAdoption").data["ineligible_reasons"] == ["TH:site_required"]
