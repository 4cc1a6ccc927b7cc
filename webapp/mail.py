"""Email: written to the outbox table inside the business transaction, delivered over SMTP after commit.

With no SMTP server configured the messages stay in the outbox (status "kept"), visible to admins.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select

from .extensions import db
from .models import Case, EmailStatus, OutboxEmail, utcnow


def queue_email(template: str, to_addr: str, case: Case | None, **context: object) -> OutboxEmail:
    """Renders `email/<template>.txt` (first line: subject) and adds it to the outbox."""
    with force_locale("ja"):  # the program writes to companies in Japanese, whatever the sender's UI language
        text = render_template(f"email/{template}.txt", case=case, **context)
    subject, _sep, body = text.partition("\n")
    email = OutboxEmail(template=template, to_addr=to_addr, subject=subject.strip(), body=body.strip() + "\n")
    email.case_id = case.id if case else None
    db.session.add(email)
    return email


def deliver_pending() -> int:
    """Hands pending emails to SMTP (or keeps them when none is configured). Returns how many were sent."""
    pending = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.status.in_([EmailStatus.PENDING.value, EmailStatus.FAILED.value]))
    ).all()
    if not pending:
        return 0
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        for email in pending:
            email.status = EmailStatus.KEPT.value
        db.session.commit()
        return 0
    sent = 0
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            for email in pending:
                sent += _send_one(smtp, email, config["MAIL_SENDER"])
    except (OSError, smtplib.SMTPException) as exc:
        for email in pending:
            if email.status != EmailStatus.SENT.value:
                email.status, email.error = EmailStatus.FAILED.value, str(exc)
    db.session.commit()
    return sent


def _send_one(smtp: smtplib.SMTP, email: OutboxEmail, sender: str) -> int:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, email.to_addr, email.subject
    message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid(domain="jetro.go.jp")
    message.set_content(email.body)
    try:
        smtp.send_message(message)
    except smtplib.SMTPException as exc:
        email.status, email.error = EmailStatus.FAILED.value, str(exc)
        return 0
    email.status, email.sent_at, email.error = EmailStatus.SENT.value, utcnow(), None
    return 1
