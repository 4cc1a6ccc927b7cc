"""The prior-use rule per region, at registration. FY2021: 「※2019年度以降、本事業における同地域の20時間以上の利用が
ないこと。なお、20時間以上の利用がある場合は、2021年7月15日（木）より受け付けを開始いたします。」

A region whose prior use (earlier editions' counted hours in the ledger plus declared use) reaches the edition's
threshold, in an application received before its accept_from, is left out of the case; the other regions are
registered; with no region left the application is refused."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.fixtures import PASSWORD
from webapp.extensions import db
from webapp.models import Case, HoursEntry, PriorUseDeclaration, User
from webapp.operations.prior_use import prior_use
from workflows.editions import get_edition

from .lifecycle import PDF, adopt, application, complete, open_task
from .lifecycle import register as register_with_pdf
from .test_api_lifecycle import PLAN, briefing
from .test_rules import log_hours
from .third_edition import third_edition  # noqa: F401  (fixture)

FY2021_DAY = datetime.fromisoformat("2021-07-15T10:00:00+09:00")
FY2026_DAY = datetime.fromisoformat("2026-07-01T10:00:00+09:00")
CN_2021 = (
    "中国大陸は、2019年度以降に本事業で同地域の利用が%s時間（20時間以上）あるため、2021年7月15日から受け付けます。"
)
CN_2026 = "中国は、2023年度以降に本事業で同地域の利用が%s時間（15時間以上）あるため、2026年7月1日から受け付けます。"
LEFT_OUT = " 中国大陸を除いて申込書を登録しました。"
NONE_LEFT = " 対象国のすべてが受付開始日より前の申込となるため、申込書を登録できません。"


def register(staff, edition, countries, received_on, **extra):  # type: ignore[no-untyped-def]
    return staff.post("/applications", json=application(edition, countries, received_on, **extra))


def declarations(app) -> list[tuple[str, int, Decimal, str, str | None, str]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = db.session.scalars(select(PriorUseDeclaration).order_by(PriorUseDeclaration.id)).all()
        return [
            (r.country, r.fiscal_year, Decimal(r.hours), r.source, r.recorded_by.username if r.recorded_by else None,
             db.session.get_one(Case, r.case_id).number)
            for r in rows
        ]  # fmt: skip


def test_a_region_with_prior_use_is_left_out_and_the_others_are_registered(app, api_as, set_clock):
    set_clock(FY2021_DAY)
    staff = api_as("staff")
    response = register(staff, "FY2021", ["CN", "TH"], "2021-07-14", prior_use={"CN": "20", "TH": "5"})
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["countries"] == ["TH"] and [h["country"] for h in case["hours"]] == ["TH"]
    assert case["notice"] == CN_2021 % "20" + LEFT_OUT
    assert case["prior_use_refused"] == [
        {"country": "CN", "hours": 20.0, "accept_from": "2021-07-15", "message": CN_2021 % "20"}
    ]
    history = [(h["action"], h["detail"]) for h in case["history"]]
    assert ("prior_use_region_refused", CN_2021 % "20") in history
    assert ("prior_use_declared", "中国大陸：2019年度以降 20時間（申込書の記載）") in history
    # what the application declared is kept, with its source, for the company's later applications
    assert declarations(app) == [
        ("CN", 2019, Decimal(20), "申込書の記載", "staff", case["number"]),
        ("TH", 2019, Decimal(5), "申込書の記載", "staff", case["number"]),
    ]
    # the case runs for Thailand; no step asks about prior use again
    receipt = open_task(staff, case["id"], "receipt_confirmation")
    assert complete(staff, receipt["id"], {"sealed_pdf_confirmed": True, "sealed_pdf": PDF}).status_code == 200
    hearing = staff.get(f"/tasks/{open_task(staff, case['id'], 'hearing')['id']}").get_json()
    assert not any("prior_use" in f["name"] or "利用時間" in f["label"] for f in hearing["fields"])


def test_when_every_region_is_refused_nothing_is_registered(app, api_as, set_clock):
    set_clock(FY2021_DAY)
    staff = api_as("staff")
    response = register(staff, "FY2021", ["CN"], "2021-07-14", prior_use={"CN": "20.5"})
    assert response.status_code == 409
    assert response.get_json() == {"error": CN_2021 % "20.5" + NONE_LEFT, "errors": {"countries": [CN_2021 % "20.5"]}}
    assert staff.get("/tasks").get_json()["total"] == 0
    with app.app_context():
        assert db.session.scalars(select(Case)).all() == [] and declarations(app) == []


@pytest.mark.parametrize(
    ("received_on", "hours", "registered"),
    [
        ("2021-07-14", "20", ["TH"]),  # the day before the opening date, at the threshold: refused
        ("2021-07-15", "20", ["CN", "TH"]),  # from the opening date: accepted
        ("2021-07-14", "19.75", ["CN", "TH"]),  # below the threshold: accepted before it too
        ("2021-07-08", "35.5", ["TH"]),
    ],
)
def test_both_sides_of_the_date_and_of_the_threshold(app, api_as, set_clock, received_on, hours, registered):
    set_clock(FY2021_DAY)
    response = register(api_as("staff"), "FY2021", ["CN", "TH"], received_on, prior_use={"CN": hours})
    assert response.status_code == 201 and response.get_json()["countries"] == registered
    assert ("notice" in response.get_json()) is (registered == ["TH"])


def test_the_declaration_on_record_counts_for_the_companys_later_applications(app, api_as, set_clock):
    set_clock(FY2021_DAY)
    staff = api_as("staff")
    first = register(staff, "FY2021", ["CN", "TH"], "2021-07-14", prior_use={"CN": "20"})
    assert first.get_json()["countries"] == ["TH"]
    # the same company applies again for China (and Vietnam) without restating its use: the record stands
    again = register(staff, "FY2021", ["CN", "VN"], "2021-07-14")
    assert again.status_code == 201 and again.get_json()["countries"] == ["VN"]
    assert again.get_json()["notice"] == CN_2021 % "20" + LEFT_OUT
    # a later declaration for the same years replaces it (a correction: 15 hours, under the threshold)
    corrected = register(staff, "FY2021", ["CN"], "2021-07-14", prior_use={"CN": "15"})
    assert corrected.status_code == 201 and corrected.get_json()["countries"] == ["CN"]
    # another company is not concerned by this company's use
    other = register(staff, "FY2021", ["CN"], "2021-07-14", company_name="株式会社べつ")
    assert other.status_code == 201 and other.get_json()["countries"] == ["CN"]


def test_the_hours_of_earlier_editions_in_the_ledger_count(app, api_as, set_clock, third_edition):  # noqa: F811
    """FY2026's rule (since FY2023, 15 hours, from 2026-07-01): FY2025's counted hours count, travel does not."""
    staff, expert = api_as("staff"), api_as("expert_cn")
    earlier = register_with_pdf(staff, "FY2025", ["CN"], "2025-07-01")  # the clock is in FY2025's window
    adopt(staff, earlier["id"])
    forms = open_task(staff, earlier["id"], "forms_submission")
    assert complete(staff, forms["id"], {"form1_file": PDF, "form2_file": PDF}).status_code == 200
    task = open_task(expert, earlier["id"], "expert_briefing", "CN")
    assert complete(expert, task["id"], briefing("20", "zh")).status_code == 200
    plan = dict(PLAN, start_date="2025-08-01", end_date="2026-02-06")
    assert complete(staff, open_task(staff, earlier["id"], "plan_confirmation", "CN")["id"], plan).status_code == 200
    assert log_hours(expert, earlier["id"], "CN", "10").status_code == 201
    assert log_hours(expert, earlier["id"], "CN", "6", activity="travel").status_code == 201  # not counted

    set_clock(datetime.fromisoformat("2026-06-30T10:00:00+09:00"))  # FY2026 takes applications
    refused = register(staff, "FY2026", ["CN", "MY"], "2026-06-30", prior_use={"CN": "5"})
    assert refused.status_code == 201 and refused.get_json()["countries"] == ["MY"]
    assert refused.get_json()["notice"] == CN_2026 % "15" + " 中国を除いて申込書を登録しました。"
    # 10 hours in the ledger and 4.75 declared (the latest declaration for those years): under 15
    accepted = register(staff, "FY2026", ["CN", "MY"], "2026-06-30", prior_use={"CN": "4.75"})
    assert accepted.status_code == 201 and accepted.get_json()["countries"] == ["CN", "MY"]
    set_clock(FY2026_DAY)
    assert register(staff, "FY2026", ["CN"], "2026-07-01", prior_use={"CN": "30"}).get_json()["countries"] == ["CN"]


def test_only_the_editions_in_the_rules_years_count(app, api_as, set_clock, third_edition):  # noqa: F811
    """Ledger rows of other editions (FY2021 is before FY2023; FY2026 is the edition itself) do not count."""
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01").get_json()
    with app.app_context():
        row = db.session.get_one(Case, case["id"])
        expert = db.session.scalars(select(User).where(User.username == "expert_cn")).one()
        for edition, hours, counted in (("FY2021", 17, True), ("FY2025", 9, True), ("FY2025", 4, False),
                                        ("FY2024", 3, True), ("FY2026", 12, True), ("LEGACY", 50, True)):  # fmt: skip
            db.session.add(HoursEntry(case_id=row.id, company_id=row.company_id, country="CN", edition=edition,
                                      work_date=datetime(2025, 9, 1).date(), activity="meeting", hours=Decimal(hours),
                                      counted=counted, expert_id=expert.id))  # fmt: skip
        db.session.flush()
        use = prior_use(get_edition("FY2026"), row.company_id, "CN")
        assert use is not None and (use.ledger, use.declared, use.hours) == (Decimal(12), Decimal(0), Decimal(12))
        assert prior_use(get_edition("FY2025"), row.company_id, "CN") is None  # FY2025 has no such rule
        db.session.rollback()


def login(client, username):  # type: ignore[no-untyped-def]
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def page_form(**overrides):  # type: ignore[no-untyped-def]
    data = {
        "edition": "FY2021", "received_on": "2021-07-14", "received_time": "09:30", "company_name": "株式会社みなと食品",
        "contact_department": "総務部", "contact_name": "港 花子", "contact_email": "minato@example.jp",
        "countries": ["CN", "TH"], "sites-CN-site_type": "subsidiary", "publicity_consent": "y", "prior_use-CN": "20",
        "sealed_pdf": (io.BytesIO(PDF), "申込書.pdf"),
    }  # fmt: skip
    data.update(overrides)
    return data


def test_the_registration_page_asks_per_country_and_says_which_region_was_left_out(app, users, set_clock):
    set_clock(FY2021_DAY)
    client = login(app.test_client(), "staff")
    page = client.get("/applications/new").get_data(as_text=True)
    assert "2019年度以降の本事業の利用時間（このシステムに記録のない分）" in page
    assert 'name="prior_use-CN"' in page and 'name="prior_use-SG"' in page
    response = client.post("/applications/new", data=page_form(), content_type="multipart/form-data")
    assert response.status_code == 302
    case_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "申込書を登録しました" in case_page
    assert CN_2021 % "20" + LEFT_OUT in case_page  # the notice after registering
    assert "登録時に除いた対象国：" + CN_2021 % "20" in case_page  # and on the case page for good

    refused = client.post("/applications/new", data=page_form(countries=["CN"]), content_type="multipart/form-data")
    assert refused.status_code == 422
    assert CN_2021 % "20" + NONE_LEFT in refused.get_data(as_text=True)
