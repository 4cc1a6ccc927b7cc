"""Staff register a received application on the registration page."""

from __future__ import annotations

import io

import pytest

from tests.fixtures import PASSWORD

from .lifecycle import PDF


def login(client, username):
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def form_data(**overrides):
    data = {
        "edition": "FY2025",
        "received_on": "2025-07-01",
        "received_time": "09:30",
        "company_name": "株式会社みなと食品",
        "contact_department": "総務部",
        "contact_name": "港 花子",
        "contact_email": "minato@example.jp",
        "countries": ["TH", "VN"],
        "sites-TH-site_type": "subsidiary",
        "domestic_experience": "yes",
        "publicity_consent": "y",
        "sealed_pdf": (io.BytesIO(PDF), "申込書.pdf"),
    }
    data.update(overrides)
    return data


def test_staff_registers_an_application_and_lands_on_the_case_page(app, users):
    client = login(app.test_client(), "staff")
    page = client.get("/applications/new").get_data(as_text=True)
    assert "申込書の登録" in page and 'for="company_name"' in page
    response = client.post("/applications/new", data=form_data(), content_type="multipart/form-data")
    assert response.status_code == 302 and "/cases/" in response.headers["Location"]
    case_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "FY2025-0001" in case_page and "株式会社みなと食品" in case_page
    inbox = client.get("/inbox/?unclaimed=1").get_data(as_text=True)
    assert "受領確認" in inbox and "株式会社みなと食品" in inbox


def test_a_country_outside_the_edition_is_refused_beside_the_field(app, users):
    client = login(app.test_client(), "staff")
    response = client.post("/applications/new", data=form_data(countries=["SG"]), content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "シンガポール" in page and "対象国ではありません" in page


def test_missing_required_fields_are_named(app, users):
    client = login(app.test_client(), "staff")
    response = client.post("/applications/new", data={"edition": "FY2025"}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "入力内容を確認してください" in page and 'aria-invalid="true"' in page


@pytest.mark.parametrize("username", ["expert_cn", "applicant", "designer", "admin"])
def test_only_staff_register_applications(app, users, username):
    client = login(app.test_client(), username)
    assert client.get("/applications/new").status_code == 403
    assert client.post("/applications/new", data=form_data(), content_type="multipart/form-data").status_code == 403


def test_a_site_described_for_a_country_not_chosen_is_refused_beside_it(app, users):
    client = login(app.test_client(), "staff")
    response = client.post(
        "/applications/new", data=form_data(**{"sites-CN-site_type": "factory"}), content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "対象国に選ばれていません" in response.get_data(as_text=True)


def test_the_form_offers_only_the_editions_open_today_and_their_countries(app, users):
    client = login(app.test_client(), "staff")
    page = client.get("/applications/new").get_data(as_text=True)
    edition_select = page[page.index('name="edition"') : page.index("</select>", page.index('name="edition"'))]
    assert '<option selected value="FY2025">' in edition_select and "FY2021" not in edition_select  # FY2021 ended
    assert 'value="SG"' not in page and 'value="ID"' in page  # Singapore was FY2021's only
    assert "data-edition-countries=" in page and "application-form.js" in page
    assert "<script>" not in page  # the script is a static file (CSP: no inline scripts)
    assert client.get("/static/application-form.js").status_code == 200


def test_a_closed_edition_posted_anyway_is_still_refused_with_its_reason(app, users):
    client = login(app.test_client(), "staff")
    data = form_data(edition="FY2021", countries=["SG"], received_on="2025-07-01")
    data.pop("sites-TH-site_type")
    response = client.post("/applications/new", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "支援期間が終了しました" in page
    edition_select = page[page.index('name="edition"') : page.index("</select>", page.index('name="edition"'))]
    assert "FY2021" not in edition_select  # the page again offers only the open edition
