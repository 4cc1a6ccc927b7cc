"""The cap belongs to a cap account — company x country x edition — and holds under concurrency: the check and
the insert of two entries for one account are serialised, even when they are logged on two different cases."""

from __future__ import annotations

import threading
from typing import Any

from tests.fixtures import DEMO_NOW, PASSWORD
from webapp.extensions import db
from webapp.models import HourAccount, HoursEntry

from .lifecycle import adopt, register
from .service import into_service
from .test_rules import FY2021_OPEN, hours_of, log_hours


def _at_once(*calls: Any) -> list[Any]:
    """Runs the calls in threads released together; returns their responses in call order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Any) -> None:
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_entries_on_two_cases_of_one_company_cannot_pass_the_cap_together(app, api_as):
    """「1社あたり…1カ国・地域につき23時間まで」: per company, so two cases of one company share the 23 hours."""
    staff, expert = api_as("staff"), api_as("expert_cn")
    first = register(staff, "FY2025", ["CN"], "2025-07-01")
    second = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, first["id"])
    adopt(staff, second["id"])
    into_service(api_as, first["id"])
    into_service(api_as, second["id"])
    for attempt in range(3):  # a race lost by luck once would not show the rule; three rounds of 12 + 12 > 23
        responses = _at_once(
            lambda: log_hours(expert, first["id"], "CN", "12"),
            lambda: log_hours(expert, second["id"], "CN", "12"),
        )
        codes = sorted(r.status_code for r in responses)
        assert codes == ([201, 422] if attempt == 0 else [422, 422]), [r.get_json() for r in responses]
    assert hours_of(staff, first["id"], "CN")["used"] == 12.0
    with app.app_context():
        assert db.session.query(HoursEntry).count() == 1
        assert db.session.query(HourAccount).count() == 1  # one account for the company in China, FY2025


def test_hours_of_an_earlier_edition_do_not_count_against_this_editions_cap(app, api_as, set_clock):
    """The cap is per edition's program: 17 h used in China in FY2021 leave the full 23 h in FY2025."""
    staff, expert = api_as("staff"), api_as("expert_cn")
    set_clock(FY2021_OPEN)
    earlier = register(staff, "FY2021", ["CN"], "2021-08-02")
    adopt(staff, earlier["id"])
    into_service(api_as, earlier["id"])
    assert log_hours(expert, earlier["id"], "CN", "17", work_date="2021-10-01").status_code == 201

    set_clock(DEMO_NOW)
    later = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, later["id"])
    into_service(api_as, later["id"])
    assert hours_of(staff, later["id"], "CN")["remaining"] == 23.0
    accepted = log_hours(expert, later["id"], "CN", "23")
    assert accepted.status_code == 201, accepted.get_json()
    assert accepted.get_json()["remaining"] == 0.0
    assert hours_of(staff, earlier["id"], "CN")["used"] == 17.0  # FY2021's account is untouched
    with app.app_context():
        editions = sorted(e for (e,) in db.session.query(HoursEntry.edition))
        assert editions == ["FY2021", "FY2025"]


def _login(app: Any, username: str) -> Any:
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def test_the_ledger_page_groups_by_edition_and_an_expert_reverses_an_entry_once(app, api_as, set_clock):
    """Earlier editions are history under their own heading; a reversal keeps the original, the net counts, and the
    same reversal form sent twice records once."""
    staff, expert = api_as("staff"), api_as("expert_cn")
    set_clock(FY2021_OPEN)
    earlier = register(staff, "FY2021", ["CN"], "2021-08-02")
    adopt(staff, earlier["id"])
    into_service(api_as, earlier["id"])
    assert log_hours(expert, earlier["id"], "CN", "5", work_date="2021-10-01").status_code == 201
    set_clock(DEMO_NOW)
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, case["id"])
    into_service(api_as, case["id"])
    entry = log_hours(expert, case["id"], "CN", "4").get_json()

    browser = _login(app, "expert_cn")
    page = browser.get(f"/cases/{case['id']}/hours").text
    assert (
        "記録済みの作業：2025年度" in page
        and "記録済みの作業：2021年度" in page
        and "ほかの年度（この案件の上限には数えません）" in page
    )
    form = {"reason": "二重に記録したため", "idempotency_key": f"reverse:{entry['id']}"}
    first = browser.post(f"/cases/{case['id']}/hours/{entry['id']}/reverse", data=form)
    again = browser.post(f"/cases/{case['id']}/hours/{entry['id']}/reverse", data=form)
    assert (first.status_code, again.status_code) == (302, 302)  # the repeat gets the first answer
    assert hours_of(staff, case["id"], "CN")["remaining"] == 23.0
    with app.app_context():
        rows = db.session.query(HoursEntry).filter_by(case_id=case["id"]).order_by(HoursEntry.id).all()
        assert [(float(r.hours), r.reverses_id, r.reason) for r in rows] == [
            (4.0, None, None),
            (-4.0, entry["id"], "二重に記録したため"),
        ]
    page = _login(app, "staff").get(f"/cases/{case['id']}/hours").text
    assert "取消済み" in page and "二重に記録したため" in page and "取り消す" not in page  # staff see, only experts act
    other = api_as("expert_vn").post(f"/cases/{case['id']}/hours/{entry['id']}/reverse", json={"reason": "x"})
    assert other.status_code == 404  # an expert of another country does not see the case


def test_the_sessions_page_records_a_training_and_its_lecture_hours(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, case["id"])
    into_service(api_as, case["id"])
    browser = _login(app, "expert_cn")
    page = browser.get(f"/cases/{case['id']}/sessions").text
    assert "その他（専門家と協議）" in page and "日本企業の社員" in page
    form = {"country": "CN", "kind": "training", "held_on": "2025-07-01", "mode": "web", "topics": ["B6"],
            "audiences": ["local_employees"], "language": "zh", "attendees": "12", "hours": "1.5",
            "idempotency_key": "s-1"}  # fmt: skip
    refused = browser.post(f"/cases/{case['id']}/sessions", data=form)
    assert refused.status_code == 422 and "B6は対象者（従業員）向けのテーマではありません" in refused.text
    accepted = browser.post(f"/cases/{case['id']}/sessions", data={**form, "topics": ["B4"], "idempotency_key": "s-2"})
    assert accepted.status_code == 302
    assert hours_of(staff, case["id"], "CN")["used"] == 1.5
    listed = staff.get(f"/cases/{case['id']}/sessions").get_json()["sessions"]
    assert [(s["items"], s["language"], s["attendees"]) for s in listed] == [(["B4"], "zh", 12)]


def test_bad_input_to_reversals_and_sessions_is_refused_with_a_message_never_a_500(app, api_as):
    staff, expert = api_as("staff"), api_as("expert_cn")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, case["id"])
    into_service(api_as, case["id"])
    entry = log_hours(expert, case["id"], "CN", "1").get_json()
    base = f"/cases/{case['id']}"
    for body in ({"reason": ["a"]}, {"reason": {"x": 1}}, {"reason": "x" * 501}, {"reason": "\u0000"}, {}):
        answer = expert.post(f"{base}/hours/{entry['id']}/reverse", json=body)
        assert answer.status_code == 422 and answer.get_json()["error"], (body, answer.get_json())
    assert expert.post(f"{base}/hours/999999/reverse", json={"reason": "x"}).status_code == 404
    for body in (
        {},
        {"kind": "training", "country": "CN", "held_on": "2025-07-01", "mode": "phone", "topics": ["B1"],
         "audiences": ["local_managers"], "language": "ja", "attendees": 3, "hours": "1"},  # a training is not by phone
        {"kind": "training", "country": "CN", "held_on": "2024-01-01", "mode": "web", "topics": ["B1"],
         "audiences": ["local_managers"], "language": "ja", "attendees": 3, "hours": "1"},  # before the adoption
        {"kind": "consultation", "country": "CN", "held_on": "2025-07-01", "mode": "web", "items": ["A9"],
         "audiences": ["local_managers"], "hours": "1"},
        {"kind": "training", "country": "CN", "held_on": "2025-07-01", "mode": "web", "topics": "B1",
         "audiences": ["nobody"], "attendees": -1, "hours": "NaN"},
    ):  # fmt: skip
        answer = expert.post(f"{base}/sessions", json=body)
        assert answer.status_code == 422 and answer.get_json()["errors"], (body, answer.get_json())
    assert staff.post(f"{base}/sessions", json={}).status_code == 403
    assert hours_of(staff, case["id"], "CN")["used"] == 1.0


def test_the_reservation_shows_on_the_case_page_and_the_confirmation_is_a_ledger_field(app, api_as):
    staff, expert = api_as("staff"), api_as("expert_cn")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, case["id"])
    into_service(api_as, case["id"], estimated="23", reserve="2")
    assert hours_of(staff, case["id"], "CN")["follow_up_reserved"] == 2.0
    page = _login(app, "staff").get(f"/cases/{case['id']}").text
    assert "うちフォローアップ面談のために確保：2時間" in page
    refused = log_hours(expert, case["id"], "CN", "21.25")
    assert refused.status_code == 409 and "confirm_reserved" in refused.get_json()["errors"]
    ledger_page = _login(app, "expert_cn").get(f"/cases/{case['id']}/hours").text
    assert 'name="confirm_reserved"' in ledger_page
    confirmed = expert.post(
        f"/cases/{case['id']}/hours",
        json={
            "country": "CN",
            "work_date": "2025-09-01",
            "activity": "meeting",
            "hours": "21.25",
            "confirm_reserved": True,
        },
    )
    assert confirmed.status_code == 201 and confirmed.get_json()["follow_up_reserved"] == 2.0


def test_a_correction_is_the_reversal_and_the_corrected_entry_together_or_not_at_all(app, api_as):
    staff, expert = api_as("staff"), api_as("expert_cn")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, case["id"])
    into_service(api_as, case["id"])
    wrong = log_hours(expert, case["id"], "CN", "20").get_json()
    url = f"/cases/{case['id']}/hours/{wrong['id']}/correct"
    fields = {"country": "CN", "work_date": "2025-09-01", "activity": "meeting", "reason": "時間数の誤り"}
    too_much = expert.post(url, json={**fields, "hours": "23.25"})
    assert too_much.status_code == 422 and "上限（23時間）を超える" in too_much.get_json()["error"]
    assert hours_of(staff, case["id"], "CN")["used"] == 20.0  # the reversal was not kept either
    corrected = expert.post(url, json={**fields, "hours": "2"})
    assert corrected.status_code == 201 and corrected.get_json()["corrects"] == wrong["id"]
    assert hours_of(staff, case["id"], "CN")["used"] == 2.0
    entries = staff.get(f"/cases/{case['id']}/hours").get_json()["editions"][0]["entries"]
    assert sorted(e["hours"] for e in entries) == [-20.0, 2.0, 20.0]
    assert expert.post(url, json={**fields, "hours": "1"}).status_code == 409  # already reversed
