"""A diagram step that fails leaves the case where it was and is listed on the designers' errors page (element,
message, data, repeats); after a fix — a fixed version deployed and the case moved to it, or the data corrected —
the retry runs the step again from that task (or timer) and the case moves on. Designers also suspend, resume and
terminate an instance; nobody else sees these pages."""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict

from forms.fields import ListItem
from tests.fixtures import DEMO_NOW, PASSWORD
from webapp.api_input import to_multidict
from webapp.extensions import db
from webapp.models import AuditEvent, Case, HumanTask, OutboxEmail, ProcessError, ProcessInstance, User
from webapp.operations.process_errors import DATA_MAX, stored_data

from .lifecycle import HEARING_OK, adopt, complete, open_task, register
from .test_diagram_safety import SCRIPT, _insert_unchecked_version, bpmn

BROKEN = "x = '{0.__class__}'.format(1)</bpmn:script>"  # refused by the evaluator when the step runs
BPMN = "support_program.bpmn"


def login(client, username):
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def state(app, case_id: int) -> dict:
    """What the case is: its stage and status, open task rows, instance row, and history."""
    with app.app_context():
        case = db.session.get(Case, case_id)
        instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case_id))
        tasks = db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id).order_by(HumanTask.id))
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id))
        return {
            "case": (case.status, case.stage),
            "tasks": [(t.form_key, t.status) for t in tasks],
            "instance": (instance.status, instance.lock_version, instance.state_json, instance.next_timer_due),
            "events": [(e.action, e.actor.username if e.actor else None, e.on_behalf, e.after_json) for e in events],
        }


def errors(app) -> list[ProcessError]:
    with app.app_context():
        found = db.session.scalars(select(ProcessError).order_by(ProcessError.id)).all()
        db.session.expunge_all()
        return list(found)


def error_rows(page: str) -> dict[str, str]:
    table = re.search(r"<table data-open-errors>(.*?)</table>", page, re.S)
    return dict(re.findall(r'<tr data-error="(\d+)"[^>]*>(.*?)</tr>', table.group(1), re.S)) if table else {}


def at_hearing(api_as) -> tuple[dict, dict]:
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    receipt = open_task(staff, case["id"], "receipt_confirmation")
    assert complete(staff, receipt["id"], {"sealed_pdf_confirmed": True}).status_code == 200
    return case, open_task(staff, case["id"], "hearing")


def fixed_version(client, case_id: int, broken: str, fixed: str) -> None:
    """The designer's fix: a draft of the newest (broken) version with the step corrected, deployed, and the case
    moved to it."""
    response = client.post("/process/drafts/")
    draft_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/process/drafts/{draft_id}").get_data(as_text=True)
    config = json.loads(re.search(r'id="editor-config">(.*?)</script>', page, re.S).group(1))
    assert broken in config["files"][BPMN]
    files = {**config["files"], BPMN: config["files"][BPMN].replace(broken, fixed)}
    saved = client.post(f"/process/drafts/{draft_id}/save", json={"files": files, "lock_version": 1})
    assert saved.get_json()["problems"] == [], saved.get_json()
    assert client.post(f"/process/drafts/{draft_id}/deploy").status_code == 302
    moved = client.post(f"/process/drafts/{draft_id}/move", data={"case": str(case_id)}, follow_redirects=True)
    assert "1 件を v2 に移行しました。" in moved.get_data(as_text=True)


def test_a_failing_step_leaves_the_case_as_it_was_is_listed_once_and_a_retry_after_the_fix_moves_it_on(
    app, api_as, tmp_path
):
    _insert_unchecked_version(app, tmp_path, bpmn((SCRIPT, BROKEN)))
    staff = api_as("staff")
    case, hearing = at_hearing(api_as)
    before = state(app, case["id"])

    response = complete(staff, hearing["id"], HEARING_OK)
    assert response.status_code == 422
    assert "SummarizeEligibility" in response.get_json()["error"] and "案件は元のまま" in response.get_json()["error"]
    assert state(app, case["id"]) == before  # nothing of the completion was kept
    [error] = errors(app)
    assert (error.case_id, error.task_id, error.kind, error.element) == (
        case["id"],
        hearing["id"],
        "task",
        "SummarizeEligibility",
    )
    assert error.repeats == 0 and error.resolved_at is None and error.cause["code"] == "attribute"
    assert dict((name, value) for name, value, _list in error.data["fields"])["hearing_date"] == "2025-07-02"

    designer = login(app.test_client(), "designer")
    page = designer.get("/process/errors/").get_data(as_text=True)
    [row] = error_rows(page).values()
    assert case["number"] in row and "SummarizeEligibility" in row and "「format」は使えません" in row
    assert "hearing_date" in row and "2025-07-02" in row and "井上 花子" in row
    assert re.search(r"<td data-repeats>0</td>", row)
    assert "実行時に失敗した処理が 1 件あります。" in designer.get("/process/").get_data(as_text=True)

    # the same failure again: counted on the same row; the case is still as it was
    assert complete(staff, hearing["id"], HEARING_OK).status_code == 422
    [error] = errors(app)
    assert error.repeats == 1 and state(app, case["id"]) == before
    # a retry before the fix fails the same way: still open, counted again
    page = designer.post(f"/process/errors/{error.id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "SummarizeEligibility で処理が止まった" in page
    [error] = errors(app)
    assert error.repeats == 2 and error.resolved_at is None and state(app, case["id"]) == before

    fixed_version(designer, case["id"], BROKEN, SCRIPT)
    page = designer.post(f"/process/errors/{error.id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "再実行しました。タスク「ヒアリング」が完了し、案件は先に進みました。" in page
    assert error_rows(page) == {} and "未解決のエラーはありません。" in page
    assert '<span class="small" data-resolution="retried">再実行で解決<br>' in page
    [error] = errors(app)
    assert error.resolution == "retried" and error.resolved_at is not None and error.open_key is None
    after = state(app, case["id"])
    assert ("hearing", "completed") in after["tasks"] and ("adoption_decision", "open") in after["tasks"]
    with app.app_context():
        task = db.session.get(HumanTask, hearing["id"])
        assert task.completed_by.username == "staff"  # completed as the one who submitted it
    completed = [e for e in after["events"] if e[0] == "task_completed"][-1]
    assert completed[1:3] == ("designer", True)  # the designer, on the submitter's behalf
    retried = [e for e in after["events"] if e[0] == "process_error_retried"]
    assert [(e[1], json.loads(e[3])["for"]) for e in retried] == [("designer", "staff")]


def test_a_data_error_is_corrected_and_retried_or_resolved_when_the_user_completes_again(app, api_as, tmp_path):
    # the step fails only for one answer of the hearing (an in-person hearing, say)
    failing = "eligible = len(ineligible_reasons) == 0\nx = 1 // (0 if method == 'visit' else 1)</bpmn:script>"
    _insert_unchecked_version(app, tmp_path, bpmn((SCRIPT, failing)))
    staff = api_as("staff")
    case, hearing = at_hearing(api_as)
    assert complete(staff, hearing["id"], {**HEARING_OK, "method": "visit"}).status_code == 422
    [error] = errors(app)
    fields = [name for name, _value, _list in error.data["fields"]]
    number = fields.index("method") + 1

    designer = login(app.test_client(), "designer")
    page = designer.get("/process/errors/").get_data(as_text=True)
    assert f'name="value-{number}" value="visit"' in page
    corrected = designer.post(
        f"/process/errors/{error.id}/retry", data={f"value-{number}": "phone"}, follow_redirects=True
    )
    assert "案件は先に進みました" in corrected.get_data(as_text=True)
    [error] = errors(app)
    assert error.resolution == "retried"
    events = state(app, case["id"])["events"]
    retried = json.loads([e for e in events if e[0] == "process_error_retried"][0][3])
    assert retried["corrected"] == {"method": "phone"}
    assert open_task(staff, case["id"], "adoption_decision")

    # another case: its user answers again with other data; that completion resolves the error by itself
    other = register(staff, "FY2025", ["CN"], "2025-07-01", company_name="東海精工株式会社")
    receipt = open_task(staff, other["id"], "receipt_confirmation")
    assert complete(staff, receipt["id"], {"sealed_pdf_confirmed": True}).status_code == 200
    task = open_task(staff, other["id"], "hearing")
    assert complete(staff, task["id"], {**HEARING_OK, "method": "visit"}).status_code == 422
    assert complete(staff, task["id"], HEARING_OK).status_code == 200
    assert [e.resolution for e in errors(app)] == ["retried", "completed"]


def test_a_designer_marks_an_error_resolved_with_a_note(app, api_as, tmp_path):
    _insert_unchecked_version(app, tmp_path, bpmn((SCRIPT, BROKEN)))
    case, hearing = at_hearing(api_as)
    assert complete(api_as("staff"), hearing["id"], HEARING_OK).status_code == 422
    [error] = errors(app)
    designer = login(app.test_client(), "designer")
    empty = designer.post(f"/process/errors/{error.id}/resolve", data={"note": " "}, follow_redirects=True)
    assert "解決の内容を500文字以内で入力してください。" in empty.get_data(as_text=True)
    assert errors(app)[0].resolved_at is None
    page = designer.post(
        f"/process/errors/{error.id}/resolve",
        data={"note": "担当者に連絡し、入力をやり直してもらう"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "エラーを解決済みにしました。" in page and error_rows(page) == {}
    [error] = errors(app)
    assert (error.resolution, error.resolution_note) == ("marked", "担当者に連絡し、入力をやり直してもらう")
    assert "このエラーは既に解決済みです。" in designer.post(
        f"/process/errors/{error.id}/retry", follow_redirects=True
    ).get_data(as_text=True)
    # the same failure once more opens a new error (the resolved one is history)
    assert complete(api_as("staff"), hearing["id"], HEARING_OK).status_code == 422
    assert [e.resolved_at is None for e in errors(app)] == [False, True]


TIMER_BROKEN = (
    '<bpmn:message id="Msg_FormsReminder" name="forms_reminder"/>',
    '<bpmn:message id="Msg_FormsReminder" name="forms_reminder"><bpmn:extensionElements>'
    "<spiffworkflow:messagePayload>'{0.__class__}'.format(1)</spiffworkflow:messagePayload>"
    "</bpmn:extensionElements></bpmn:message>",
)


def tick(app) -> None:
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output


def test_a_failing_timer_step_is_kept_counted_on_each_tick_and_retried_after_the_fix(app, api_as, tmp_path, set_clock):
    _insert_unchecked_version(app, tmp_path, bpmn(TIMER_BROKEN))
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, case["id"])  # the forms are reminded 14 days later
    before = state(app, case["id"])
    set_clock(DEMO_NOW + timedelta(days=15))
    tick(app)
    tick(app)
    assert state(app, case["id"]) == before  # the timer is still due: nothing of the step was kept
    [error] = errors(app)
    assert (error.kind, error.element, error.task_id, error.user_id, error.repeats) == (
        "timer", "SendFormsReminder", None, None, 1
    )  # fmt: skip

    designer = login(app.test_client(), "designer")
    [row] = error_rows(designer.get("/process/errors/").get_data(as_text=True)).values()
    assert "タイマー" in row and "SendFormsReminder" in row and "システム（タイマー）" in row
    fixed_version(designer, case["id"], TIMER_BROKEN[1], TIMER_BROKEN[0])
    # the move keeps the reminder due when it was (14 days after adoption): the retry fires it at once
    page = designer.post(f"/process/errors/{error.id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "期限の来たタイマーが発火し、案件は先に進みました。" in page
    [error] = errors(app)
    assert error.resolution == "retried" and error.resolved_by_id is not None
    with app.app_context():
        templates = db.session.scalars(select(OutboxEmail.template).where(OutboxEmail.case_id == case["id"])).all()
    assert "forms_reminder" in templates


def test_a_timer_error_resolves_itself_when_the_next_tick_goes_through(app, api_as, tmp_path, set_clock):
    _insert_unchecked_version(app, tmp_path, bpmn(TIMER_BROKEN))
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, case["id"])
    set_clock(DEMO_NOW + timedelta(days=15))
    tick(app)
    designer = login(app.test_client(), "designer")
    fixed_version(designer, case["id"], TIMER_BROKEN[1], TIMER_BROKEN[0])
    set_clock(DEMO_NOW + timedelta(days=29, minutes=1))  # the move restarted the reminder timer
    tick(app)
    [error] = errors(app)
    assert (error.resolution, error.resolved_by_id) == ("fired", None)


def test_designers_suspend_resume_and_terminate_an_instance_without_telling_the_company(app, api_as, tmp_path):
    _insert_unchecked_version(app, tmp_path, bpmn((SCRIPT, BROKEN)))
    staff = api_as("staff")
    case, hearing = at_hearing(api_as)
    assert complete(staff, hearing["id"], HEARING_OK).status_code == 422
    designer = login(app.test_client(), "designer")
    page = designer.get(f"/process/errors/cases/{case['id']}").get_data(as_text=True)
    assert case["number"] in page and "SummarizeEligibility" in page and 'id="control-suspend"' in page
    assert 'id="control-resume"' not in page

    key = re.search(r'id="control-suspend">.*?name="idempotency_key" value="([^"]+)"', page, re.S).group(1)
    refused = designer.post(f"/process/errors/cases/{case['id']}/suspend", data={"reason": "", "idempotency_key": key})
    assert refused.status_code == 422 and "中断の理由を500文字以内で入力してください。" in refused.get_data(
        as_text=True
    )
    page = designer.post(
        f"/process/errors/cases/{case['id']}/suspend",
        data={"reason": "図の修正中", "idempotency_key": key},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "案件を中断しました。" in page and 'data-status="suspended"' in page and 'id="control-resume"' in page
    assert state(app, case["id"])["instance"][0] == "suspended"
    assert complete(staff, hearing["id"], HEARING_OK).status_code == 409  # nothing is done while suspended
    [error] = errors(app)
    retried = designer.post(f"/process/errors/{error.id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "中断中のため" in retried

    page = designer.post(
        f"/process/errors/cases/{case['id']}/resume", data={"reason": "修正を確認"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "案件を再開しました。" in page and 'data-status="active"' in page

    with app.app_context():
        emails_before = db.session.query(OutboxEmail).filter_by(case_id=case["id"]).count()
    page = designer.post(
        f"/process/errors/cases/{case['id']}/terminate",
        data={"reason": "重複して登録された案件"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "案件のプロセスを終了しました（企業への通知は送っていません）。" in page
    after = state(app, case["id"])
    assert after["case"][0] == "cancelled" and after["instance"][0] == "cancelled"
    assert ("hearing", "cancelled") in after["tasks"]
    with app.app_context():
        assert db.session.query(OutboxEmail).filter_by(case_id=case["id"]).count() == emails_before
        terminated = db.session.scalars(
            select(AuditEvent).filter_by(case_id=case["id"], action="case_terminated")
        ).one()
        assert (terminated.actor.username, terminated.detail) == ("designer", "重複して登録された案件")
    actions = [e[0] for e in after["events"]]
    assert actions[-3:] == ["case_suspended", "case_resumed", "case_terminated"]
    [error] = errors(app)
    assert error.resolution == "ended"  # a case that ended has nothing to retry
    again = designer.post(f"/process/errors/cases/{case['id']}/terminate", data={"reason": "再度"})
    assert again.status_code == 409 and "この操作はできません" in again.get_data(as_text=True)


@pytest.mark.parametrize("username", ["staff", "expert_cn", "applicant"])
def test_only_designers_and_admins_see_errors_and_control_instances(app, api_as, tmp_path, username):
    _insert_unchecked_version(app, tmp_path, bpmn((SCRIPT, BROKEN)))
    case, hearing = at_hearing(api_as)
    assert complete(api_as("staff"), hearing["id"], HEARING_OK).status_code == 422
    [error] = errors(app)
    client = login(app.test_client(), username)
    assert client.get("/process/errors/").status_code == 403
    assert client.get(f"/process/errors/cases/{case['id']}").status_code == 403
    assert client.post(f"/process/errors/{error.id}/retry").status_code == 403
    assert client.post(f"/process/errors/{error.id}/resolve", data={"note": "x"}).status_code == 403
    for action in ("suspend", "resume", "terminate"):
        assert client.post(f"/process/errors/cases/{case['id']}/{action}", data={"reason": "x"}).status_code == 403
    assert errors(app)[0].resolved_at is None and state(app, case["id"])["case"][0] == "active"
    admin = login(app.test_client(), "admin")
    assert "SummarizeEligibility" in admin.get("/process/errors/").get_data(as_text=True)
    english = admin.get("/process/errors/?lang=en").get_data(as_text=True)
    assert "Open errors" in english and "Retry" in english and "Mark resolved" in english
    assert "未解決のエラー" not in english and "attribute or method “format”" in english  # the reason, worded again


def test_the_task_page_keeps_the_error_of_a_failing_completion_too(app, api_as, tmp_path):
    _insert_unchecked_version(app, tmp_path, bpmn((SCRIPT, BROKEN)))
    case, hearing = at_hearing(api_as)
    before = state(app, case["id"])
    staff = login(app.test_client(), "staff2")
    with app.test_request_context():
        form = to_multidict(HEARING_OK)
    response = staff.post(f"/tasks/{hearing['id']}", data=form)
    assert response.status_code == 422 and "案件は元のまま" in response.get_data(as_text=True)
    assert state(app, case["id"]) == before
    [error] = errors(app)
    assert (error.element, error.user_id, error.repeats) == ("SummarizeEligibility", hearing_user(app, "staff2"), 0)
    assert "csrf_token" not in error.data_json


def hearing_user(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def test_the_kept_data_is_bounded_and_leaves_files_and_form_tokens_out():
    posted = MultiDict(
        [
            ("csrf_token", "t"),
            ("idempotency_key", "k"),
            ("consultation_items", ListItem("A1-1")),
            ("note", "メモ"),
            ("form1_file", FileStorage(BytesIO(b"%PDF"), "form1.pdf")),
        ]
    )
    text, omitted = stored_data(posted)
    assert not omitted and json.loads(text) == {
        "fields": [["consultation_items", "A1-1", True], ["note", "メモ", False]],
        "files": ["form1_file"],
    }
    assert stored_data(MultiDict([("note", "x" * DATA_MAX)])) == (None, True)


def test_two_failures_at_once_are_one_error_counted_twice(app, api_as, tmp_path):
    _insert_unchecked_version(app, tmp_path, bpmn((SCRIPT, BROKEN)))
    case, hearing = at_hearing(api_as)
    answers: list[int] = []

    def attempt(username: str) -> None:
        answers.append(complete(api_as(username), hearing["id"], HEARING_OK).status_code)

    workers = [threading.Thread(target=attempt, args=(name,)) for name in ("staff", "staff2")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert answers == [422, 422]
    [error] = errors(app)
    assert error.repeats == 1 and error.resolved_at is None
