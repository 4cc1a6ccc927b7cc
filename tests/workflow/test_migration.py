"""Moving a running instance to another version: refused while it is at a task whose element changed or
vanished (the reason names the element and what changed), allowed otherwise, and then it runs on the new one."""

from __future__ import annotations

from workflows.engine import parse_definition
from workflows.migration import Blocker, check, migrate

from .support import DMN_FILES, FORM_KEYS, PROCESS_ID, Case, hearing_data


def definition_with(edited_bpmn, *replacements):
    return parse_definition(PROCESS_ID, [edited_bpmn(*replacements)], DMN_FILES, FORM_KEYS)


HEARING = ('name="ヒアリング"', 'name="ヒアリング（電話）"')
PUBLICITY = ('name="広報（事例紹介）"', 'name="広報"')


def test_a_case_waiting_at_a_changed_task_cannot_move(start_case, edited_bpmn):
    case = start_case("FY2025", ["TH"])
    case.complete("ConfirmReceipt")
    result = check(case.instance, definition_with(edited_bpmn, HEARING))
    assert not result.movable
    assert result.blockers == (Blocker("changed", "Hearing", "ヒアリング", ("bpmn_name",)),)


def test_a_case_at_a_task_whose_id_changed_cannot_move(start_case, edited_bpmn):
    """SpiffWorkflow aligns an element that lost its id by its place in the flow: it is a change, not a removal."""
    case = start_case("FY2025", ["TH"])
    case.complete("ConfirmReceipt")
    renamed = ('id="Hearing"', 'id="PhoneHearing"'), ('bpmnElement="Hearing"', 'bpmnElement="PhoneHearing"')
    text = edited_bpmn(*renamed).read_text(encoding="utf-8")
    path = edited_bpmn()
    path.write_text(
        text.replace(">Hearing<", ">PhoneHearing<").replace('"Hearing"', '"PhoneHearing"'), encoding="utf-8"
    )
    target = parse_definition(PROCESS_ID, [path], DMN_FILES, FORM_KEYS)
    [blocker] = check(case.instance, target).blockers
    assert (blocker.code, blocker.element) == ("changed", "Hearing")
    assert {"bpmn_id", "name"} <= set(blocker.attributes)


def test_a_change_inside_a_started_country_subprocess_blocks_it(start_case, edited_bpmn):
    case = start_case("FY2025", ["TH"])
    case.to_briefings()
    briefing = ('name="サービス内容の説明・依頼内容の選定"', 'name="サービス内容の説明"')
    blockers = check(case.instance, definition_with(edited_bpmn, briefing)).blockers
    assert [(b.code, b.element) for b in blockers] == [("changed", "ExpertBriefing")]


def test_a_case_at_an_unchanged_task_moves_and_completes_on_the_new_version(start_case, edited_bpmn):
    case = start_case("FY2025", ["TH"])
    case.complete("ConfirmReceipt")
    target = definition_with(edited_bpmn, PUBLICITY)
    assert check(case.instance, target).movable
    moved = Case(target, migrate(case.instance, target), case.thrown)
    moved.persist()
    moved.complete("Hearing", hearing_data(["TH"]))
    moved.complete("DecideAdoption", {"decision": "adopt"})
    moved.complete("SubmitForms", {"forms_submitted": True})
    moved.finish_country("TH")
    assert moved.task("Publicity").title == "広報"
    moved.complete("Publicity", {"publish": True})
    assert moved.instance.completed


def test_two_versions_are_compared_element_by_element(definition, edited_bpmn):
    from workflows.migration import compare

    assert compare(definition, definition).none
    moved = (
        '<dc:Bounds x="1760" y="170" width="110" height="80"/>',
        '<dc:Bounds x="1770" y="170" width="110" height="80"/>',
    )
    assert compare(definition, definition_with(edited_bpmn, moved)).none  # layout only
    changes = compare(definition, definition_with(edited_bpmn, HEARING, PUBLICITY))
    assert [(c.element, c.title, c.attributes) for c in changes.changed] == [
        ("Hearing", "ヒアリング（電話）", ("bpmn_name",)),
        ("Publicity", "広報", ("bpmn_name",)),
    ]
    assert changes.added == changes.removed == ()


def test_a_moved_case_keeps_its_timers_due_when_they_were(start_case, edited_bpmn):
    """The forms reminder started at adoption stays due 14 days after it, not 14 days after the move."""
    import datetime as dt

    from workflows.clock import clock

    case = start_case("FY2025", ["TH"])
    case.adopt()
    due = case.instance.next_timer_due()
    clock.set(clock.now() + dt.timedelta(days=5))
    target = definition_with(edited_bpmn, PUBLICITY)
    moved = Case(target, migrate(case.instance, target), case.thrown)
    moved.persist()
    assert due is not None and moved.instance.next_timer_due() == due
    assert [t.name for t in moved.ready()] == ["SubmitForms"]
