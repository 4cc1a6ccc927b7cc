"""Capped inbox counts (exact up to the limit, then "N+"), the API's total_capped, and task rows kept in step with
the engine from the change in ready tasks (no reading back of the open rows)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from webapp import queries
from webapp.extensions import db
from webapp.models import HumanTask
from webapp.views import inbox as inbox_view

from .lifecycle import complete, open_task, register
from .test_inbox_pages import listed, login


@pytest.fixture
def four_receipts(api_as):
    staff = api_as("staff")
    cases = [register(staff, "FY2025", ["CN"], f"2025-06-2{day}") for day in range(1, 5)]
    return {"staff": staff, "receipts": [open_task(staff, c["id"], "receipt_confirmation")["id"] for c in cases]}


def _limit(monkeypatch, limit: int) -> None:
    monkeypatch.setattr(queries, "COUNT_LIMIT", limit)
    monkeypatch.setattr(inbox_view, "COUNT_LIMIT", limit)


def test_counts_stop_at_the_limit_and_show_a_plus(app, four_receipts, monkeypatch):
    _limit(monkeypatch, 2)
    monkeypatch.setattr(inbox_view, "PER_PAGE", 1)
    page = login(app, "staff").get("/inbox/").get_data(as_text=True)
    assert re.search(r"すべて <span class=\"count\">2\+</span>", page)
    assert re.search(r"自分の担当 <span class=\"count\">0</span>", page)  # below the limit: exact
    assert "受領確認（2+）" in page and "ヒアリング（0）" in page and "中国（0）" in page
    assert "2件以上のうち 1〜1件を表示" in page and len(listed(page)) == 1
    assert 'href="/inbox/?page=3"' in page  # known to exist: more than two tasks


def test_the_open_tab_counts_to_the_end_of_its_page(app, four_receipts, monkeypatch):
    _limit(monkeypatch, 2)
    page = login(app, "staff").get("/inbox/").get_data(as_text=True)  # 50 a page: the open tab counts to 50
    assert re.search(r"すべて <span class=\"count\">4</span>", page) and "4件中 1〜4件を表示" in page
    assert "受領確認（2+）" in page


def test_exact_counts_below_the_limit(app, four_receipts, monkeypatch):
    _limit(monkeypatch, 10)
    page = login(app, "staff").get("/inbox/").get_data(as_text=True)
    assert re.search(r"すべて <span class=\"count\">4</span>", page)
    assert "受領確認（4）" in page and "4件中 1〜4件を表示" in page


def test_paging_past_the_limit_finds_every_page(app, four_receipts, monkeypatch):
    _limit(monkeypatch, 1)
    monkeypatch.setattr(inbox_view, "PER_PAGE", 1)
    client = login(app, "staff")
    seen = []
    for number in range(1, 6):
        seen += listed(client.get("/inbox/", query_string={"page": number}).get_data(as_text=True))
    assert sorted(seen[:4]) == sorted(four_receipts["receipts"]) and seen[4] == seen[3]  # page 5 shows the last


def test_the_api_says_when_its_total_is_capped(app, four_receipts, monkeypatch):
    staff = four_receipts["staff"]
    body = staff.get("/tasks").get_json()
    assert (body["total"], body["total_capped"]) == (4, False)
    _limit(monkeypatch, 2)
    first = staff.get("/tasks", per_page=1).get_json()
    assert (first["total"], first["total_capped"], len(first["tasks"])) == (3, True, 1)  # more than 2
    last = staff.get("/tasks", per_page=1, page=4).get_json()
    assert (last["total"], last["total_capped"], len(last["tasks"])) == (4, False, 1)


def test_task_rows_follow_the_engine_without_rereading_them(app, four_receipts):
    staff = four_receipts["staff"]
    receipt = four_receipts["receipts"][0]
    assert complete(staff, receipt, {"sealed_pdf_confirmed": True}).status_code == 200
    with app.app_context():
        done = db.session.get(HumanTask, receipt)
        rows = db.session.scalars(select(HumanTask).where(HumanTask.case_id == done.case_id)).all()
        assert sorted((r.form_key, r.status) for r in rows) == [
            ("hearing", "open"),
            ("receipt_confirmation", "completed"),
        ]
        hearing = next(r for r in rows if r.form_key == "hearing")
        assert (hearing.company_name, hearing.edition, hearing.role) == (done.company_name, "FY2025", "staff")
        assert hearing.case.stage == "hearing"
