"""Email: written to the outbox table inside the business transaction; `delivery` sends it after commit.

With no SMTP server configured the messages stay in the outbox (status "kept"), visible to admins.
"""

from __future__ import annotations

from email.utils import make_msgid

from flask import current_app, g, has_request_context, render_template
from flask_babel import force_locale

from .extensions import db
from .models import Case, OutboxEmail, utcnow


def queue_email(template: str, to_addr: str, case: Case | None, **context: object) -> OutboxEmail:
    """Renders `email/<template>.txt` (first line: subject) and adds it to the outbox, due now."""
    with force_locale("ja"):  # the program writes to companies in Japanese, whatever the sender's UI language
        text = render_template(f"email/{template}.txt", case=case, **context)
    subject, _sep, body = text.partition("\n")
    email = OutboxEmail(
        template=template,
        to_addr=to_addr,
        subject=subject.strip(),
        body=body.strip() + "\n",
        message_id=make_msgid("outbox", domain=_sender_domain()),
        next_attempt_at=utcnow(),
    )
    email.case_id = case.id if case else None
    db.session.add(email)
    if has_request_context():
        g.queued_email = True  # the request boundary wakes the delivery thread once it has committed
    return email


def _sender_domain() -> str:
    return str(current_app.config["MAIL_SENDER"]).rpartition("@")[2] or "localhost"
