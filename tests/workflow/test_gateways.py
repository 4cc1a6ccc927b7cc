"""Every gateway branch of support_program.bpmn, each step followed by a dump/restore."""

from __future__ import annotations

import pytest

from .support import COUNTRY_STEPS, hearing_data


def test_an_ineligible_finding_is_a_recommendation_and_a_person_rejects(start_case):
    case = start_case("FY2025", ["CN", "TH"])
    assert case.ready_names() == [("ConfirmReceipt", None)]

    assert [m.name for m in case.complete("ConfirmReceipt")] == ["receipt_confirmation"]
    assert case.ready_names() == [("Hearing", None)]

    messages = case.complete("Hearing", hearing_data(["CN", "TH"], publicity_consent=False))

    # no notice yet: the finding is recorded and the decision waits for a person
    assert [(m.name, m.payload) for m in messages] == [
        ("eligibility_assessed", {"ineligible_reasons": ["no_publicity_consent"]})
    ]
    assert case.ready_names() == [("DecideAdoption", None)]
    assert case.task("DecideAdoption").data["eligible"] is False

    messages = case.complete("DecideAdoption", {"decision": "reject", "reason": "広報への協力に同意がないため"})
    assert [(m.name, m.payload) for m in messages] == [
        ("rejection_notice", {"ineligible_reasons": ["no_publicity_consent"]})
    ]
    assert case.instance.completed
    done = case.instance.completed_element_ids()
    assert {"CheckEligibility", "SummarizeEligibility", "RecordEligibility", "DecideAdoption", "EndRejected"} <= done
    assert "adoption_notice" not in case.thrown_names()


@pytest.mark.parametrize("decision", ["reject", ""])
def test_eligible_but_not_adopted_is_rejected(start_case, decision):
    case = start_case("FY2025", ["CN"])
    case.screen()
    assert case.ready_names() == [("DecideAdoption", None)]
    decide = case.task("DecideAdoption")
    assert (decide.role, decide.form_key) == ("staff", "adoption_decision")
    assert decide.data["ineligible_reasons"] == []

    messages = case.complete("DecideAdoption", {"decision": decision})

    assert [m.name for m in messages] == ["rejection_notice"]
    assert case.instance.completed
    done = case.instance.completed_element_ids()
    assert {"DecideAdoption", "IsAdopted", "SendRejectionNotice", "EndRejected"} <= done
    assert not {"SendAdoptionNotice", "SubmitForms"} & done
    assert case.thrown_names() == ["receipt_confirmation", "eligibility_assessed", "rejection_notice"]


def test_adopted_case_runs_every_country_to_publicity_and_completes(start_case):
    case = start_case("FY2025", ["CN", "TH"])
    first = case.task("ConfirmReceipt")
    assert (first.role, first.form_key, first.stage) == ("staff", "receipt_confirmation", "receipt")
    case.complete("ConfirmReceipt")
    hearing = case.task("Hearing")
    assert (hearing.role, hearing.form_key) == ("staff", "hearing")
    assert [m.name for m in case.complete("Hearing", hearing_data(["CN", "TH"]))] == ["eligibility_assessed"]

    messages = case.complete("DecideAdoption", {"decision": "adopt"})
    assert [m.name for m in messages] == ["adoption_notice"]
    assert case.ready_names() == [("SubmitForms", None)]
    forms = case.task("SubmitForms")
    assert (forms.role, forms.lane, forms.form_key) == ("applicant", "申請企業", "forms_submission")

    assert case.complete("SubmitForms", {"forms_submitted": True}) == []
    assert case.ready_names() == [("ExpertBriefing", "CN"), ("ExpertBriefing", "TH")]
    for country in ("CN", "TH"):
        briefing = case.task("ExpertBriefing", country)
        assert (briefing.role, briefing.form_key) == ("expert", "expert_briefing")
        assert briefing.data["country"] == country
        assert "hour_cap" not in briefing.data

    expected_roles = {
        "ExpertBriefing": "expert",
        "ConfirmPlan": "staff",
        "DeliverService": "expert",
        "FollowUp": "expert",
    }
    # Interleave the two countries: each country's subprocess moves on independently.
    thrown: dict[str, list] = {}
    for step in COUNTRY_STEPS:
        for country in ("CN", "TH"):
            assert ("Publicity", None) not in case.ready_names()
            task = case.task(step, country)
            assert task.role == expected_roles[step]
            assert task.data["country"] == country
            thrown[step] = thrown.get(step, []) + case.complete(step, country=country)

    assert case.ready_names() == [("Publicity", None)]
    publicity = case.task("Publicity")
    assert (publicity.role, publicity.form_key) == ("staff", "publicity")
    assert sorted(publicity.data["country_results"], key=lambda r: r["country"]) == [
        {"country": "CN", "closed_reason": "completed"},
        {"country": "TH", "closed_reason": "completed"},
    ]

    assert case.complete("Publicity", {"publish": True}) == []
    assert case.instance.completed
    assert case.ready_names() == []
    assert "SupportCompleted" in case.instance.completed_element_ids()
    assert sorted(case.instance.data["country_results"], key=lambda r: r["country"]) == [
        {"country": "CN", "closed_reason": "completed"},
        {"country": "TH", "closed_reason": "completed"},
    ]
    # the plan opens each country's service; the follow-up closes it as completed
    assert {step: [(m.name, m.payload) for m in messages] for step, messages in thrown.items()} == {
        "ExpertBriefing": [],
        "ConfirmPlan": [("service_opened", {"country": c}) for c in ("CN", "TH")],
        "DeliverService": [],
        "FollowUp": [("service_closed", {"country": c, "closed_reason": "completed"}) for c in ("CN", "TH")],
    }
    assert case.thrown_names()[:3] == ["receipt_confirmation", "eligibility_assessed", "adoption_notice"]
    assert case.dumps >= 12  # every step above went through a dump/restore


def test_publicity_waits_for_the_last_country(start_case):
    case = start_case("FY2025", ["CN", "TH", "VN"])
    case.to_briefings()
    case.finish_country("CN")
    case.finish_country("VN")
    assert case.ready_names() == [("ExpertBriefing", "TH")]
    case.finish_country("TH")
    assert case.ready_names() == [("Publicity", None)]
