"""A POST retried with the same Idempotency-Key (a dropped connection, a double click, a second tab) acts once
and answers as the first time; the same key for a different request is refused."""

from __future__ import annotations

import re

from webapp.extensions import db
from webapp.models import Case, HoursEntry, IdempotentRequest, ProcessInstance

from .lifecycle import HEARING_OK, adopt, application, complete, open_task, register
from .service import into_service
from .test_case_pages import login
from .test_hour_caps import _at_once

HOURS = {"country": "TH", "work_date": "2025-09-01", "activity": "meeting", "hours": "2"}


def entries(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.query(HoursEntry).count()


def test_hours_posted_twice_with_one_key_are_booked_once_and_answered_alike(app, api_as):
    staff, expert = api_as("staff"), api_as("expert_cn")
    case = register(staff, "FY2025", ["TH"], "2025-07-01")
    adopt(staff, case["id"])
    into_service(api_as, case["id"])
    key = {"Idempotency-Key": "hours-7f3a"}
    first = expert.post(f"/cases/{case['id']}/hours", json=HOURS, headers=key)
    retry = expert.post(f"/cases/{case['id']}/hours", json=HOURS, headers=key)
    assert first.status_code == retry.status_code == 201
    assert retry.get_json() == first.get_json() and retry.headers["Idempotent-Replayed"] == "true"
    assert entries(app) == 1

    fresh = expert.post(f"/cases/{case['id']}/hours", json=HOURS, headers={"Idempotency-Key": "hours-8b21"})
    assert fresh.status_code == 201 and entries(app) == 2  # a new key is a new entry


def test_one_key_for_a_different_request_is_refused_and_a_malformed_key_too(app, api_as):
    staff, expert = api_as("staff"), api_as("expert_cn")
    case = register(staff, "FY2025", ["TH"], "2025-07-01")
    adopt(staff, case["id"])
    into_service(api_as, case["id"])
    key = {"Idempotency-Key": "k-1"}
    assert expert.post(f"/cases/{case['id']}/hours", json=HOURS, headers=key).status_code == 201
    other = expert.post(f"/cases/{case['id']}/hours", json={**HOURS, "hours": "3"}, headers=key)
    assert other.status_code == 422 and "別の内容" in other.get_json()["error"]
    for bad in ("", "キー", "x" * 101, "a b"):
        response = expert.post(f"/cases/{case['id']}/hours", json=HOURS, headers={"Idempotency-Key": bad})
        assert response.status_code == 400 and "Idempotency-Key" in response.get_json()["error"], bad
    assert entries(app) == 1


def test_keys_belong_to_their_user(app, api_as):
    staff, staff2 = api_as("staff"), api_as("staff2")
    key = {"Idempotency-Key": "same-key"}
    first = staff.post("/applications", json=application("FY2025", ["CN"], "2025-07-01"), headers=key)
    second = staff2.post("/applications", json=application("FY2025", ["CN"], "2025-07-01"), headers=key)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["number"] != second.get_json()["number"]


def test_an_application_registered_twice_with_one_key_is_one_case(app, api_as):
    staff = api_as("staff")
    key = {"Idempotency-Key": "application-2025-07-01-minato"}
    body = application("FY2025", ["CN"], "2025-07-01")
    first, retry = (staff.post("/applications", json=body, headers=key) for _ in range(2))
    assert first.status_code == retry.status_code == 201
    assert retry.get_json()["number"] == first.get_json()["number"]
    with app.app_context():
        assert db.session.query(Case).count() == 1


def test_a_completion_retried_with_its_key_answers_the_first_result_not_a_conflict(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["TH"], "2025-07-01")
    task = open_task(staff, case["id"], "receipt_confirmation")
    key = {"Idempotency-Key": f"complete-{task['id']}"}
    path = f"/tasks/{task['id']}/complete"
    first = staff.post(path, json={"sealed_pdf_confirmed": True}, headers=key)
    retry = staff.post(path, json={"sealed_pdf_confirmed": True}, headers=key)
    assert first.status_code == retry.status_code == 200 and retry.get_json() == first.get_json()
    without_key = staff.post(path, json={"sealed_pdf_confirmed": True})
    assert without_key.status_code == 409  # no key: a repeat is a conflict, as before
    with app.app_context():
        assert db.session.query(ProcessInstance).one().lock_version == 2  # started, receipt confirmed: once


def test_two_concurrent_requests_with_one_key_book_once(app, api_as):
    staff, expert = api_as("staff"), api_as("expert_cn")
    case = register(staff, "FY2025", ["TH"], "2025-07-01")
    adopt(staff, case["id"])
    into_service(api_as, case["id"])
    key = {"Idempotency-Key": "race-1"}
    responses = _at_once(*(lambda: expert.post(f"/cases/{case['id']}/hours", json=HOURS, headers=key),) * 2)
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].get_json() == responses[1].get_json()
    assert entries(app) == 1


def test_concurrent_completions_with_one_key_both_get_the_first_answer(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["TH"], "2025-07-01")
    complete(staff, open_task(staff, case["id"], "receipt_confirmation")["id"], {"sealed_pdf_confirmed": True})
    hearing = open_task(staff, case["id"], "hearing")
    key = {"Idempotency-Key": "hearing-race"}
    path = f"/tasks/{hearing['id']}/complete"
    responses = _at_once(*(lambda: staff.post(path, json=HEARING_OK, headers=key),) * 2)
    assert [r.status_code for r in responses] == [200, 200], [r.get_json() for r in responses]
    with app.app_context():
        assert db.session.query(ProcessInstance).one().lock_version == 3


# ---------------------------------------------------------------- page forms


def hidden_key(page: str) -> str:
    match = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert match, "the form carries its idempotency key"
    return match.group(1)


def test_the_hours_form_sent_twice_or_from_two_tabs_records_one_entry(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["TH"], "2025-07-01")
    adopt(staff, case["id"])
    into_service(api_as, case["id"])
    browser = login(app.test_client(), "expert_cn")
    tab1 = browser.get(f"/cases/{case['id']}/hours").text
    tab2 = browser.get(f"/cases/{case['id']}/hours").text
    assert hidden_key(tab1) == hidden_key(tab2)  # both tabs show the same ledger

    form = {**HOURS, "idempotency_key": hidden_key(tab1)}
    first = browser.post(f"/cases/{case['id']}/hours", data=form)
    again = browser.post(f"/cases/{case['id']}/hours", data=form, follow_redirects=True)
    assert first.status_code == 302 and again.status_code == 200
    assert "この送信は既に受け付けています" in again.text
    assert entries(app) == 1

    other = browser.post(f"/cases/{case['id']}/hours", data={**form, "hours": "1"})
    assert other.status_code == 409 and "画面を再読み込み" in other.text  # the second tab's different entry
    assert entries(app) == 1
    reloaded = browser.get(f"/cases/{case['id']}/hours").text
    assert hidden_key(reloaded) != hidden_key(tab1)
    assert browser.post(f"/cases/{case['id']}/hours", data={**form, "hours": "1",
                        "idempotency_key": hidden_key(reloaded)}).status_code == 302  # fmt: skip
    assert entries(app) == 2


def test_a_task_form_submitted_from_two_tabs_completes_once_and_the_second_tab_is_told(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["TH"], "2025-07-01")
    task = open_task(staff, case["id"], "receipt_confirmation")
    browser = login(app.test_client(), "staff")
    page = browser.get(f"/tasks/{task['id']}").text
    form = {"sealed_pdf_confirmed": "y", "idempotency_key": hidden_key(page)}
    assert browser.post(f"/tasks/{task['id']}", data=form).status_code == 302
    again = browser.post(f"/tasks/{task['id']}", data=form, follow_redirects=True)
    assert again.status_code == 200 and "この送信は既に受け付けています" in again.text
    with app.app_context():
        assert db.session.query(ProcessInstance).one().lock_version == 2
        assert db.session.query(IdempotentRequest).count() == 1


def test_a_draft_saved_again_after_the_page_reloaded_is_saved_again(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["TH"], "2025-07-01")
    task = open_task(staff, case["id"], "receipt_confirmation")
    browser = login(app.test_client(), "staff")
    for note in ("一回目", "二回目"):
        key = hidden_key(browser.get(f"/tasks/{task['id']}").text)
        saved = browser.post(f"/tasks/{task['id']}", data={"action": "draft", "note": note, "idempotency_key": key})
        assert saved.status_code == 302, saved.text
    assert "二回目" in browser.get(f"/tasks/{task['id']}").text
