"""Accounts from the UI: staff invite the company's contact from the case (a one-time, expiring link to set a
password; the account belongs to that case's company); the admins' pages create, edit, deactivate accounts
and send password links, every change audited; non-admins are refused."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.fixtures import DEMO_NOW, PASSWORD
from webapp.extensions import db
from webapp.models import AccountLink, AuditEvent, HumanTask, OutboxEmail, User

from .lifecycle import PDF, adopt, register

COMPANY = "株式会社招待精工"
CONTACT = "suzuki@shotai-seiko.example.jp"
NEW_PASSWORD = "tsuyoi-pass-2025"


def login(app, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def last_link(app, to_addr: str) -> str:
    """The set-password link of the newest email to that address (as its reader would click it)."""
    with app.app_context():
        email = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.to_addr == to_addr).order_by(OutboxEmail.id.desc())
        ).first()
        assert email is not None
        found = re.search(r"http://localhost:5000(/account/set-password/\S+)", email.body)
        assert found, email.body
        return found.group(1)


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
        db.session.expunge_all()
        return rows


@pytest.fixture
def adopted(app, api_as, users):  # type: ignore[no-untyped-def]
    return make_adopted(api_as)


def make_adopted(api_as):  # type: ignore[no-untyped-def]
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01", company_name=COMPANY)
    adopt(staff, case["id"])
    return case


def invite(app, case_id: int, email: str = CONTACT, name: str = "鈴木 三郎"):  # type: ignore[no-untyped-def]
    return login(app, "staff").post(f"/cases/{case_id}/invite", data={"email": email, "display_name": name})


def test_an_invited_contact_sets_a_password_and_submits_forms_1_and_2_themselves(app, adopted):
    page = login(app, "staff").get(f"/cases/{adopted['id']}").get_data(as_text=True)
    assert "担当者を招待する" in page and 'value="yamada@sample-seiki.example.jp"' in page  # the contact prefilled

    response = invite(app, adopted["id"])
    assert response.status_code == 302
    with app.app_context():
        email = db.session.scalars(select(OutboxEmail).where(OutboxEmail.to_addr == CONTACT)).one()
        assert email.template == "applicant_invitation" and email.case_id == adopted["id"]
        assert email.subject == f"【ジェトロ】営業秘密漏えい対策支援のアカウントのご案内（{adopted['number']}）"
        assert "72時間有効" in email.body and f"ユーザー名：{CONTACT}" in email.body
        link = db.session.scalars(select(AccountLink)).one()
        path = last_link(app, CONTACT)
        assert link.token_hash not in email.body and path.rsplit("/", 1)[1] not in link.token_hash  # hash only
        account = db.session.get_one(User, link.user_id)
        assert (account.role, account.company.name) == ("applicant", COMPANY)
    assert events(app, "applicant_invited")[0].case_id == adopted["id"]
    staff_page = login(app, "staff").get(f"/cases/{adopted['id']}").get_data(as_text=True)
    assert f"鈴木 三郎（{CONTACT}）・招待中（パスワード未設定）" in staff_page

    client = app.test_client()
    form = client.get(path)
    assert form.status_code == 200 and "パスワードの設定" in form.get_data(as_text=True)
    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "パスワードは10文字以上にしてください。" in short.get_data(as_text=True)
    mismatch = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 422 and "同じパスワードをもう一度入力してください" in mismatch.get_data(as_text=True)
    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302  # signed in

    inbox = client.get("/inbox/").get_data(as_text=True)
    forms_task = open_task_id(app, adopted["id"], "forms_submission")
    assert f"/tasks/{forms_task}" in inbox
    submitted = client.post(
        f"/tasks/{forms_task}",
        data={
            "form1_file": (io.BytesIO(PDF), "list.pdf"),
            "form2_file": (io.BytesIO(PDF), "sheet.pdf"),
            "assets-0-name": "図面データ",
            "self_check-0-answer": "done",
        },  # fmt: skip
        content_type="multipart/form-data",
    )
    assert submitted.status_code == 302, submitted.get_data(as_text=True)
    with app.app_context():
        task = db.session.get_one(HumanTask, forms_task)
        assert task.status == "completed" and task.completed_by.username == CONTACT
        completed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "task_completed")).all()
        assert not completed[-1].on_behalf  # the company itself, not staff on its behalf

    staff_page = login(app, "staff").get(f"/cases/{adopted['id']}").get_data(as_text=True)
    assert f"鈴木 三郎（{CONTACT}）・利用中" in staff_page
    # a fresh sign-in works with the password set from the link
    assert login(app, CONTACT, NEW_PASSWORD).get("/inbox/").status_code == 200


def open_task_id(app, case_id: int, form_key: str) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(HumanTask.id).where(
                    HumanTask.case_id == case_id, HumanTask.form_key == form_key, HumanTask.status == "open"
                )
            )
        )


def test_the_link_works_once_and_expires(app, adopted, set_clock):
    invite(app, adopted["id"])
    path = last_link(app, CONTACT)
    client = app.test_client()
    assert client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    again = app.test_client().post(path, data={"password": "another-pass-9", "confirm": "another-pass-9"})
    assert again.status_code == 409 and "このリンクは既に使われた" in again.get_data(as_text=True)
    assert app.test_client().get(path).status_code == 409

    other = register_other(app)
    invite(app, other, email="tanaka@example.jp", name="田中 四郎")
    late = last_link(app, "tanaka@example.jp")
    set_clock(DEMO_NOW + timedelta(hours=72, minutes=1))
    expired = app.test_client().get(late)
    assert expired.status_code == 409 and "有効期限が切れています" in expired.get_data(as_text=True)

    forged = app.test_client().get(late[:-3] + ("abc" if not late.endswith("abc") else "xyz"))
    assert forged.status_code == 404 and "このリンクは無効です" in forged.get_data(as_text=True)
    assert app.test_client().get("/account/set-password/" + "x" * 400).status_code == 404


def register_other(app) -> int:  # type: ignore[no-untyped-def]
    from tests.fixtures import ApiClient
    from webapp.auth import issue_token

    with app.app_context():
        token = issue_token(db.session.scalars(select(User).where(User.username == "staff")).one())
        db.session.commit()
    staff = ApiClient(app.test_client(), token)
    return int(register(staff, "FY2025", ["TH"], "2025-07-01", company_name="田中工業株式会社")["id"])


def test_inviting_again_voids_the_first_link_and_another_companys_address_is_refused(app, adopted):
    invite(app, adopted["id"])
    first = last_link(app, CONTACT)
    invite(app, adopted["id"])
    second = last_link(app, CONTACT)
    assert app.test_client().get(first).status_code == 409
    assert app.test_client().get(second).status_code == 200

    taken = invite(app, adopted["id"], email="applicant_other")  # not an email
    assert taken.status_code == 422 and "メールアドレスの形式が正しくありません。" in taken.get_data(as_text=True)
    with app.app_context():
        other = db.session.scalars(select(User).where(User.username == "applicant_other")).one()
        other.username = "sato@other.example.jp"
        db.session.commit()
    refused = invite(app, adopted["id"], email="sato@other.example.jp")
    assert refused.status_code == 409
    assert "別の会社または別の役割のアカウントで使われています" in refused.get_data(as_text=True)
    blank = invite(app, adopted["id"], email="", name="")
    assert blank.status_code == 422 and "メールアドレスを入力してください。" in blank.get_data(as_text=True)


@pytest.mark.parametrize("username", ["expert_cn", "applicant"])
def test_only_staff_invite(app, adopted, username):
    response = login(app, username).post(f"/cases/{adopted['id']}/invite", data={"email": CONTACT, "display_name": "x"})
    assert response.status_code in (403, 404)
    with app.app_context():
        assert db.session.scalars(select(AccountLink)).all() == []


# ---------------------------------------------------------------- the admin pages


@pytest.mark.parametrize("username", ["staff", "expert_cn", "applicant", "designer"])
def test_non_admins_get_403_on_the_account_pages(app, users, username):
    client = login(app, username)
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users/new", data={"username": "x"}).status_code == 403
    assert client.post(f"/admin/users/{users['staff'].id}/deactivate").status_code == 403


def test_an_admin_creates_an_expert_who_sets_a_password_then_edits_resets_and_deactivates(app, users):
    admin = login(app, "admin")
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "上海 明律師事務所" in listing and "アカウントを作成" in listing
    data = {"username": "expert_id", "display_name": "Jakarta IP", "email": "jakarta@example.id",
            "role": "expert", "countries": ["ID"]}  # fmt: skip
    assert admin.post("/admin/users/new", data={**data, "countries": []}).status_code == 422  # an expert needs one
    created = admin.post("/admin/users/new", data=data)
    assert created.status_code == 302
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "expert_id")).one()
        assert (user.role, user.countries, user.active) == ("expert", ("ID",), True)
        user_id = user.id
    (event,) = events(app, "user_created")
    assert event.actor_id == users["admin"].id and json.loads(event.after_json)["countries"] == ["ID"]
    path = last_link(app, "jakarta@example.id")
    assert app.test_client().post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    expert = login(app, "expert_id", NEW_PASSWORD)

    duplicate = admin.post("/admin/users/new", data={**data, "username": "EXPERT_ID"})
    assert duplicate.status_code == 409 and "ユーザー名「EXPERT_ID」は既に使われています。" in duplicate.get_data(
        as_text=True
    )
    bad_country = admin.post("/admin/users/new", data={**data, "username": "x1", "countries": ["ZZ"]})
    assert bad_country.status_code == 422 and "担当国を選択し直してください。" in bad_country.get_data(as_text=True)
    bad_role = admin.post("/admin/users/new", data={**data, "username": "x2", "role": "applicant"})
    assert bad_role.status_code == 422

    edited = admin.post(f"/admin/users/{user_id}", data={**data, "countries": ["ID", "VN"]})
    assert edited.status_code == 302
    (update,) = events(app, "user_updated")
    assert json.loads(update.before_json)["countries"] == ["ID"] and json.loads(update.after_json)["countries"] == [
        "ID", "VN"
    ]  # fmt: skip
    assert expert.get("/inbox/").status_code == 302  # the countries changed: the old session ended

    assert admin.post(f"/admin/users/{user_id}/reset-password").status_code == 302
    assert events(app, "password_reset_sent")[0].detail == "expert_id"
    refused = app.test_client().post("/login", data={"username": "expert_id", "password": NEW_PASSWORD})
    assert refused.status_code == 200 and "ユーザー名またはパスワードが違います。" in refused.get_data(as_text=True)
    reset_path = last_link(app, "jakarta@example.id")
    assert reset_path != path
    assert app.test_client().post(reset_path, data={"password": "next-pass-2026", "confirm": "next-pass-2026"})
    signed_in = login(app, "expert_id", "next-pass-2026")

    assert admin.post(f"/admin/users/{user_id}/deactivate").status_code == 302
    assert [e.detail for e in events(app, "user_deactivated")] == ["expert_id"]
    assert signed_in.get("/inbox/").status_code == 302  # the session ended
    gone = app.test_client().post("/login", data={"username": "expert_id", "password": "next-pass-2026"})
    assert gone.status_code == 200
    assert "利用停止" in admin.get("/admin/users?role=expert").get_data(as_text=True)
    assert admin.post(f"/admin/users/{user_id}/reactivate").status_code == 302
    assert len(events(app, "user_reactivated")) == 1
    assert login(app, "expert_id", "next-pass-2026").get("/inbox/").status_code == 200
    history = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    history = history[history.index('id="account-history"') :]
    for said in ("アカウントの作成", "アカウントの変更", "パスワード再設定のリンクを送付", "本人がパスワードを設定",
                 "利用停止", "利用を再開"):  # fmt: skip
        assert said in history, said
    assert history.count("管理 花子") == 5 and history.count("Jakarta IP") == 2  # the admin, and the expert


def test_an_admin_cannot_lock_themselves_out(app, users):
    admin = login(app, "admin")
    response = admin.post(f"/admin/users/{users['admin'].id}/deactivate")
    assert response.status_code == 409 and "自分自身のアカウントは利用停止にできません。" in response.get_data(
        as_text=True
    )
    demoted = admin.post(
        f"/admin/users/{users['admin'].id}",
        data={"username": "admin", "display_name": "管理 花子", "email": "admin@example.jp", "role": "staff"},
    )
    assert demoted.status_code == 409
    assert admin.get("/admin/users/999999").status_code == 404


def test_the_settings_page_in_english_and_oversized_or_unstorable_input_refused_in_japanese(app, adopted):
    client = login(app, "expert_cn")
    english = client.get("/account/settings?lang=en").get_data(as_text=True)
    assert "Notification settings" in english and "Email me when a task enters my inbox" in english
    client.get("/account/settings?lang=ja")

    invite(app, adopted["id"])
    path = last_link(app, CONTACT)
    long = app.test_client().post(path, data={"password": "x" * 129, "confirm": "x" * 129})
    assert long.status_code == 422 and "パスワードは128文字以内にしてください。" in long.get_data(as_text=True)
    nul = app.test_client().post(path, data={"password": "abc\x00defghijk", "confirm": "abc\x00defghijk"})
    assert nul.status_code == 422

    admin = login(app, "admin")
    too_long = admin.post(
        "/admin/users/new",
        data={"username": "u" * 81, "display_name": "x", "email": "u@example.jp", "role": "staff"},
    )
    assert too_long.status_code == 422 and "ユーザー名は80文字以内で入力してください。" in too_long.get_data(
        as_text=True
    )
    kanji = admin.post(
        "/admin/users/new", data={"username": "山田", "display_name": "x", "email": "u@example.jp", "role": "staff"}
    )
    assert kanji.status_code == 422 and "半角英数字" in kanji.get_data(as_text=True)
    assert admin.get("/admin/users?q=" + "%25" * 200 + "&page=abc").status_code == 200


def test_a_double_submit_of_the_invitation_sends_one_email(app, adopted):
    client = login(app, "staff")
    page = client.get(f"/cases/{adopted['id']}").get_data(as_text=True)
    key = re.search(r'action="/cases/\d+/invite".*?name="idempotency_key" value="([^"]+)"', page, re.S).group(1)
    form = {"email": CONTACT, "display_name": "鈴木 三郎", "idempotency_key": key}
    first = client.post(f"/cases/{adopted['id']}/invite", data=form)
    again = client.post(f"/cases/{adopted['id']}/invite", data=form)
    assert (first.status_code, again.status_code) == (302, 302)
    with app.app_context():
        sent = db.session.scalars(select(OutboxEmail).where(OutboxEmail.to_addr == CONTACT)).all()
        assert len(sent) == 1
    reloaded = client.get(f"/cases/{adopted['id']}").get_data(as_text=True)
    assert f'value="{key}"' not in reloaded  # after the invitation the form is a new act (a deliberate resend)
