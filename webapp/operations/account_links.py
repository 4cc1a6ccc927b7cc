"""One-time links to set a password (invitations and resets).

The token in the link is a random nonce signed with the app's key and a timestamp (itsdangerous), so a forged,
altered or expired link is refused before the database is read; the database keeps only a sha256 of the nonce,
so its rows cannot be turned into working links. A link works once (a conditional UPDATE on used_at) and is
valid for ACCOUNT_LINK_HOURS; a newer link for the same user voids the older ones.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import cast

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import CursorResult, select, update

from ..extensions import db
from ..models import AccountLink, Case, LinkPurpose, User, utcnow
from .errors import Conflict, NotFound

_SALT = "account-link"


class _AppClockSigner(TimestampSigner):
    """Timestamps from the app's clock (workflows.clock), the one every other deadline uses."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT, signer=_AppClockSigner)


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _lifetime() -> timedelta:
    return timedelta(hours=int(current_app.config["ACCOUNT_LINK_HOURS"]))


def issue_link(user: User, purpose: LinkPurpose, actor: User | None, case: Case | None = None) -> str:
    """A new link token for the user (returned once, for the email); earlier unused links stop working."""
    void_links(user)
    nonce = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        AccountLink(
            user_id=user.id,
            purpose=purpose.value,
            token_hash=_hash(nonce),
            case_id=case.id if case else None,
            created_by_id=actor.id if actor else None,
            created_at=now,
            expires_at=now + _lifetime(),
        )
    )
    return str(_serializer().dumps(nonce))


def void_links(user: User) -> None:
    """Every unused link of the user stops working (a newer link, a deactivation)."""
    db.session.execute(
        update(AccountLink)
        .where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )


EXPIRED = "expired"
USED = "used"


def find_link(token: str) -> AccountLink:
    """The unused, unexpired link of a token, or NotFound/Conflict with a message for the person holding it."""
    try:
        nonce = _serializer().loads(token, max_age=int(_lifetime().total_seconds()))
    except SignatureExpired as exc:
        raise Conflict(_expired_message()) from exc
    except BadSignature as exc:
        raise NotFound(_("このリンクは無効です。メールに記載されたリンクをそのまま開いてください。")) from exc
    link = db.session.scalar(select(AccountLink).where(AccountLink.token_hash == _hash(str(nonce))))
    if link is None:
        raise NotFound(_("このリンクは無効です。メールに記載されたリンクをそのまま開いてください。"))
    if link.used_at is not None:
        raise Conflict(
            _(
                "このリンクは既に使われたか、新しいリンクの送付により無効になりました。"
                "パスワードを設定済みの方はサインインしてください。"
            )
        )
    if link.expires_at <= utcnow():
        raise Conflict(_expired_message())
    if not link.user.active:
        raise Conflict(_("このアカウントは利用停止中です。ジェトロ担当者にお問い合わせください。"))
    return link


def _expired_message() -> str:
    return _("このリンクは有効期限が切れています。ジェトロ担当者に新しいリンクの送付を依頼してください。")


def use_link(link: AccountLink) -> None:
    """Marks the link used; of two submissions of one link only the first gets here (conditional UPDATE)."""
    result = db.session.execute(
        update(AccountLink)
        .where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult, result).rowcount != 1:
        raise Conflict(_("このリンクは既に使われました。パスワードを設定済みの方はサインインしてください。"))
