"""Security headers on every kind of response, and uploads judged by their content: a PDF must parse as one, an
.xlsx is bounded before openpyxl reads it, and a document is served back with the type the server decided."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask_babel import Babel
from pypdf import PdfWriter
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict

from forms import TaskContext, build_form
from forms.uploads import MAX_PDF_PAGES, XLSX_MAX_SHARED_STRINGS
from tests.fixtures import PASSWORD
from webapp import create_app
from webapp.extensions import db
from webapp.models import Attachment

from .lifecycle import PDF, adopt, application, form_fields, open_task, register

TEMPLATES = Path(__file__).resolve().parents[2] / "webapp" / "templates"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_A_PDF = "PDFファイルとして読み込めません。正しいPDFファイルを添付してください"
NOT_AN_XLSX = "Excelファイル（.xlsx）として読み込めません。ファイルが壊れていないか確認してください"
XLSX_TOO_BIG = "Excelファイル（.xlsx）の中身が大きすぎるため確認できません"


def login(app, username="staff"):  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


# ---------------------------------------------------------------- headers


def assert_security_headers(response) -> None:  # type: ignore[no-untyped-def]
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["frame-ancestors"] == "'none'", policy
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'", policy
    assert directives["object-src"] == "'none'" and directives["default-src"] == "'self'", policy
    assert "unsafe" not in policy, policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in tests


def test_pages_api_static_files_and_errors_all_carry_the_headers(app, users, api_as):
    client = login(app)
    responses = {
        "page": client.get("/inbox/"),
        "sign-in page": app.test_client().get("/login"),
        "api": api_as("staff").get("/editions"),
        "api without token": app.test_client().get("/api/v1/tasks"),
        "api 404": api_as("staff").get("/tasks/999999"),
        "static": client.get("/static/app.css"),
        "static js": client.get("/static/case-diagram.js"),
        "page 404": client.get("/no-such-page"),
        "case 404": client.get("/cases/999999"),
        "405": client.delete("/inbox/"),
    }
    expected = {"api without token": 401, "api 404": 404, "page 404": 404, "case 404": 404, "405": 405}
    for name, response in responses.items():
        assert response.status_code == expected.get(name, 200), name
        assert_security_headers(response)


def test_no_https_redirect_or_secure_cookie_unless_configured(app, users):
    response = app.test_client().post("/login", data={"username": "staff", "password": PASSWORD})
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"] and "SameSite=Lax" in response.headers["Set-Cookie"]


def test_behind_https_http_is_redirected_and_hsts_sent(tmp_path):
    secure = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "SESSION_COOKIE_SECURE": True,
         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'secure.sqlite3'}"}
    )  # fmt: skip
    with secure.app_context():
        db.create_all()
    client = secure.test_client()
    response = client.get("/login")
    assert response.status_code == 302 and response.headers["Location"].startswith("https://")
    response = client.get("/login", base_url="https://localhost")
    assert response.status_code == 200 and "max-age=" in response.headers["Strict-Transport-Security"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    with secure.app_context():
        db.engine.dispose()


INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "<style> element": re.compile(r"<style[\s>]", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_templates_hold_nothing_the_policy_would_block():
    found = [
        (str(path.relative_to(TEMPLATES)), what)
        for path in TEMPLATES.rglob("*.html")
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


# ---------------------------------------------------------------- files


def real_pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def workbook(rows: int = 3) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["部署", "情報の名称", "区分"])
    for i in range(rows):
        sheet.append(["開発部", f"設計図面{i}", "技術情報"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def with_part(base: bytes, name: str, content: bytes, *, replace: dict[str, bytes] | None = None) -> bytes:
    """`base` with one more part (registered in [Content_Types].xml when it is the shared strings)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = (replace or {}).get(info.filename, source.read(info.filename))
            if info.filename == "[Content_Types].xml" and name.endswith("sharedStrings.xml"):
                override = f'<Override PartName="/{name}" ContentType="{SHARED_STRINGS_TYPE}"/>'.encode()
                data = data.replace(b"</Types>", override + b"</Types>")
            target.writestr(info.filename, data)
        if content:
            target.writestr(name, content, compresslevel=9)
    return out.getvalue()


def shared_strings(count: int, text: bytes = b"a") -> bytes:
    head = b'<?xml version="1.0" encoding="UTF-8"?>'
    head += b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d">' % count
    return head + (b"<si><t>" + text + b"</t></si>") * count + b"</sst>"


def zip_bomb() -> bytes:
    """A ~45 KB .xlsx whose shared strings expand to ~17 MB: openpyxl alone spends ~15 s reading it."""
    return with_part(workbook(), "xl/sharedStrings.xml", shared_strings(1_000_000))


@pytest.fixture
def request_context():  # type: ignore[no-untyped-def]
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    Babel(app, default_locale="ja")
    with app.test_request_context():
        yield


def form_errors(form_key: str, files: dict[str, tuple[bytes, str]]) -> dict[str, list[str]]:
    data = MultiDict({name: FileStorage(io.BytesIO(content), filename) for name, (content, filename) in files.items()})
    form = build_form(form_key, context=TaskContext(), formdata=data, csrf=False)
    form.validate()
    return {name: [str(e) for e in errors] for name, errors in form.errors.items() if name in files}


def sealed(content: bytes) -> list[str]:
    return form_errors("receipt_confirmation", {"sealed_pdf": (content, "申込書.pdf")}).get("sealed_pdf", [])


def form1(content: bytes) -> list[str]:
    files = {"form1_file": (content, "様式1.xlsx"), "form2_file": (PDF, "様式2.pdf")}
    return form_errors("forms_submission", files).get("form1_file", [])


def test_pdf_content_is_parsed_not_sniffed(request_context):
    assert sealed(real_pdf()) == [] and sealed(PDF) == []
    assert sealed(b"%PDF-1.7\n<html><body><script>alert(document.cookie)</script></body></html>\n") == [NOT_A_PDF]
    assert sealed(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n") == [NOT_A_PDF]  # no catalog, no pages
    assert sealed(real_pdf()[:200]) == [NOT_A_PDF]  # truncated


def test_pdf_pages_are_bounded_without_trusting_count(request_context):
    assert sealed(real_pdf(MAX_PDF_PAGES)) == []
    refused = sealed(real_pdf(MAX_PDF_PAGES + 1))
    assert refused and refused[0].startswith(f"PDFのページ数が多すぎます（{MAX_PDF_PAGES}ページまで）")
    forged = real_pdf(MAX_PDF_PAGES + 1).replace(b"/Count %d" % (MAX_PDF_PAGES + 1), b"/Count 1")
    assert b"/Count 1" in forged and sealed(forged) == refused


def test_a_password_protected_pdf_is_refused_with_what_to_do(request_context):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert sealed(buffer.getvalue()) == [
        "パスワードで保護されたPDFは確認できません。保護を解除したPDFを添付してください"
    ]


def test_a_zip_bomb_xlsx_is_refused_quickly(request_context):
    bomb = zip_bomb()
    assert len(bomb) < 100_000
    started = time.perf_counter()
    refused = form1(bomb)
    assert time.perf_counter() - started < 1.0
    assert len(refused) == 1 and refused[0].startswith(XLSX_TOO_BIG) and "PDFにして添付してください" in refused[0]


def test_many_small_shared_strings_are_counted_while_streaming(request_context):
    """Under every size bound, but more strings than a form has: refused before openpyxl reads them."""
    xlsx = with_part(workbook(), "xl/sharedStrings.xml", shared_strings(XLSX_MAX_SHARED_STRINGS + 1))
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").file_size < 1024 * 1024
    started = time.perf_counter()
    refused = form1(xlsx)
    assert time.perf_counter() - started < 1.0
    assert len(refused) == 1 and refused[0].startswith(XLSX_TOO_BIG)
    renamed = with_part(workbook(), "xl/strings.xml", shared_strings(XLSX_MAX_SHARED_STRINGS + 1))
    assert form1(renamed) == refused  # counted in whichever part holds them


def test_xlsx_parts_and_entities_are_bounded(request_context):
    crowded = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook())) as source, zipfile.ZipFile(crowded, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        for i in range(200):
            target.writestr(f"customXml/item{i}.xml", b"<x/>")
    assert form1(crowded.getvalue())[0].startswith(XLSX_TOO_BIG)
    with zipfile.ZipFile(io.BytesIO(workbook())) as source:
        book = source.read("xl/workbook.xml")
    entity = b'<!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa">]>' + book
    assert form1(with_part(workbook(), "", b"", replace={"xl/workbook.xml": entity})) == [NOT_AN_XLSX]


def test_a_normal_workbook_is_still_accepted(request_context):
    assert form1(workbook()) == [] and form1(workbook(rows=500)) == []
    assert form1(b"PK\x03\x04broken") == [NOT_AN_XLSX]
    assert form1(real_pdf()) == [NOT_AN_XLSX]  # a PDF named .xlsx


# ---------------------------------------------------------------- through the app


def _attachments(app, case_id: int) -> dict[str, Attachment]:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = db.session.scalars(select(Attachment).where(Attachment.case_id == case_id)).all()
        return {row.kind: row for row in rows}


def test_an_html_pdf_is_refused_by_the_api_and_a_real_pdf_served_as_a_download(app, users, api_as):
    staff = api_as("staff")
    data = form_fields(application("FY2025", ["CN"], "2025-07-01"))
    html = b"%PDF-1.4\n<html><script>alert(1)</script></html>"
    refused = staff.post("/applications", data={**data, "sealed_pdf": (io.BytesIO(html), "a.pdf", "text/html")})
    assert refused.status_code == 422 and refused.get_json()["errors"]["sealed_pdf"] == [NOT_A_PDF]

    pdf = real_pdf()
    data = form_fields(application("FY2025", ["CN"], "2025-07-01"))
    created = staff.post("/applications", data={**data, "sealed_pdf": (io.BytesIO(pdf), "a.pdf", "text/html")})
    assert created.status_code == 201, created.get_json()
    case_id = created.get_json()["id"]
    stored = _attachments(app, case_id)["sealed_application"]
    assert stored.content_type == "application/pdf"  # the server's decision, not the browser's claim
    response = login(app).get(f"/cases/{case_id}/attachments/{stored.id}")
    assert response.status_code == 200 and response.data == pdf
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_stored_browser_type_is_never_served(app, users, api_as):
    """Rows written before types were decided by the server may say text/html: they go out as octet-stream."""
    case = register(api_as("staff"), "FY2025", ["CN"], "2025-07-01")
    with app.app_context():
        row = db.session.scalar(select(Attachment).where(Attachment.case_id == case["id"]))
        row.content_type = "text/html"
        db.session.commit()
        attachment_id = row.id
    response = login(app).get(f"/cases/{case['id']}/attachments/{attachment_id}")
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment")


@pytest.fixture
def forms_task(app, users, api_as):  # type: ignore[no-untyped-def]
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, case["id"])
    return case["id"], open_task(staff, case["id"], "forms_submission")["id"]


def test_a_zip_bomb_form1_is_refused_on_the_page_and_in_the_api_in_japanese(app, api_as, forms_task):
    case_id, task_id = forms_task
    files = {"form2_file": (io.BytesIO(PDF), "様式2.pdf")}
    started = time.perf_counter()
    response = api_as("staff").post(
        f"/tasks/{task_id}/complete", data={**files, "form1_file": (io.BytesIO(zip_bomb()), "様式1.xlsx")}
    )
    assert time.perf_counter() - started < 3.0
    assert response.status_code == 422
    assert response.get_json()["errors"]["form1_file"][0].startswith(XLSX_TOO_BIG)

    files = {"form2_file": (io.BytesIO(PDF), "様式2.pdf"), "form1_file": (io.BytesIO(zip_bomb()), "様式1.xlsx")}
    page = login(app).post(f"/tasks/{task_id}", data=files, content_type="multipart/form-data")
    assert page.status_code == 422 and XLSX_TOO_BIG in page.text
    assert _attachments(app, case_id).keys() == {"sealed_application"}


def test_a_normal_form1_workbook_is_accepted_and_served_as_a_download(app, api_as, forms_task):
    case_id, task_id = forms_task
    xlsx = workbook()
    files = {"form1_file": (io.BytesIO(xlsx), "様式1.xlsx", "text/html"), "form2_file": (io.BytesIO(PDF), "様式2.pdf")}
    response = api_as("staff").post(f"/tasks/{task_id}/complete", data=files)
    assert response.status_code == 200, response.get_json()
    stored = _attachments(app, case_id)
    assert stored["form1"].content_type == XLSX_TYPE and stored["form2"].content_type == "application/pdf"
    download = login(app).get(f"/cases/{case_id}/attachments/{stored['form1'].id}")
    assert download.data == xlsx and download.headers["Content-Type"] == XLSX_TYPE
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
