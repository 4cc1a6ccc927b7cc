"""Email delivery, after commit and never inside a request: `flask tick` and each web process's delivery thread.

Each email is first claimed by a conditional UPDATE (and, on PostgreSQL, rows picked with FOR UPDATE SKIP
LOCKED), so no two workers or hosts send the same one. It is then sent with the Message-ID fixed when it was
queued, and the result recorded. Only a crash between sending and recording leaves a claim that goes stale
and is sent once more, with the same Message-ID (receivers can tell it is a repeat).
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import threading
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update

from .extensions import begin_write, db, lock_for_write
from .models import EmailStatus, OutboxEmail, utcnow

log = logging.getLogger(__name__)

BATCH = 50
MAX_ATTEMPTS = 8  # then the email stays "failed" with no next attempt; admins see the error
FIRST_RETRY = timedelta(minutes=1)  # doubled after each failure, up to MAX_RETRY
MAX_RETRY = timedelta(hours=6)
STALE_CLAIM = timedelta(minutes=10)  # far beyond the SMTP timeout: a claim this old was left by a crash
SMTP_TIMEOUT = 10
POLL_SECONDS = 30.0  # the thread also looks on its own, for retries and other processes' email


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    kept: int = 0


def deliver_due(limit: int = BATCH) -> Delivery:
    """Claims due emails and delivers them (or keeps them when no SMTP is configured); one claim at a time."""
    result = Delivery()
    while True:
        token, emails = _claim(limit)
        if not emails:
            return result
        config = current_app.config
        if not config.get("MAIL_SERVER"):
            result.kept += _record(token, emails, status=EmailStatus.KEPT)
        else:
            _send_all(token, emails, result)
        if len(emails) < limit:
            return result


def _due_clause(now: Any) -> Any:
    return or_(
        and_(
            OutboxEmail.status.in_([EmailStatus.PENDING.value, EmailStatus.FAILED.value]),
            OutboxEmail.next_attempt_at.is_not(None),
            OutboxEmail.next_attempt_at <= now,
        ),
        and_(OutboxEmail.status == EmailStatus.SENDING.value, OutboxEmail.claimed_at < now - STALE_CLAIM),
    )


def _claim(limit: int) -> tuple[str, list[OutboxEmail]]:
    session = db.session
    session.rollback()
    begin_write()  # SQLite: claims are serialised by the write lock
    now, token = utcnow(), secrets.token_hex(16)
    picked = select(OutboxEmail.id).where(_due_clause(now)).order_by(OutboxEmail.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        picked = picked.with_for_update(skip_locked=True)  # another host's claim in flight: take other rows
    ids = list(session.scalars(picked))
    if ids:
        session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id.in_(ids), _due_clause(now))  # conditional: a row claimed meanwhile stays theirs
            .values(
                status=EmailStatus.SENDING.value,
                claimed_at=now,
                claim_token=token,
                attempts=OutboxEmail.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
    session.commit()
    if not ids:
        return token, []
    emails = list(session.scalars(select(OutboxEmail).where(OutboxEmail.claim_token == token)))
    for email in emails:
        session.expunge(email)  # plain snapshots from here on: recording a result does not reload them
    session.rollback()
    return token, emails


def _send_all(token: str, emails: list[OutboxEmail], result: Delivery) -> None:
    config = current_app.config
    unsent = list(emails)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            while unsent:
                email = unsent[0]
                try:
                    smtp.send_message(_message(email, config["MAIL_SENDER"]))
                except smtplib.SMTPRecipientsRefused as exc:  # this address refused: the others still go
                    result.failed += _record(token, [email], status=EmailStatus.FAILED, error=str(exc))
                else:
                    result.sent += _record(token, [email], status=EmailStatus.SENT)  # recorded at once
                unsent.pop(0)
    except (OSError, smtplib.SMTPException) as exc:  # the server is down or hung up: retry the rest later
        result.failed += _record(token, unsent, status=EmailStatus.FAILED, error=str(exc))


def _message(email: OutboxEmail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, email.to_addr, email.subject
    message["Date"], message["Message-ID"] = formatdate(localtime=True), email.message_id
    message.set_content(email.body)
    return message


def _record(token: str, emails: list[OutboxEmail], *, status: EmailStatus, error: str | None = None) -> int:
    """Writes the outcome, only where our claim still holds; returns how many rows it wrote."""
    written = 0
    lock_for_write()  # ends any read first: SQLite cannot turn a read transaction into a write later
    now = utcnow()
    for email in emails:
        values: dict[str, Any] = {"status": status.value, "claim_token": None, "error": error}
        if status == EmailStatus.SENT:
            values["sent_at"] = now
        if status == EmailStatus.FAILED:
            values["next_attempt_at"] = _next_attempt(now, email.attempts)
        result = db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == email.id, OutboxEmail.claim_token == token)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        written += result.rowcount  # type: ignore[attr-defined]
    db.session.commit()
    return written


def _next_attempt(now: Any, attempts: int) -> Any:
    if attempts >= MAX_ATTEMPTS:
        return None  # given up: stays failed, shown to admins with its error
    return now + min(FIRST_RETRY * 2 ** (attempts - 1), MAX_RETRY)


# ---------------------------------------------------------------- the delivery thread of a web process


class DeliveryThread:
    """Delivers in the background of one web process: woken after a request commits email, and every
    POLL_SECONDS for retries and for email other processes queued. A forked worker starts its own."""

    def __init__(self, app: Flask):
        self.app = app
        self.event = threading.Event()
        self.pid = 0
        self.lock = threading.Lock()

    def ensure_started(self) -> None:
        with self.lock:
            if self.pid != os.getpid():  # a thread does not survive fork
                self.pid = os.getpid()
                threading.Thread(target=self._run, name="email-delivery", daemon=True).start()

    def wake(self) -> None:
        self.ensure_started()
        self.event.set()

    def _run(self) -> None:
        while True:
            self.event.wait(POLL_SECONDS)
            self.event.clear()
            with self.app.app_context():
                try:
                    deliver_due()
                except Exception:  # a database hiccup must not end the thread; the next round retries
                    log.exception("email delivery failed")
                finally:
                    db.session.remove()


def init_app(app: Flask) -> None:
    """With MAIL_DELIVERY_THREAD (the web servers: `make run`, `make serve`), each process delivers in the
    background; without it (tests, CLI), `flask tick` delivers."""
    if not app.config.get("MAIL_DELIVERY_THREAD"):
        return
    thread = DeliveryThread(app)
    app.extensions["tss_delivery"] = thread
    app.before_request(thread.ensure_started)


def wake(app: Flask) -> None:
    thread = app.extensions.get("tss_delivery")
    if thread is not None:
        thread.wake()
