"""Sign-in (Flask-Login sessions for pages, bearer tokens for the API), with throttling of failed sign-ins."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from .boundary import keep_writes_on_refusal
from .extensions import db, login_manager
from .models import LoginFailure, User, utcnow

bp = Blueprint("auth", __name__)
# Configured from RATELIMIT_* settings; its default in-memory storage counts per process (the database
# counters below are what hold across processes).
limiter = Limiter(get_remote_address)


class LoginForm(FlaskForm):
    username = StringField(_l("ユーザー名"), validators=[DataRequired(_l("ユーザー名を入力してください。"))])
    password = PasswordField(_l("パスワード"), validators=[DataRequired(_l("パスワードを入力してください。"))])


def init_app(app: Flask) -> None:
    login_manager.login_message = _l("このページを見るにはサインインしてください。")
    login_manager.login_message_category = "info"
    limiter.init_app(app)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    if request.blueprint == "api":
        return None  # the API takes bearer tokens only: a browser's cookie must not let another site call it
    user_id, sep, _nonce = session_id.partition(":")
    if not sep or not user_id.isdigit():
        return None  # a cookie from before session nonces
    user = db.session.get(User, int(user_id))
    return user if user and user.active and user.has_session_id(session_id) else None


@login_manager.request_loader
def load_user_from_token(req) -> User | None:  # type: ignore[no-untyped-def]
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token_hash = User.hash_token(header.removeprefix("Bearer ").strip())
    user = db.session.scalar(select(User).where(User.api_token_hash == token_hash))
    return user if user and user.active else None


def issue_token(user: User) -> str:
    """Creates a new API token for the user (only its hash is stored) and returns it once."""
    token = secrets.token_urlsafe(32)
    user.api_token_hash = User.hash_token(token)
    return token


# ---------------------------------------------------------------- failed sign-ins


def _client() -> str:
    return (request.remote_addr or "")[:45]


def _locked_until(column: InstrumentedAttribute[str], value: str, limit: int) -> datetime | None:
    """`limit` failures within the window lock for LOCK minutes after the last of them. Attempts refused while
    locked are not recorded, so the lock ends on time instead of being extended by the guesser."""
    config = current_app.config
    window, lock = (timedelta(minutes=config[k]) for k in ("LOGIN_FAILURE_WINDOW_MINUTES", "LOGIN_LOCK_MINUTES"))
    times = db.session.scalars(
        select(LoginFailure.at).where(column == value).order_by(LoginFailure.at.desc()).limit(limit)
    ).all()
    if len(times) < limit or times[0] - times[-1] > window:
        return None
    until = times[0] + lock
    return until if until > utcnow() else None


def sign_in_locked_until(username: str) -> datetime | None:
    config = current_app.config
    locks = (
        _locked_until(LoginFailure.account_key, LoginFailure.key_for(username), config["LOGIN_ACCOUNT_FAILURE_LIMIT"]),
        _locked_until(LoginFailure.client, _client(), config["LOGIN_CLIENT_FAILURE_LIMIT"]),
    )
    return max((t for t in locks if t), default=None)


def _record_failure(username: str) -> None:
    config = current_app.config
    keep = timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"] + config["LOGIN_LOCK_MINUTES"])
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - keep))  # older ones never count
    db.session.add(LoginFailure(account_key=LoginFailure.key_for(username), client=_client()))
    db.session.flush()


def _clear_account_failures(username: str) -> None:
    # The client's failures stay: signing in to one's own account must not reset a guesser's count.
    db.session.execute(delete(LoginFailure).where(LoginFailure.account_key == LoginFailure.key_for(username)))


def authenticate(username: str, password: str) -> User | None:
    """The active user with that name and password. Always verifies one argon2 hash (a dummy one for unknown
    or inactive names), so the answer takes as long whether or not the name exists."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        User.check_no_password(password)
        return None
    return user if user.check_password(password) and user.active else None


def _time_to_retry(until: datetime) -> str:
    minute = until.replace(second=0, microsecond=0)
    return format_datetime(minute if minute == until else minute + timedelta(minutes=1), "short")  # never early


def _refused(message: str, form: LoginForm | None = None):  # type: ignore[no-untyped-def]
    flash(message, "error")
    return render_template("auth/login.html", form=form or LoginForm()), 429


def _locked(until: datetime, form: LoginForm):  # type: ignore[no-untyped-def]
    message = _(
        "サインインの失敗が続いたため、一時的にサインインできません。%(time)s 以降にもう一度お試しください。",
        time=_time_to_retry(until),
    )
    return _refused(message, form)


def _rate_limited(limit: RequestLimit):  # type: ignore[no-untyped-def]
    """Flask-Limiter's breach: the sign-in page with a Japanese message, instead of its English error page."""
    until = datetime.fromtimestamp(limit.reset_at, UTC)
    message = _("サインインの試行が多すぎます。%(time)s 以降にもう一度お試しください。", time=_time_to_retry(until))
    return current_app.make_response(_refused(message))


# ---------------------------------------------------------------- views


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], on_breach=_rate_limited)
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if form.validate_on_submit():
        username, password = form.username.data or "", form.password.data or ""
        until = sign_in_locked_until(username)
        if until:
            return _locked(until, form)  # even with the right password: no verification while locked
        user = authenticate(username, password)
        if user is None:
            _record_failure(username)
            keep_writes_on_refusal()  # the failure counts although the answer is a refusal
            until = sign_in_locked_until(username)
            if until:
                return _locked(until, form)
            flash(_("ユーザー名またはパスワードが違います。"), "error")
        else:
            _clear_account_failures(username)
            login_user(user)
            return redirect(_safe_next())
    return render_template("auth/login.html", form=form)


def _safe_next() -> str:
    target = request.args.get("next", "")
    # Only a path on this site; browsers read a backslash as "/", so "/\host" would mean another site.
    if not target.startswith("/") or urlparse(target).netloc or "\\" in target:
        return url_for("index")
    return target


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    current_user.end_sessions()  # every copy of this user's session cookie stops working, not just this one
    logout_user()
    flash(_("サインアウトしました。"), "info")
    return redirect(url_for("auth.login"))
