"""Scopes: a shared inbox filter is seen only by people who see the same tasks, and an expert reads only their
own countries' hours ledger, on the hours page, the case page and the API alike."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.fixtures import PASSWORD
from webapp.extensions import db
from webapp.models import Case, SavedFilter, User
from webapp.permissions import can_see_saved_filter, saved_filters_clause

from .lifecycle import adopt, register
from .service import into_service


def login(app, username):  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def _add_user(username: str, role: str, *, countries: str = "", like: str | None = None) -> None:
    """A further account; `like` copies another account's password hash and company."""
    model = db.session.scalar(select(User).where(User.username == (like or "staff")))
    user = User(username=username, role=role, display_name=username, countries_csv=countries)
    user.password_hash = model.password_hash
    user.company_id = model.company_id if like else None
    db.session.add(user)


# ---------------------------------------------------------------- saved filters

# owner -> whether the filter is shared
FILTERS = {
    "staff": True,
    "admin": True,
    "expert_cn": True,  # CN, TH
    "expert_vn": True,  # VN, ID, SG
    "expert_th": True,  # TH, MY: shares TH with expert_cn
    "applicant": True,  # 株式会社サンプル精機
    "applicant_same": True,  # the same company
    "applicant_other": True,  # 他社株式会社
    "staff2": False,  # not shared: its owner's only
}

# viewer -> the owners whose filters the viewer's inbox lists
VISIBLE = {
    "staff": {"staff", "admin"},
    "staff2": {"staff", "admin", "staff2"},
    "admin": {"staff", "admin"},
    "expert_cn": {"expert_cn", "expert_th"},
    "expert_vn": {"expert_vn"},
    "expert_th": {"expert_th", "expert_cn"},
    "applicant": {"applicant", "applicant_same"},
    "applicant_same": {"applicant", "applicant_same"},
    "applicant_other": {"applicant_other"},
}


@pytest.fixture
def shared_filters(app, users):  # type: ignore[no-untyped-def]
    with app.app_context():
        _add_user("expert_th", "expert", countries="TH,MY")
        _add_user("applicant_same", "applicant", like="applicant")
        db.session.flush()
        for owner, shared in FILTERS.items():
            owner_id = db.session.scalar(select(User.id).where(User.username == owner))
            db.session.add(SavedFilter(owner_id=owner_id, name=f"条件-{owner}", query_json="{}", shared=shared))
        db.session.commit()


def listed_filters(page: str) -> set[str]:
    section = page.split('id="saved-title"', 1)[1].split("</section>", 1)[0]
    return set(re.findall(r">条件-([a-z_0-9]+)<", section))


def test_the_inbox_lists_a_shared_filter_only_to_those_who_see_its_results(app, shared_filters):
    for viewer, owners in VISIBLE.items():
        page = login(app, viewer).get("/inbox/").text
        assert listed_filters(page) == owners, viewer


def test_the_python_rule_and_the_sql_clause_agree(app, shared_filters):
    with app.app_context():
        people = db.session.scalars(select(User).where(User.username.in_(VISIBLE))).all()
        filters = db.session.scalars(select(SavedFilter)).all()
        for viewer in people:
            listed = set(db.session.scalars(select(SavedFilter.id).where(saved_filters_clause(viewer))))
            allowed = {f.id for f in filters if can_see_saved_filter(viewer, f)}
            assert listed == allowed, viewer.username
            owners = {f.owner.username for f in filters if f.id in allowed}
            assert owners == VISIBLE[viewer.username], viewer.username


def test_a_country_code_inside_another_is_no_overlap(app, users):
    """countries_csv is matched as whole codes: an expert for "N" shares nothing with one for "CN"."""
    with app.app_context():
        _add_user("expert_n", "expert", countries="N")
        db.session.flush()
        owner = db.session.scalar(select(User).where(User.username == "expert_cn"))
        db.session.add(SavedFilter(owner_id=owner.id, name="cn", query_json="{}", shared=True))
        db.session.commit()
        viewer = db.session.scalar(select(User).where(User.username == "expert_n"))
        assert db.session.scalars(select(SavedFilter).where(saved_filters_clause(viewer))).all() == []


def test_a_filter_one_may_not_see_cannot_be_deleted_and_looks_absent(app, shared_filters):
    with app.app_context():
        ids = {f.owner.username: f.id for f in db.session.scalars(select(SavedFilter))}
    other_company = login(app, "applicant")
    assert other_company.post(f"/inbox/filters/{ids['applicant_other']}/delete").status_code == 404
    assert other_company.post(f"/inbox/filters/{ids['expert_cn']}/delete").status_code == 404
    assert other_company.post(f"/inbox/filters/{ids['applicant_same']}/delete").status_code == 403  # seen, not owned
    assert login(app, "expert_vn").post(f"/inbox/filters/{ids['expert_cn']}/delete").status_code == 404
    assert login(app, "expert_th").post(f"/inbox/filters/{ids['expert_cn']}/delete").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(SavedFilter).where(SavedFilter.id == ids["applicant_other"])) is not None


# ---------------------------------------------------------------- hours ledger


@pytest.fixture
def shared_case(app, api_as):  # type: ignore[no-untyped-def]
    """An adopted case for China and Viet Nam, each country's expert having logged hours with a note."""
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN", "VN"], "2025-07-01")
    adopt(staff, case["id"])
    into_service(api_as, case["id"])
    for expert, country, note in (
        ("expert_cn", "CN", "上海工場の規程レビュー"),
        ("expert_vn", "VN", "ハノイ拠点の面談記録"),
    ):
        entry = {"country": country, "work_date": "2025-07-10", "activity": "meeting", "hours": "2", "note": note}
        assert api_as(expert).post(f"/cases/{case['id']}/hours", json=entry).status_code == 201
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "applicant"))
        user.company_id = db.session.get(Case, case["id"]).company_id
        db.session.commit()
    return case


def test_an_expert_reads_only_their_countries_entries_on_the_hours_page(app, shared_case):
    page = login(app, "expert_cn").get(f"/cases/{shared_case['id']}/hours").text
    assert "上海工場の規程レビュー" in page
    assert "ハノイ拠点の面談記録" not in page and "Hanoi IP Law" not in page and "ベトナム" not in page
    page = login(app, "expert_vn").get(f"/cases/{shared_case['id']}/hours").text
    assert "ハノイ拠点の面談記録" in page and "上海工場の規程レビュー" not in page and "中国" not in page
    for username in ("staff", "admin", "applicant"):
        page = login(app, username).get(f"/cases/{shared_case['id']}/hours").text
        assert "上海工場の規程レビュー" in page and "ハノイ拠点の面談記録" in page, username


def test_an_expert_sees_only_their_countries_hours_on_the_case_page(app, shared_case):
    page = login(app, "expert_cn").get(f"/cases/{shared_case['id']}").text
    hours = page.split('id="hours-title"', 1)[1].split("</section>", 1)[0]
    assert "中国" in hours and "ベトナム" not in hours and "記録する" in hours
    history = page.split('id="history-title"', 1)[1].split("</section>", 1)[0]
    assert history.count("作業時間を記録") == 1
    assert not [row for row in history.split("<tr") if "作業時間を記録" in row and "Hanoi IP Law" in row]
    page = login(app, "staff").get(f"/cases/{shared_case['id']}").text
    history = page.split('id="history-title"', 1)[1].split("</section>", 1)[0]
    assert history.count("作業時間を記録") == 2 and "Hanoi IP Law" in history
    assert "記録する" not in page.split('id="hours-title"', 1)[1].split("</section>", 1)[0]


def test_an_expert_sees_only_their_countries_hours_in_the_api(app, shared_case, api_as):
    body = api_as("expert_cn").get(f"/cases/{shared_case['id']}").get_json()
    assert [h["country"] for h in body["hours"]] == ["CN"]
    assert [e["actor"] for e in body["history"] if e["action"] == "hours_logged"] == ["expert_cn"]
    assert body["countries"] == ["CN", "VN"]  # the case itself is still shared
    body = api_as("staff").get(f"/cases/{shared_case['id']}").get_json()
    assert [h["country"] for h in body["hours"]] == ["CN", "VN"]
    assert sorted(e["actor"] for e in body["history"] if e["action"] == "hours_logged") == ["expert_cn", "expert_vn"]
