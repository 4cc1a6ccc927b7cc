"""Nobody gets in without their own credentials: no published session key, the API takes bearer tokens only,
sign-out and password changes end copied sessions, failed sign-ins are throttled across processes, and an
unknown name costs the same password work as a known one."""

from __future__ import annotations

import stat
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from tests.fixtures import PASSWORD, create_users
from webapp import create_app
from webapp.extensions import db
from webapp.models import Case, User
from workflows.clock import clock

LOCKED = "サインインの失敗が続いたため、一時的にサインインできません。"
TOO_MANY = "サインインの試行が多すぎます。"
TOKEN_NEEDED = "APIトークンが必要です（Authorization: Bearer <token>）。"


def sign_in(client, username="staff", password=PASSWORD, addr="127.0.0.1", **kwargs):  # type: ignore[no-untyped-def]
    return client.post(
        "/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": addr}, **kwargs
    )


def signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    response = client.get("/inbox/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def config_like(app: Flask, **overrides) -> dict:  # type: ignore[no-untyped-def]
    """The test app's configuration, for a second app on the same database (another worker process)."""
    keys = ("TESTING", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED", "MAIL_SERVER", "CLOCK_START", "SECRET_KEY")
    return {**{k: app.config[k] for k in keys}, "RATELIMIT_ENABLED": False, **overrides}


# ---------------------------------------------------------------- the session key


def test_outside_testing_and_debug_the_app_refuses_to_start_without_a_key(tmp_path):
    config = {"TESTING": False, "DEBUG": False, "SECRET_KEY": None, "SECRET_KEY_FILE": None}
    with pytest.raises(RuntimeError, match="TSS_SECRET_KEY is not set"):
        create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"})


def test_a_generated_key_file_is_private_and_reused(tmp_path):
    config = {"TESTING": False, "SECRET_KEY": None, "SECRET_KEY_FILE": str(tmp_path / "keys" / "secret_key")}
    config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    first = create_app(config).config["SECRET_KEY"]
    key_file = tmp_path / "keys" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 64 and first != "dev-only-change-me"
    assert create_app(config).config["SECRET_KEY"] == first  # the next start (or worker) signs with the same key
    assert key_file.read_text().strip() == first


def forged_session(secret: str, data: dict) -> str:  # type: ignore[type-arg]
    signer = Flask("forger")
    signer.secret_key = secret
    serializer = SecureCookieSessionInterface().get_signing_serializer(signer)
    assert serializer is not None
    return serializer.dumps(data)


@pytest.mark.parametrize("guessed_key", ["dev-only-change-me", "secret", "changeme"])
def test_a_session_cookie_signed_with_another_key_signs_nobody_in(app, users, guessed_key):
    with app.app_context():
        session_id = db.session.get(User, users["admin"].id).get_id()
    client = app.test_client()
    client.set_cookie("session", forged_session(app.config["SECRET_KEY"], {"_user_id": session_id}))
    assert signed_in(client)  # the forgery is well made: with the app's own key it would work
    client = app.test_client()
    client.set_cookie("session", forged_session(guessed_key, {"_user_id": session_id}))
    assert not signed_in(client)


# ---------------------------------------------------------------- the API: bearer tokens only


def test_the_api_does_not_accept_the_browsers_session_cookie(app, api_as):
    client = api_as("staff").client
    assert sign_in(client).status_code == 302 and signed_in(client)
    response = client.post("/api/v1/applications", data={"company_name": "株式会社偽装"})  # a cross-site form post
    assert response.status_code == 401
    assert response.get_json() == {"error": TOKEN_NEEDED}
    assert client.get("/api/v1/tasks").status_code == 401
    with app.app_context():
        assert db.session.query(Case).count() == 0
    assert api_as("staff").get("/tasks").status_code == 200  # the same client with its token


# ---------------------------------------------------------------- copied sessions end


def copy_of(client, app: Flask):  # type: ignore[no-untyped-def]
    """Another browser holding a copy of `client`'s session cookie."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def test_signing_out_ends_every_copy_of_the_session(app, users):
    browser = app.test_client()
    assert sign_in(browser).status_code == 302
    other_device = app.test_client()
    assert sign_in(other_device).status_code == 302
    stolen = copy_of(browser, app)
    assert signed_in(stolen)
    assert browser.post("/logout").status_code == 302
    assert not signed_in(stolen)
    assert not signed_in(other_device)
    assert sign_in(browser).status_code == 302 and signed_in(browser)  # signing in again works


def test_a_password_change_ends_every_session_of_that_user(app, users):
    browser = app.test_client()
    assert sign_in(browser).status_code == 302
    colleague = app.test_client()
    assert sign_in(colleague, "staff2").status_code == 302
    result = app.test_cli_runner().invoke(args=["set-password", "staff", "--password", "new-pass-456"])
    assert result.exit_code == 0, result.output
    assert not signed_in(browser)
    assert signed_in(colleague)
    assert sign_in(app.test_client(), password=PASSWORD).status_code == 200  # the old password is refused
    assert sign_in(app.test_client(), password="new-pass-456").status_code == 302


def test_set_password_on_the_model_ends_sessions(app, users):
    browser = app.test_client()
    assert sign_in(browser).status_code == 302
    with app.app_context():
        db.session.get(User, users["staff"].id).set_password("another-pass-789")
        db.session.commit()
    assert not signed_in(browser)


def test_a_deactivated_users_session_ends(app, users):
    browser = app.test_client()
    assert sign_in(browser, "staff2").status_code == 302
    with app.app_context():
        db.session.get(User, users["staff2"].id).active = False
        db.session.commit()
    assert not signed_in(browser)


def test_after_sign_in_only_a_path_on_this_site_is_followed(app, users):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        response = sign_in(app.test_client(), query_string={"next": target})
        assert response.headers["Location"] == "/", target
    assert sign_in(app.test_client(), query_string={"next": "/cases/"}).headers["Location"] == "/cases/"


# ---------------------------------------------------------------- throttling failed sign-ins


def test_five_failures_lock_the_account_for_fifteen_minutes_even_with_the_right_password(app, users):
    for attempt in range(4):
        response = sign_in(app.test_client(), password=f"wrong-{attempt}", addr=f"10.0.0.{attempt}")
        assert response.status_code == 200 and "ユーザー名またはパスワードが違います" in response.text
    response = sign_in(app.test_client(), password="wrong-5", addr="10.0.0.5")
    assert response.status_code == 429 and LOCKED in response.text
    browser = app.test_client()
    response = sign_in(browser, addr="10.0.1.1")  # the right password, from yet another address
    assert response.status_code == 429
    assert "2025/07/01 10:15 以降にもう一度お試しください" in response.text  # the clock stands at 10:00 JST
    assert not signed_in(browser)
    assert sign_in(app.test_client(), "staff2", addr="10.0.1.1").status_code == 302  # other accounts sign in
    clock.advance(timedelta(minutes=14, seconds=59))
    assert sign_in(app.test_client(), addr="10.0.1.1").status_code == 429
    clock.advance(timedelta(seconds=1))
    assert sign_in(browser, addr="10.0.1.1").status_code == 302 and signed_in(browser)


def test_the_lock_message_follows_the_language(app, users):
    client = app.test_client()
    client.get("/login?lang=en")
    for _attempt in range(5):
        response = sign_in(client, password="wrong")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text and "Try again after" in response.text


def test_an_unknown_name_is_locked_like_a_known_one(app, users):
    """Otherwise the lock itself would tell which names exist."""
    for _attempt in range(5):
        response = sign_in(app.test_client(), "nobody", password="wrong")
    assert response.status_code == 429 and LOCKED in response.text


def test_the_account_lock_holds_in_every_worker_process(app, users):
    for attempt in range(5):
        sign_in(app.test_client(), password=f"wrong-{attempt}")
    other_worker = create_app(config_like(app))  # another process's app, on the same database
    response = sign_in(other_worker.test_client())
    assert response.status_code == 429 and LOCKED in response.text


def test_twenty_failures_lock_the_client_address(app, users):
    guesser = "203.0.113.7"
    for attempt in range(20):
        sign_in(app.test_client(), f"name-{attempt % 5}", password="wrong", addr=guesser)  # 4 per name: no account lock
    response = sign_in(app.test_client(), "staff2", addr=guesser)  # even a right password
    assert response.status_code == 429 and LOCKED in response.text
    assert sign_in(app.test_client(), "staff2", addr="198.51.100.1").status_code == 302  # others are not locked


def test_a_successful_sign_in_clears_the_accounts_failures(app, users):
    for _attempt in range(4):
        sign_in(app.test_client(), password="wrong")
    assert sign_in(app.test_client()).status_code == 302
    for _attempt in range(4):
        assert sign_in(app.test_client(), password="wrong").status_code == 200
    assert sign_in(app.test_client()).status_code == 302


@pytest.fixture
def limited_app(app: Flask, password_hash: str) -> Flask:
    """An app with Flask-Limiter's coarse limit on POST /login switched on (the test app has it off)."""
    limited = create_app(config_like(app, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute"))
    create_users(limited, password_hash)
    return limited


def test_post_login_has_a_coarse_rate_limit_per_client(limited_app):
    for _attempt in range(3):
        assert sign_in(limited_app.test_client(), addr="192.0.2.1").status_code == 302
    response = sign_in(limited_app.test_client(), addr="192.0.2.1")
    assert response.status_code == 429 and TOO_MANY in response.text and "以降にもう一度お試しください" in response.text
    assert limited_app.test_client().get("/login", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200
    assert sign_in(limited_app.test_client(), addr="192.0.2.2").status_code == 302


# ---------------------------------------------------------------- the same work for every name


def test_every_sign_in_verifies_exactly_one_argon2_hash(app, users, monkeypatch):
    with app.app_context():
        db.session.get(User, users["staff2"].id).active = False
        db.session.commit()
    calls: list[str] = []
    verify = PasswordHasher.verify

    def counting(self, hash, password):  # type: ignore[no-untyped-def]
        calls.append(password)
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    cases = {
        "unknown name": ("nobody", PASSWORD),
        "inactive user": ("staff2", PASSWORD),
        "wrong password": ("staff", "wrong"),
        "right password": ("staff", PASSWORD),
    }
    for number, (label, (username, password)) in enumerate(cases.items()):
        calls.clear()
        sign_in(app.test_client(), username, password, addr=f"10.9.0.{number}")
        assert len(calls) == 1, label
