"""Timers against the settable clock: the forms reminder and the end of the support period."""

from __future__ import annotations

import datetime as dt

import pytest

from workflows.clock import clock
from workflows.engine import TaskNotReady

from .support import JST

ADOPTED_AT = dt.datetime(2025, 7, 2, 15, 30, tzinfo=JST)
ADOPTION_TIMES = {"FY2021": dt.datetime(2021, 7, 22, 15, 30, tzinfo=JST), "FY2025": ADOPTED_AT}


def adopted_case(start_case, edition="FY2025", countries=("CN", "TH"), **extra):
    case = start_case(edition, countries, **extra)
    case.screen()
    clock.set(ADOPTION_TIMES[edition])
    case.complete("DecideAdoption", {"decision": "adopt"})
    return case


def test_forms_reminder_fires_once_after_14_days(start_case):
    case = adopted_case(start_case)
    forms_id = case.task("SubmitForms").id
    assert case.instance.next_timer_due() == ADOPTED_AT + dt.timedelta(days=14)

    clock.set(ADOPTED_AT + dt.timedelta(days=13, hours=23, minutes=59))
    assert case.fire_timers() == []
    assert case.task("SubmitForms").id == forms_id

    clock.set(ADOPTED_AT + dt.timedelta(days=14, minutes=1))
    messages = case.fire_timers()
    assert [m.name for m in messages] == ["forms_reminder"]
    # The reminder does not interrupt: the same SubmitForms task is still open.
    assert case.ready_names() == [("SubmitForms", None)]
    assert case.task("SubmitForms").id == forms_id
    # only the support period's end remains: it would close the forms stage
    assert case.instance.next_timer_due() == dt.datetime(2026, 2, 6, 23, 59, 59, tzinfo=JST)

    clock.advance(dt.timedelta(days=30))
    assert case.fire_timers() == []
    assert case.thrown_names().count("forms_reminder") == 1

    case.complete("SubmitForms")
    assert case.ready_names() == [("ExpertBriefing", "CN"), ("ExpertBriefing", "TH")]


def test_forms_reminder_follows_the_process_variable(start_case):
    case = adopted_case(start_case, forms_reminder_days=3)
    assert case.instance.next_timer_due() == ADOPTED_AT + dt.timedelta(days=3)
    clock.set(ADOPTED_AT + dt.timedelta(days=3, seconds=1))
    assert [m.name for m in case.fire_timers()] == ["forms_reminder"]


def test_forms_submitted_in_time_cancels_the_reminder(start_case):
    case = adopted_case(start_case)
    clock.set(ADOPTED_AT + dt.timedelta(days=5))
    case.complete("SubmitForms")
    # only the support-period end remains (the per-country period starts with the briefing)
    assert case.instance.next_timer_due() == dt.datetime(2026, 2, 6, 23, 59, 59, tzinfo=JST)

    clock.set(ADOPTED_AT + dt.timedelta(days=30))
    assert case.fire_timers() == []
    assert "forms_reminder" not in case.thrown_names()
    assert len(case.ready("ExpertBriefing")) == 2


PERIOD_ENDS = [
    pytest.param("FY2025", ("CN", "TH"), dt.datetime(2026, 2, 6, 23, 59, 59, tzinfo=JST), id="FY2025"),
    pytest.param("FY2021", ("CN", "SG"), dt.datetime(2022, 2, 18, 23, 59, 59, tzinfo=JST), id="FY2021"),
]


@pytest.mark.parametrize(("edition", "countries", "period_end"), PERIOD_ENDS)
def test_support_period_end_closes_an_open_service(start_case, edition, countries, period_end):
    done, open_ = countries
    case = adopted_case(start_case, edition, countries)
    case.complete("SubmitForms")
    case.finish_country(done)
    assert case.instance.next_timer_due() == period_end  # the period covers the briefing too
    case.complete("ExpertBriefing", country=open_)
    case.complete("ConfirmPlan", country=open_)
    service = case.task("DeliverService", open_)
    assert case.instance.next_timer_due() == period_end

    clock.set(period_end - dt.timedelta(seconds=1))
    assert case.fire_timers() == []
    assert case.task("DeliverService", open_).id == service.id

    clock.set(period_end)  # the last second still belongs to the support period
    assert case.fire_timers() == []
    assert case.task("DeliverService", open_).id == service.id

    clock.set(period_end + dt.timedelta(seconds=1))
    messages = case.fire_timers()

    assert [(m.name, m.payload) for m in messages] == [
        ("service_closed", {"country": open_, "closed_reason": "support_period_ended"})
    ]
    with pytest.raises(TaskNotReady):
        case.instance.complete(service.id, {})
    assert case.ready_names() == [("Publicity", None)]
    assert case.instance.next_timer_due() is None

    case.complete("Publicity")
    assert case.instance.completed
    assert sorted(case.instance.data["country_results"], key=lambda r: r["country"]) == sorted(
        [
            {"country": done, "closed_reason": "completed"},
            {"country": open_, "closed_reason": "support_period_ended"},
        ],
        key=lambda r: r["country"],
    )
    # the finished country was closed by its follow-up (completed), the open one by the period's end
    assert case.thrown_names().count("service_closed") == 2


def test_the_period_end_closes_the_forms_stage(start_case):
    """「支援期間について、採択後から2026年2月6日（金）までとします。」: forms never submitted end with the period."""
    case = adopted_case(start_case, "FY2025", ("CN", "TH"))
    clock.set(dt.datetime(2026, 2, 6, 23, 59, 59, tzinfo=JST))
    assert [m.name for m in case.fire_timers()] == ["forms_reminder"]
    assert case.ready_names() == [("SubmitForms", None)]
    clock.set(dt.datetime(2026, 2, 7, 0, 0, 1, tzinfo=JST))
    assert [m.name for m in case.fire_timers()] == ["forms_period_ended"]
    assert case.ready_names() == []
    assert case.instance.completed
    assert "EndFormsPeriodEnded" in case.instance.completed_element_ids()
    assert case.instance.next_timer_due() is None


def test_support_period_end_closes_every_open_country(start_case):
    period_end = dt.datetime(2026, 2, 6, 23, 59, 59, tzinfo=JST)
    case = adopted_case(start_case, "FY2025", ("CN", "TH", "VN"))
    case.complete("SubmitForms")
    for country in ("CN", "TH", "VN"):
        case.complete("ExpertBriefing", country=country)
        case.complete("ConfirmPlan", country=country)
    case.complete("DeliverService", country="CN")  # CN waits in FollowUp, TH and VN in DeliverService
    follow_up = case.task("FollowUp", "CN")

    clock.set(period_end + dt.timedelta(minutes=5))
    messages = case.fire_timers()

    assert sorted((m.name, m.payload["country"], m.payload["closed_reason"]) for m in messages) == [
        ("service_closed", c, "support_period_ended") for c in ("CN", "TH", "VN")
    ]
    with pytest.raises(TaskNotReady):
        case.instance.complete(follow_up.id, {})
    assert case.ready_names() == [("Publicity", None)]
    assert {r["closed_reason"] for r in case.task("Publicity").data["country_results"]} == {"support_period_ended"}


def test_plan_confirmed_after_the_period_end_closes_at_once(start_case):
    case = adopted_case(start_case, "FY2025", ("CN",))
    case.complete("SubmitForms")
    case.complete("ExpertBriefing", country="CN")

    clock.set(dt.datetime(2026, 2, 10, 9, 0, tzinfo=JST))
    messages = case.complete("ConfirmPlan", country="CN")
    messages += case.fire_timers()

    assert [(m.name, m.payload) for m in messages] == [
        ("service_opened", {"country": "CN"}),
        ("service_closed", {"country": "CN", "closed_reason": "support_period_ended"}),
    ]
    assert case.ready_names() == [("Publicity", None)]


def test_support_period_end_closes_a_country_still_at_the_briefing(start_case):
    case = adopted_case(start_case, "FY2025", ("ID",))
    case.complete("SubmitForms")
    assert case.ready_names() == [("ExpertBriefing", "ID")]
    clock.set(dt.datetime(2026, 2, 7, 0, 0, 1, tzinfo=JST))
    messages = case.fire_timers()
    assert [(m.name, m.payload) for m in messages] == [
        ("service_closed", {"country": "ID", "closed_reason": "support_period_ended"})
    ]
    assert case.ready_names() == [("Publicity", None)]
