"""Instance.reopen: the decision task is ready again with its earlier answers, what followed it is undone, and a
finished instance (a rejection) runs again; a task never completed cannot be reopened."""

from __future__ import annotations

import pytest

from workflows.engine import TaskNotReady


def test_a_rejection_is_reopened_and_decided_again(start_case):
    case = start_case("FY2025")
    case.screen()
    case.complete("DecideAdoption", {"decision": "reject", "reason": "理由"})
    assert case.instance.completed and case.ready_names() == []

    reopened = case.instance.reopen("DecideAdoption")
    case.persist()
    assert reopened.data["decision"] == "reject" and not case.instance.completed
    assert case.ready_names() == [("DecideAdoption", None)]
    assert case.thrown_names()[-1] == "rejection_notice"  # nothing more was thrown by reopening
    assert [m.name for m in case.complete("DecideAdoption", {"decision": "adopt"})] == ["adoption_notice"]
    assert case.ready_names() == [("SubmitForms", None)]


def test_an_adoption_is_reopened_and_the_forms_task_is_gone(start_case):
    case = start_case("FY2025")
    case.adopt()
    case.instance.reopen("DecideAdoption")
    case.persist()
    assert case.ready_names() == [("DecideAdoption", None)]


def test_a_task_not_yet_completed_is_not_reopened(start_case):
    case = start_case("FY2025")
    with pytest.raises(TaskNotReady):
        case.instance.reopen("DecideAdoption")
