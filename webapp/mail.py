"""Email: written to the outbox table inside the business transaction; `delivery` sends it after commit.

With no SMTP server configured the messages stay in the outbox (status "kept"), visible to admins.
"""

from __future__ import annotations

from email.utils import make_msgid
from typing import Any, cast

from flask import current_app, g, has_request_context, render_template
from flask_babel import force_locale
from sqlalchemy import Table, insert

from .extensions import db
from .models import Case, EmailStatus, OutboxEmail, utcnow

_OUTBOX = cast(Table, OutboxEmail.__table__)


def render_email(template: str, case: Case | None, **context: object) -> tuple[str, str]:
    """Renders `email/<template>.txt` (first line: subject) in Japanese: (subject, body)."""
    with force_locale("ja"):  # the program writes in Japanese, whatever the sender's UI language
        text = render_template(f"email/{template}.txt", case=case, **context)
    subject, _sep, body = text.partition("\n")
    return subject.strip(), body.strip() + "\n"


def queue_email(template: str, to_addr: str, case: Case | None, **context: object) -> OutboxEmail:
    """Renders `email/<template>.txt` and adds it to the outbox, due now."""
    subject, body = render_email(template, case, **context)
    email = OutboxEmail(
        template=template,
        to_addr=to_addr,
        subject=subject,
        body=body,
        message_id=make_msgid("outbox", domain=_sender_domain()),
        next_attempt_at=utcnow(),
    )
    email.case_id = case.id if case else None
    db.session.add(email)
    _wake_after_commit()
    return email


def outbox_row(template: str, to_addr: str, case_id: int | None, **context: object) -> dict[str, Any]:
    """One outbox row as values for `queue_emails` (a Core insert: no unit-of-work cost on hot paths)."""
    subject, body = render_email(template, None, **context)
    now = utcnow()
    return {
        "template": template,
        "to_addr": to_addr,
        "case_id": case_id,
        "subject": subject,
        "body": body,
        "status": EmailStatus.PENDING.value,
        "message_id": make_msgid("outbox", domain=_sender_domain()),
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def queue_emails(rows: list[dict[str, Any]]) -> None:
    """Adds the rows (from `outbox_row`) to the outbox in one statement."""
    if rows:
        db.session.execute(insert(_OUTBOX), rows)
        _wake_after_commit()


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an email, from PUBLIC_URL: never from the request's Host header, which a client
    chooses (a reset link built from it could point at another site)."""
    adapter = current_app.url_map.bind("localhost", script_name="/")
    path = adapter.build(endpoint, values)
    return str(current_app.config["PUBLIC_URL"]).rstrip("/") + path


def _wake_after_commit() -> None:
    if has_request_context():
        g.queued_email = True  # the request boundary wakes the delivery thread once it has committed


def _sender_domain() -> str:
    return str(current_app.config["MAIL_SENDER"]).rpartition("@")[2] or "localhost"
