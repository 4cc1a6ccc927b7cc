"""Accounts managed from the admin pages: create, edit, deactivate and reactivate, password links; a password
set from a link; each user's notice settings. Every change is audited; the request boundary commits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from forms.choices import localized
from workflows.editions import load_editions

from ..extensions import db
from ..mail import public_url, queue_email
from ..models import UNUSABLE_PASSWORD, AccountLink, AuditEvent, LinkPurpose, Role, User
from ..permissions import can_manage_accounts
from .account_links import issue_link, use_link, void_links
from .audit import record
from .errors import Conflict, Forbidden, Invalid

# The roles an admin creates here; applicants' contacts are invited from their case (invitations.py).
MANAGED_ROLES = (Role.STAFF, Role.EXPERT, Role.DESIGNER, Role.ADMIN)


@dataclass
class AccountData:
    """What the admin's form submits (already bounded by the form: lengths, email syntax, known choices)."""

    username: str
    display_name: str
    email: str
    role: str
    is_lead: bool = False
    countries: tuple[str, ...] = ()


def country_choices() -> list[tuple[str, Any]]:
    """Every country of any edition (newest name first), for an expert's countries."""
    names: dict[str, Any] = {}
    for edition in sorted(load_editions().values(), key=lambda e: e.code, reverse=True):
        for country in edition.countries:
            names.setdefault(country.code, localized(country.name_ja, country.name_en))
    return sorted(names.items())


def _require_admin(actor: User) -> None:
    if not can_manage_accounts(actor):
        raise Forbidden(_("アカウントを管理できるのは管理者のみです。"))


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role,
        "is_lead": user.is_lead,
        "countries": list(user.countries),
        "active": user.active,
    }


def _check(data: AccountData, user: User | None) -> None:
    known = {code for code, _name in country_choices()}
    if data.role not in {r.value for r in MANAGED_ROLES} and not (user and user.role == data.role):
        raise Invalid(_("役割を選択してください。"), {"role": [_("役割を選択してください。")]})
    if data.role == Role.EXPERT and not data.countries:
        message = _("現地専門家には担当国を1つ以上選択してください。")
        raise Invalid(message, {"countries": [message]})
    if set(data.countries) - known:
        raise Invalid(_("担当国を選択し直してください。"), {"countries": [_("担当国を選択し直してください。")]})
    taken = select(User.id).where(func.lower(User.username) == data.username.lower())
    if user is not None:
        taken = taken.where(User.id != user.id)
    if db.session.scalar(taken.limit(1)):
        message = _("ユーザー名「%(name)s」は既に使われています。", name=data.username)
        raise Conflict(message, {"username": [message]})


def flush_unique(username: str) -> None:
    """Writes the account in a savepoint: a name taken by a concurrent request (PostgreSQL; SQLite's write lock
    serialises them) is a clear refusal, not an error at commit."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        message = _("ユーザー名「%(name)s」は既に使われています。", name=username)
        raise Conflict(message, {"username": [message]}) from exc


def _apply(user: User, data: AccountData) -> None:
    user.username, user.display_name, user.email, user.role = (
        data.username,
        data.display_name,
        data.email,
        data.role,
    )
    user.is_lead = data.is_lead and data.role == Role.STAFF
    user.countries_csv = ",".join(data.countries) if data.role == Role.EXPERT else ""


def create_account(actor: User, data: AccountData) -> User:
    """A new staff, expert, designer or admin account; the person sets their password from an emailed link."""
    _require_admin(actor)
    _check(data, None)
    user = User(password_hash=UNUSABLE_PASSWORD, active=True)
    _apply(user, data)
    db.session.add(user)
    flush_unique(data.username)
    record(actor, None, "user_created", detail=user.username, after=_snapshot(user), subject=user)
    _send_link(actor, user, LinkPurpose.PASSWORD_RESET, "account_welcome")
    return user


def update_account(actor: User, user: User, data: AccountData) -> User:
    _require_admin(actor)
    _check(data, user)
    if user.id == actor.id and data.role != Role.ADMIN:
        raise Conflict(_("自分自身の管理者の役割は外せません（ほかの管理者に依頼してください）。"))
    before = _snapshot(user)
    _apply(user, data)
    flush_unique(data.username)
    after = _snapshot(user)
    if after != before:
        if before["role"] != after["role"] or before["countries"] != after["countries"]:
            user.end_sessions()  # what the user may see changed: pages open in old sessions must not stay
        record(actor, None, "user_updated", detail=user.username, before=before, after=after, subject=user)
    return user


def set_active(actor: User, user: User, active: bool) -> User:
    """Deactivating ends the user's sessions and links (and the API token stops with `active`)."""
    _require_admin(actor)
    if user.id == actor.id and not active:
        raise Conflict(_("自分自身のアカウントは利用停止にできません。"))
    if user.active == active:
        return user
    user.active = active
    if not active:
        user.end_sessions()
        void_links(user)
    record(actor, None, "user_reactivated" if active else "user_deactivated", detail=user.username, subject=user)
    return user


def reset_password(actor: User, user: User) -> User:
    """The current password stops working and every session ends; a link to set a new one is emailed."""
    _require_admin(actor)
    if not user.active:
        raise Conflict(_("利用停止中のアカウントのパスワードは再設定できません。先に利用を再開してください。"))
    user.password_hash = UNUSABLE_PASSWORD
    user.end_sessions()
    _send_link(actor, user, LinkPurpose.PASSWORD_RESET, "password_reset")
    record(actor, None, "password_reset_sent", detail=user.username, subject=user)
    return user


def account_history(user: User, limit: int = 100) -> list[AuditEvent]:
    """The account's changes, newest first (for its admin page)."""
    query = select(AuditEvent).where(AuditEvent.subject_id == user.id).order_by(AuditEvent.id.desc()).limit(limit)
    return list(db.session.scalars(query.options(selectinload(AuditEvent.actor))))


def _send_link(actor: User, user: User, purpose: LinkPurpose, template: str) -> None:
    if not user.email:
        message = _("メールアドレスがないため、パスワード設定のリンクを送れません。")
        raise Invalid(message, {"email": [message]})
    token = issue_link(user, purpose, actor)
    queue_email(template, user.email, None, user=user, link=public_url("account.set_password", token=token),
                hours=current_app.config["ACCOUNT_LINK_HOURS"])  # fmt: skip


def check_password_rules(user: User, password: str, confirm: str) -> None:
    minimum = int(current_app.config["PASSWORD_MIN_LENGTH"])
    problems: dict[str, list[str]] = {}
    if len(password) < minimum:
        problems["password"] = [_("パスワードは%(n)d文字以上にしてください。", n=minimum)]
    elif password.strip().lower() in {user.username.lower(), (user.email or "").lower()}:
        problems["password"] = [_("ユーザー名やメールアドレスと同じパスワードは使えません。")]
    if password != confirm:
        problems["confirm"] = [_("確認のため、同じパスワードをもう一度入力してください。")]
    if problems:
        raise Invalid(_("入力内容を確認してください。"), problems)


def set_password_from_link(link: AccountLink, password: str, confirm: str) -> User:
    """The link's user sets a password (the link is then used up; earlier sessions end)."""
    user = link.user
    check_password_rules(user, password, confirm)
    use_link(link)
    user.set_password(password)
    record(user, None, "password_set", detail=f"{user.username} ({link.purpose})", subject=user)
    return user


def update_notice_settings(user: User, *, tasks: bool, digest: bool) -> User:
    before = {"notify_tasks": user.notify_tasks, "notify_digest": user.notify_digest}
    user.notify_tasks, user.notify_digest = tasks, digest
    after = {"notify_tasks": tasks, "notify_digest": digest}
    if after != before:
        record(user, None, "notice_settings_changed", detail=user.username, before=before, after=after, subject=user)
    return user
