"""Sign-in (Flask-Login sessions for pages, bearer tokens for the API)."""

from __future__ import annotations

import secrets
from urllib.parse import urlparse

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from .extensions import db, login_manager
from .models import User

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("ユーザー名"), validators=[DataRequired(_l("ユーザー名を入力してください。"))])
    password = PasswordField(_l("パスワード"), validators=[DataRequired(_l("パスワードを入力してください。"))])


def init_app(app: Flask) -> None:
    login_manager.login_message = _l("このページを見るにはサインインしてください。")
    login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


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


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data))
        if user is None or not user.active or not user.check_password(form.password.data or ""):
            flash(_("ユーザー名またはパスワードが違います。"), "error")
        else:
            login_user(user)
            target = request.args.get("next", "")
            if not target or urlparse(target).netloc or not target.startswith("/"):
                target = url_for("index")
            return redirect(target)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    logout_user()
    flash(_("サインアウトしました。"), "info")
    return redirect(url_for("auth.login"))
