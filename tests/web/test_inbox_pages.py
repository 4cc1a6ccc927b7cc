"""The task inbox as people use it in the browser: who sees what, tabs, filters with counts, paging,
claiming (alone and in bulk), reassigning, saved filters, due markers and CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.fixtures import DEMO_NOW, PASSWORD
from webapp.extensions import db
from webapp.models import Case, HumanTask, SavedFilter, User
from webapp.views import inbox as inbox_view

from .lifecycle import PDF, adopt, complete, open_task, register


def login(app, username):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def listed(html: str) -> list[int]:
    """Task ids in the inbox table, in order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [int(i) for i in re.findall(r'href="/tasks/(\d+)"', body)]


def row_of(html: str, task_id: int) -> str:
    body = html.split("<tbody>", 1)[1]
    return next(row for row in body.split("<tr")[1:] if f'href="/tasks/{task_id}"' in row)


def assignee_of(html: str, task_id: int) -> str:
    """The text of the row's 担当者 column (the eighth cell)."""
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row_of(html, task_id), re.S)
    return re.sub(r"<[^>]+>", "", cells[7]).strip()


def link_applicant(app, case_id: int, username: str = "applicant") -> None:
    with app.app_context():
        user = db.session.query(User).filter_by(username=username).one()
        user.company_id = db.session.get(Case, case_id).company_id
        db.session.commit()


@pytest.fixture
def world(app, api_as):
    """Three FY2025 cases: A (CN) at receipt, B (TH, VN) at the experts' briefings, C (VN) waiting for the
    applicant's forms (the `applicant` user works for C's company)."""
    staff = api_as("staff")
    # A was received last, so it does not hold up B and C (applications are screened in order of receipt)
    a = register(staff, "FY2025", ["CN"], "2025-06-24", company_name="株式会社アルファ")
    b = register(staff, "FY2025", ["TH", "VN"], "2025-06-21", company_name="株式会社ベータ")
    c = register(staff, "FY2025", ["VN"], "2025-06-22", company_name="株式会社サンプル精機")
    for case in (b, c):
        adopt(staff, case["id"])
    forms = open_task(staff, b["id"], "forms_submission")
    assert complete(staff, forms["id"], {"form1_file": PDF, "form2_file": PDF}).status_code == 200
    link_applicant(app, c["id"])
    return {
        "staff": staff,
        "cases": (a, b, c),
        "receipt": open_task(staff, a["id"], "receipt_confirmation")["id"],
        "brief_th": open_task(staff, b["id"], "expert_briefing", "TH")["id"],
        "brief_vn": open_task(staff, b["id"], "expert_briefing", "VN")["id"],
        "forms": open_task(staff, c["id"], "forms_submission")["id"],
    }


@pytest.mark.parametrize(
    ("username", "status"),
    [("staff", 200), ("expert_cn", 200), ("applicant", 200), ("admin", 200), ("designer", 403)],
)
def test_each_role_gets_its_inbox_or_a_refusal(app, users, username, status):
    response = login(app, username).get("/inbox/")
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert ("受付箱" in page) if status == 200 else ("権限がありません" in page)


def test_home_page_opens_the_inbox_and_the_menu_links_it(app, users):
    client = login(app, "expert_cn")
    assert client.get("/").headers["Location"].endswith("/inbox/")
    page = client.get("/inbox/").get_data(as_text=True)
    assert '<a href="/inbox/" aria-current="page">受付箱</a>' in page
    assert "/process/" not in page  # the designers' menu entry is not shown to experts


def test_each_role_sees_only_its_own_tasks(app, world):
    everything = {world[k] for k in ("receipt", "brief_th", "brief_vn", "forms")}
    assert set(listed(login(app, "staff").get("/inbox/").get_data(as_text=True))) == everything
    assert listed(login(app, "expert_cn").get("/inbox/").get_data(as_text=True)) == [world["brief_th"]]
    assert listed(login(app, "expert_vn").get("/inbox/").get_data(as_text=True)) == [world["brief_vn"]]
    assert listed(login(app, "applicant").get("/inbox/").get_data(as_text=True)) == [world["forms"]]
    other = login(app, "applicant_other").get("/inbox/").get_data(as_text=True)
    assert listed(other) == [] and "この条件に当てはまるタスクはありません" in other


def test_a_row_shows_case_company_edition_country_stage_assignee_and_due_date(app, world):
    page = login(app, "expert_cn").get("/inbox/").get_data(as_text=True)
    row = row_of(page, world["brief_th"])
    _a, b, _c = world["cases"]
    for text in (b["number"], "株式会社ベータ", "2025年度", "タイ", "サービス内容の説明・依頼内容の選定", "専門家説明",
                 "未割り当て", "2025-07-22"):  # fmt: skip
        assert text in row, text


def test_a_task_completed_by_someone_disappears_from_every_inbox_at_once(app, world):
    colleague = login(app, "staff2")
    assert world["receipt"] in listed(colleague.get("/inbox/").get_data(as_text=True))
    assert complete(world["staff"], world["receipt"], {"sealed_pdf_confirmed": True}).status_code == 200
    assert world["receipt"] not in listed(colleague.get("/inbox/").get_data(as_text=True))


def test_tabs_and_filter_options_show_counts_that_follow_the_filters(app, world):
    client = login(app, "staff")
    client.post("/inbox/claim", data={"task_id": world["receipt"]})
    page = client.get("/inbox/").get_data(as_text=True)
    assert re.search(r"自分の担当 <span class=\"count\">1</span>", page)
    # staff's unclaimed queue is their role's: the forms task (on the company's behalf), not the experts' briefings
    assert re.search(r"未割り当て <span class=\"count\">1</span>", page)
    assert re.search(r"すべて <span class=\"count\">4</span>", page)
    assert "専門家説明（2）" in page and "受領確認（1）" in page and "ベトナム（1）" in page

    filtered = client.get("/inbox/", query_string={"stage": "briefing"}).get_data(as_text=True)
    assert set(listed(filtered)) == {world["brief_th"], world["brief_vn"]}
    assert re.search(r"すべて <span class=\"count\">2</span>", filtered)
    assert "タイ（1）" in filtered and "ベトナム（1）" in filtered and "中国（0）" in filtered
    assert "様式提出（1）" in filtered  # a facet's own options still count across its other values
    by_country = client.get("/inbox/", query_string={"country": "VN"}).get_data(as_text=True)
    assert listed(by_country) == [world["brief_vn"]]

    mine = client.get("/inbox/", query_string={"tab": "mine"}).get_data(as_text=True)
    assert listed(mine) == [world["receipt"]]
    by_company = client.get("/inbox/", query_string={"q": "ベータ"}).get_data(as_text=True)
    assert set(listed(by_company)) == {world["brief_th"], world["brief_vn"]}
    by_stage = client.get("/inbox/", query_string={"stage": "forms", "edition": "FY2025"}).get_data(as_text=True)
    assert listed(by_stage) == [world["forms"]]


def test_sorting_by_company_orders_the_rows(app, world):
    page = login(app, "staff").get("/inbox/", query_string={"sort": "company"}).get_data(as_text=True)
    companies = re.findall(r"<td>(株式会社[^<]+)</td>", page.split("<tbody>", 1)[1])
    assert companies == sorted(companies) and len(companies) == 4


def test_sorting_by_stage_follows_the_process(app, world):
    page = login(app, "staff").get("/inbox/", query_string={"sort": "stage"}).get_data(as_text=True)
    assert listed(page) == [world["receipt"], world["forms"], world["brief_th"], world["brief_vn"]]


def test_pages_hold_a_fixed_number_of_rows_and_keep_the_filters(app, world, monkeypatch):
    monkeypatch.setattr(inbox_view, "PER_PAGE", 3)
    client = login(app, "staff")
    first = client.get("/inbox/", query_string={"edition": "FY2025", "sort": "created"}).get_data(as_text=True)
    assert len(listed(first)) == 3 and "4件中 1〜3件を表示" in first
    assert 'href="/inbox/?edition=FY2025&amp;sort=created&amp;page=2" rel="next"' in first
    second = client.get("/inbox/", query_string={"edition": "FY2025", "sort": "created", "page": 2})
    page = second.get_data(as_text=True)
    assert listed(page) == [world["brief_vn"]] and "4件中 4〜4件を表示" in page
    beyond = client.get("/inbox/", query_string={"sort": "created", "page": 99}).get_data(as_text=True)
    assert listed(beyond) == [world["brief_vn"]]  # past the end: the last page


def test_claim_and_unclaim_from_the_inbox_keep_the_filters(app, world):
    client = login(app, "staff")
    back = "/inbox/?stage=receipt&tab=all"
    response = client.post("/inbox/claim", data={"task_id": world["receipt"], "next": back})
    assert response.status_code == 302 and response.headers["Location"] == back
    page = client.get(back).get_data(as_text=True)
    assert "1件のタスクを担当にしました。" in page
    assert assignee_of(page, world["receipt"]) == "井上 花子"

    rival = login(app, "staff2")
    page = rival.post("/inbox/claim", data={"task_id": world["receipt"], "next": back}, follow_redirects=True)
    assert "このタスクは井上 花子さんが担当しています。" in page.get_data(as_text=True)

    page = client.post("/inbox/unclaim", data={"task_id": world["receipt"]}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "1件のタスクの担当を外しました。" in text and assignee_of(text, world["receipt"]) == "未割り当て"


def test_bulk_claim_takes_the_ticked_rows_and_explains_the_ones_it_could_not(app, world, api_as):
    staff = world["staff"]
    extra = register(staff, "FY2025", ["TH"], "2025-06-23", company_name="株式会社ガンマ")
    second_receipt = open_task(staff, extra["id"], "receipt_confirmation")["id"]
    login(app, "staff2").post("/inbox/claim", data={"task_id": world["forms"]})
    client = login(app, "staff")
    ticked = [world["receipt"], second_receipt, world["forms"]]
    page = client.post("/inbox/claim", data={"task_ids": ticked}, follow_redirects=True).get_data(as_text=True)
    assert "2件のタスクを担当にしました。" in page
    assert "このタスクは河野 太郎さんが担当しています。" in page
    mine = client.get("/inbox/?tab=mine").get_data(as_text=True)
    assert set(listed(mine)) == {world["receipt"], second_receipt}
    nothing = client.post("/inbox/claim", data={}, follow_redirects=True).get_data(as_text=True)
    assert "タスクを選択してください。" in nothing


def test_an_expert_cannot_claim_another_countrys_task(app, world):
    response = login(app, "expert_cn").post("/inbox/claim", data={"task_id": world["brief_vn"]})
    assert response.status_code == 404 and "タスクが見つかりません" in response.get_data(as_text=True)


def test_only_the_staff_lead_reassigns_and_only_to_someone_who_can_act(app, world, users):
    lead = login(app, "staff")
    page = lead.get("/inbox/").get_data(as_text=True)
    assert f'id="assignee-{world["receipt"]}"' in page
    options = row_of(page, world["brief_th"])
    assert "上海 明律師事務所" in options and "Hanoi IP Law" not in options  # only the TH expert can act

    response = lead.post(
        "/inbox/reassign",
        data={"task_id": world["receipt"], f"assignee-{world['receipt']}": users["staff2"].id},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "担当を河野 太郎さんに変更しました。" in page and assignee_of(page, world["receipt"]) == "河野 太郎"

    refused = lead.post(
        "/inbox/reassign",
        data={"task_id": world["brief_th"], f"assignee-{world['brief_th']}": users["expert_vn"].id},
        follow_redirects=True,
    )
    assert "Hanoi IP Lawさんはこのタスクを処理できません。" in refused.get_data(as_text=True)

    cleared = lead.post("/inbox/reassign", data={"task_id": world["receipt"], f"assignee-{world['receipt']}": ""},
                        follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "担当を外しました。" in cleared and assignee_of(cleared, world["receipt"]) == "未割り当て"

    colleague = login(app, "staff2")
    assert 'id="assignee-' not in colleague.get("/inbox/").get_data(as_text=True)
    forbidden = colleague.post(
        "/inbox/reassign", data={"task_id": world["receipt"], f"assignee-{world['receipt']}": users["staff2"].id}
    )
    assert forbidden.status_code == 403
    assert "担当の割り当てができるのはジェトロのリーダーのみです。" in forbidden.get_data(as_text=True)


def test_saved_filters_are_kept_on_the_server_shared_and_deleted_by_their_owner(app, world):
    owner = login(app, "staff")
    response = owner.post(
        "/inbox/filters", data={"name": "ベトナムの作業", "shared": "y", "country": "VN", "tab": "all"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/inbox/?tab=all&country=VN"
    owner.post("/inbox/filters", data={"name": "自分用", "stage": "receipt"})
    page = owner.get(response.headers["Location"]).get_data(as_text=True)
    assert "条件「ベトナムの作業」を保存しました。" in page
    assert re.search(r'<a href="/inbox/\?tab=all&amp;country=VN" aria-current="true">ベトナムの作業</a>', page)

    colleague = login(app, "staff2")
    page = colleague.get("/inbox/").get_data(as_text=True)
    assert "ベトナムの作業" in page and "（井上 花子）" in page and "自分用" not in page
    applied = colleague.get("/inbox/?tab=all&country=VN").get_data(as_text=True)
    assert listed(applied) == [world["brief_vn"]]
    assert "ベトナムの作業" not in login(app, "expert_vn").get("/inbox/").get_data(as_text=True)  # other role

    with app.app_context():
        shared_id = db.session.query(SavedFilter).filter_by(name="ベトナムの作業").one().id
    assert colleague.post(f"/inbox/filters/{shared_id}/delete").status_code == 403
    assert login(app, "expert_vn").post(f"/inbox/filters/{shared_id}/delete").status_code == 404
    page = owner.post(f"/inbox/filters/{shared_id}/delete", follow_redirects=True).get_data(as_text=True)
    assert "条件「ベトナムの作業」を削除しました。" in page
    assert "ベトナムの作業" not in colleague.get("/inbox/").get_data(as_text=True)

    unnamed = owner.post("/inbox/filters", data={"name": " ", "stage": "receipt"}, follow_redirects=True)
    assert "条件の名前を入力してください。" in unnamed.get_data(as_text=True)


def test_near_due_and_overdue_tasks_stand_out_in_words_not_only_colour(app, world, set_clock):
    client = login(app, "staff")
    set_clock(DEMO_NOW + timedelta(days=1))  # receipt is due three days after it opened
    row = row_of(client.get("/inbox/").get_data(as_text=True), world["receipt"])
    assert "row-soon" in row and "期限間近" in row and "期限超過" not in row
    set_clock(DEMO_NOW + timedelta(days=4))
    page = client.get("/inbox/").get_data(as_text=True)
    row = row_of(page, world["receipt"])
    assert "row-overdue" in row and "期限超過" in row
    assert "期限超過（1）" in page
    assert listed(client.get("/inbox/?due=overdue").get_data(as_text=True)) == [world["receipt"]]
    with app.app_context():
        due = db.session.get(HumanTask, world["receipt"]).due_at
    assert due.astimezone(DEMO_NOW.tzinfo).strftime("%Y-%m-%d") in row  # shown as a Japan date


def test_a_post_without_the_csrf_token_is_refused(app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    client = login_with_token(app, "staff")
    response = client.post("/inbox/claim", data={"task_id": world["receipt"]})
    assert response.status_code == 400
    assert "ページを再読み込みしてからやり直してください" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(HumanTask, world["receipt"]).assignee_id is None


def login_with_token(app, username):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def test_the_inbox_costs_the_same_number_of_queries_however_many_rows_it_shows(app, world):
    from sqlalchemy import event

    client = login(app, "staff")

    def statements() -> int:
        seen: list[str] = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/inbox/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = statements()
    for number in range(3):
        register(world["staff"], "FY2025", ["TH"], f"2025-06-2{number + 3}", company_name=f"株式会社追加{number}")
    assert statements() == few


def test_the_search_box_finds_tasks_by_case_number_or_company(app, api_as):
    staff = api_as("staff")
    first = register(staff, "FY2025", ["CN"], "2025-07-01", company_name="株式会社みなと食品")
    second = register(staff, "FY2025", ["TH"], "2025-07-01", company_name="東海化学工業株式会社")
    tasks = {case["number"]: open_task(staff, case["id"], "receipt_confirmation")["id"] for case in (first, second)}
    client = login(app, "staff")

    def found(text: str) -> list[int]:
        return listed(client.get("/inbox/", query_string={"q": text}).get_data(as_text=True))

    assert found(second["number"]) == [tasks[second["number"]]]
    assert found(second["number"].lower()) == [tasks[second["number"]]]  # fy2025-0002
    assert found("０００１") == [tasks[first["number"]]]  # full-width digits, a part of the number
    assert found("みなと") == [tasks[first["number"]]]
    assert found("%") == [] and found("FY2099") == []
    page = client.get("/inbox/").get_data(as_text=True)
    assert "受付番号・企業名" in page
