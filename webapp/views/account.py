"""The person's own account: setting a password from an emailed link (an invitation or a reset), and the
settings page where task emails are turned on or off."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_login import current_user, login_required, login_user, logout_user

from ..auth import limiter
from ..operations import accounts as account_ops
from ..operations.account_links import find_link
from ..operations.errors import Invalid, OperationError
from . import form_render
from .account_forms import NoticeSettingsForm, SetPasswordForm

bp = Blueprint("account", __name__, url_prefix="/account")


def _too_many(limit: RequestLimit) -> Any:
    message = _("試行が多すぎます。しばらくしてからもう一度お試しください。")
    return current_app.make_response((render_template("error.html", status=429, message=message), 429))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], on_breach=_too_many)
def set_password(token: str):  # type: ignore[no-untyped-def]
    """Anyone holding the link may open it (it is the credential); a wrong or used link says why."""
    if len(token) > 300:
        return render_template("error.html", status=404, message=_("このリンクは無効です。")), 404
    try:
        link = find_link(token)
    except OperationError as exc:
        return render_template("error.html", status=exc.status, message=exc.message), exc.status
    form = SetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = account_ops.set_password_from_link(link, form.password.data or "", form.confirm.data or "")
        except Invalid as exc:
            form_render.add_errors(form, exc.errors)
            status = 422
        else:
            if current_user.is_authenticated:
                logout_user()  # someone else's session in this browser ends before the link's user signs in
            login_user(user)
            flash(_("パスワードを設定しました。"), "success")
            return redirect(url_for("index"))
    elif form.is_submitted():
        status = 422
    return render_template("account/set_password.html", form=form, user=link.user), status


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():  # type: ignore[no-untyped-def]
    # The posted form even when empty (both boxes unchecked and no CSRF field, as in tests): Flask-WTF would
    # otherwise fall back to the saved values.
    form = NoticeSettingsForm(formdata=request.form if request.method == "POST" else None, obj=current_user)
    if form.validate_on_submit():
        account_ops.update_notice_settings(
            current_user, tasks=bool(form.notify_tasks.data), digest=bool(form.notify_digest.data)
        )
        flash(_("通知の設定を保存しました。"), "success")
        return redirect(url_for(".settings"))
    if form.is_submitted():
        return render_template("account/settings.html", form=form), 422
    return render_template("account/settings.html", form=form)
