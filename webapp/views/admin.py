"""The admins' account pages: list, create, edit, deactivate and reactivate accounts, send password links.
The rules and the audit live in operations.accounts; a refusal shows the form again with its message."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Role, User
from ..operations import accounts as account_ops
from ..operations.errors import OperationError
from ..permissions import can_manage_accounts
from . import form_render
from .account_forms import AccountForm
from .cases import page_number

bp = Blueprint("admin", __name__, url_prefix="/admin/users")

PER_PAGE = 50


@bp.before_request
@login_required
def _admins_only():  # type: ignore[no-untyped-def]
    if not can_manage_accounts(current_user):
        abort(403)


@bp.get("", strict_slashes=False)
def index():  # type: ignore[no-untyped-def]
    clauses: list[Any] = []
    role = request.args.get("role", "")
    if role in {r.value for r in Role}:
        clauses.append(User.role == role)
    text = request.args.get("q", "").strip()[:100]
    if text:
        clauses.append(
            or_(User.username.contains(text, autoescape=True), User.display_name.contains(text, autoescape=True))
        )
    total = db.session.scalar(select(func.count(User.id)).where(*clauses)) or 0
    page = page_number()
    users = db.session.scalars(
        select(User)
        .options(selectinload(User.company))
        .where(*clauses)
        .order_by(User.role, User.username)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    return render_template(
        "admin/users.html",
        users=users,
        total=total,
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        roles=[r.value for r in Role],
        country_names=dict(account_ops.country_choices()),
    )


def _data(form: AccountForm) -> account_ops.AccountData:
    return account_ops.AccountData(
        username=(form.username.data or "").strip(),
        display_name=(form.display_name.data or "").strip(),
        email=form.email.data or "",
        role=form.role.data or "",
        is_lead=bool(form.is_lead.data),
        countries=tuple(form.countries.data or ()),
    )


def _refused(form: AccountForm, exc: OperationError, user: User | None) -> Any:
    db.session.rollback()
    form_render.add_errors(form, exc.errors)
    flash(exc.message, "error")
    return _form_page(form, user, exc.status)


@bp.route("/new", methods=["GET", "POST"])
def new():  # type: ignore[no-untyped-def]
    form = AccountForm()
    if form.validate_on_submit():
        try:
            user = account_ops.create_account(current_user, _data(form))
        except OperationError as exc:
            return _refused(form, exc, None)
        flash(_("アカウント「%(name)s」を作成し、パスワード設定のリンクを送りました。", name=user.username), "success")
        return redirect(url_for(".index"))
    return _form_page(form, None, 422 if form.is_submitted() else 200)


# What the account's history calls each change.
ACCOUNT_ACTIONS = {
    "user_created": _l("アカウントの作成"),
    "user_updated": _l("アカウントの変更"),
    "user_deactivated": _l("利用停止"),
    "user_reactivated": _l("利用を再開"),
    "password_reset_sent": _l("パスワード再設定のリンクを送付"),
    "password_set": _l("本人がパスワードを設定"),
    "applicant_invited": _l("企業の担当者として招待"),
    "notice_settings_changed": _l("本人が通知の設定を変更"),
}


def _form_page(form: AccountForm, user: User | None, status: int) -> Any:
    history = account_ops.account_history(user) if user else []
    page = render_template("admin/user_form.html", form=form, user=user, history=history, actions=ACCOUNT_ACTIONS)
    return page, status


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def edit(user_id: int):  # type: ignore[no-untyped-def]
    user = _user_or_404(user_id)
    form = AccountForm(obj=user, current_role=user.role)
    if request.method == "GET":
        form.countries.data = list(user.countries)
    if form.validate_on_submit():
        try:
            account_ops.update_account(current_user, user, _data(form))
        except OperationError as exc:
            return _refused(form, exc, user)
        flash(_("アカウント「%(name)s」を更新しました。", name=user.username), "success")
        return redirect(url_for(".edit", user_id=user.id))
    return _form_page(form, user, 422 if form.is_submitted() else 200)


DONE = {
    "deactivate": lambda u: _("「%(name)s」を利用停止にしました。サインイン中の画面も終了します。", name=u.username),
    "reactivate": lambda u: _("「%(name)s」の利用を再開しました。", name=u.username),
    "reset-password": lambda u: _("「%(name)s」にパスワード再設定のリンクを送りました。", name=u.username),
}


@bp.post("/<int:user_id>/<any(deactivate, reactivate, 'reset-password'):action>")
def change(user_id: int, action: str):  # type: ignore[no-untyped-def]
    user = _user_or_404(user_id)
    try:
        if action == "reset-password":
            account_ops.reset_password(current_user, user)
        else:
            account_ops.set_active(current_user, user, action == "reactivate")
    except OperationError as exc:
        db.session.rollback()
        return _refused(AccountForm(obj=user, current_role=user.role, formdata=None), exc, user)
    flash(DONE[action](user), "success")
    return redirect(url_for(".edit", user_id=user.id))
