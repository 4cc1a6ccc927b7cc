"""The designers' process page: versions listed, sources downloadable, upload validated then deployed."""

from __future__ import annotations

import io

import pytest

from tests.fixtures import PASSWORD
from webapp.operations.process import repository_files


def login(client, username):
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.mark.parametrize("username", ["staff", "expert_cn", "applicant"])
def test_only_designers_and_admins_see_the_process_page(app, users, username):
    client = login(app.test_client(), username)
    response = client.get("/process/")
    assert response.status_code == 403
    assert "権限がありません" in response.get_data(as_text=True)


def test_designer_deploys_an_edited_diagram_and_sees_the_new_version(app, users):
    client = login(app.test_client(), "designer")
    assert client.get("/").headers["Location"].endswith("/process/")
    bpmn = repository_files()["support_program.bpmn"].replace('name="ヒアリング"', 'name="ヒアリング（電話）"')
    response = client.post(
        "/process/deploy",
        data={"files": (io.BytesIO(bpmn.encode()), "support_program.bpmn")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "バージョン 1 をデプロイしました" in page
    assert "support_program.bpmn" in page and "eligibility.dmn" in page
    download = client.get("/process/1/support_program.bpmn")
    assert "ヒアリング（電話）" in download.get_data(as_text=True)


def test_a_refused_diagram_is_explained_with_the_element_named(app, users):
    client = login(app.test_client(), "designer")
    bpmn = repository_files()["support_program.bpmn"].replace('value="publicity"', 'value="press_release"')
    response = client.post(
        "/process/deploy",
        data={"files": (io.BytesIO(bpmn.encode()), "support_program.bpmn")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "デプロイできません" in page and "Publicity" in page and "press_release" in page
    assert "まだデプロイされていません" in page


def test_only_bpmn_and_dmn_files_are_accepted(app, users):
    client = login(app.test_client(), "designer")
    response = client.post(
        "/process/deploy",
        data={"files": (io.BytesIO(b"x"), "notes.txt")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert ".bpmn または .dmn" in response.get_data(as_text=True)
