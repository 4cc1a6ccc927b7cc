"""Ending an instance early (withdrawal, cancellation) and shifting its timers after a suspension, through the
engine adapter alone; every step is followed by a dump and restore, as between two requests."""

from __future__ import annotations

import datetime as dt

import pytest

from workflows.clock import clock
from workflows.editions import get_edition
from workflows.engine import Instance, InstanceFinished, parse_definition

from .support import DEFAULT_NOW, DMN_FILES, FORM_KEYS, JST, PROCESS_ID, Case
from .test_timers import ADOPTED_AT, adopted_case

PERIOD_END = dt.datetime(2026, 2, 6, 23, 59, 59, tzinfo=JST)


def test_cancel_ends_the_instance_with_its_subprocesses_and_timers(start_case):
    case = adopted_case(start_case)
    case.complete("SubmitForms")
    assert case.ready_names() == [("ExpertBriefing", "CN"), ("ExpertBriefing", "TH")]
    assert case.instance.next_timer_due() == PERIOD_END  # the support period's end, one per country
    ready = {t.id for t in case.instance.ready_user_tasks()}

    assert set(case.instance.cancel()) == ready
    case.persist()

    assert case.instance.cancelled and case.instance.completed
    assert case.instance.ready_user_tasks() == []
    assert case.instance.next_timer_due() is None  # nothing will fire
    clock.set(PERIOD_END + dt.timedelta(days=1))
    assert case.fire_timers() == []  # the support period's end throws nothing for a cancelled case
    with pytest.raises(InstanceFinished):
        case.instance.cancel()


def test_a_completed_instance_is_not_cancelled(start_case):
    case = start_case("FY2025", ("CN",))
    case.screen()
    case.complete("DecideAdoption", {"decision": "reject", "reason": "現地拠点の体制の見直しを予定していないため"})
    assert case.instance.completed and not case.instance.cancelled
    with pytest.raises(InstanceFinished):
        case.instance.cancel()


def test_shift_timers_moves_the_forms_reminder_and_keeps_the_support_period_end(start_case):
    case = adopted_case(start_case)
    reminder = ADOPTED_AT + dt.timedelta(days=14)
    assert case.instance.next_timer_due() == reminder

    shifted = case.instance.shift_timers(dt.timedelta(days=10))
    case.persist()  # the shifted due instant is in the stored state

    assert [(t.element, t.before, t.after) for t in shifted] == [
        ("FormsOverdue", reminder, reminder + dt.timedelta(days=10))
    ]
    assert case.instance.next_timer_due() == reminder + dt.timedelta(days=10)
    clock.set(reminder + dt.timedelta(days=9, hours=23))
    assert case.fire_timers() == []
    clock.set(reminder + dt.timedelta(days=10, minutes=1))
    assert [m.name for m in case.fire_timers()] == ["forms_reminder"]

    case.complete("SubmitForms")
    # In service the only timer is the support period's end: a calendar date from the edition, not moved.
    assert case.instance.shift_timers(dt.timedelta(days=30)) == []
    assert case.instance.next_timer_due() == PERIOD_END


def test_shift_timers_moves_a_cycle_timers_next_instant(edited_bpmn):
    path = edited_bpmn(
        (
            '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P%dD" % forms_reminder_days</bpmn:timeDuration>',
            '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R2/P%dD" % forms_reminder_days</bpmn:timeCycle>',
        )
    )
    definition = parse_definition(PROCESS_ID, [path], DMN_FILES, FORM_KEYS)
    edition = get_edition("FY2025")
    assert edition is not None
    clock.set(DEFAULT_NOW["FY2025"])
    data = {**edition.process_data(), "countries": ["CN"], "received_on": "2025-07-01", "company_name": "x"}
    case = Case(definition, Instance.start(definition, data)[0])
    case.persist()
    case.screen()
    clock.set(ADOPTED_AT)
    case.complete("DecideAdoption", {"decision": "adopt"})
    first = case.instance.next_timer_due()
    assert first == ADOPTED_AT + dt.timedelta(days=14)

    shifted = case.instance.shift_timers(dt.timedelta(days=3))
    case.persist()

    assert [t.after for t in shifted] == [first + dt.timedelta(days=3)]
    assert case.instance.next_timer_due() == first + dt.timedelta(days=3)
    clock.set(first + dt.timedelta(days=2))
    assert case.fire_timers() == []
    clock.set(first + dt.timedelta(days=3, minutes=1))
    assert [m.name for m in case.fire_timers()] == ["forms_reminder"]
