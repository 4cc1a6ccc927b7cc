"""Staff invite the applicant's contact from the case: an account of that case's company, with an emailed
one-time link to set its password (account_links)."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..mail import public_url, queue_email
from ..models import UNUSABLE_PASSWORD, Case, LinkPurpose, Role, User
from ..permissions import can_invite_applicant
from .account_links import issue_link
from .accounts import flush_unique
from .audit import record
from .errors import Conflict, Forbidden


def invite_contact(actor: User, case: Case, email: str, display_name: str) -> User:
    """The account (user name = email) belongs to the case's company, so it sees that company's cases and
    tasks only. Inviting again before the password is set sends a new link (the old one stops working)."""
    if not can_invite_applicant(actor):
        raise Forbidden(_("企業の担当者を招待できるのはジェトロ担当者のみです。"))
    email = email.strip()
    user = db.session.scalar(select(User).where(func.lower(User.username) == email.lower()))
    if user is None:
        user = User(username=email, role=Role.APPLICANT.value, password_hash=UNUSABLE_PASSWORD)
        user.company_id = case.company_id
        db.session.add(user)
    elif user.role != Role.APPLICANT or user.company_id != case.company_id:
        raise Conflict(_("このメールアドレスは別の会社または別の役割のアカウントで使われています。"))
    elif not user.active:
        raise Conflict(_("このメールアドレスのアカウントは利用停止中です。管理者に利用の再開を依頼してください。"))
    elif user.has_password:
        raise Conflict(
            _("このメールアドレスのアカウントは既にパスワードが設定されています。本人にサインインを案内してください。")
        )
    user.display_name, user.email = display_name.strip(), email
    flush_unique(email)
    token = issue_link(user, LinkPurpose.INVITATION, actor, case)
    queue_email(
        "applicant_invitation",
        email,
        case,
        user=user,
        link=public_url("account.set_password", token=token),
        hours=current_app.config["ACCOUNT_LINK_HOURS"],
    )
    after = {"username": user.username, "company": case.company.name}
    record(actor, case, "applicant_invited", detail=email, after=after, subject=user)
    return user
