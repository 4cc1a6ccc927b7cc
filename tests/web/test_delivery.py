"""Email delivery claims before it sends: two deliveries at once send each email once; a claim left by a crash
is retried with the same Message-ID; the web process's delivery thread sends after the request has committed."""

from __future__ import annotations

import threading
import time
from email.utils import make_msgid
from typing import Any

import pytest

from webapp import create_app, delivery
from webapp.extensions import db
from webapp.models import EmailStatus, OutboxEmail, utcnow

from .lifecycle import register
from .test_auth_security import config_like
from .test_mail_smtp import CONTACT, SmtpServer, confirm_receipt, free_port, outbox


class SlowInbox:
    """An SMTP server that takes its time, so two deliveries overlap while sending."""

    def __init__(self) -> None:
        self.message_ids: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # the name aiosmtpd calls
        import asyncio
        from email import message_from_bytes

        await asyncio.sleep(0.02)
        self.message_ids.append(str(message_from_bytes(envelope.content)["Message-ID"]))
        return "250 OK"


def queue(app, count: int) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        for n in range(count):
            db.session.add(
                OutboxEmail(
                    template="receipt_confirmation",
                    to_addr=f"company{n}@example.jp",
                    subject=f"件名 {n}",
                    body="本文\n",
                    message_id=make_msgid("outbox", domain="jetro.go.jp"),
                    next_attempt_at=utcnow(),
                )
            )
        db.session.commit()


@pytest.fixture
def slow_smtp(app):  # type: ignore[no-untyped-def]
    from aiosmtpd.controller import Controller

    inbox, port = SlowInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USERNAME=None)
    yield inbox
    controller.stop()


def test_two_deliveries_at_once_send_every_email_exactly_once(app, slow_smtp):
    queue(app, 30)
    # a second worker process on the same database (another gunicorn worker, or a second `flask tick`)
    other = create_app(config_like(app, MAIL_SERVER=app.config["MAIL_SERVER"], MAIL_PORT=app.config["MAIL_PORT"]))
    barrier = threading.Barrier(2)
    results: list[delivery.Delivery] = []

    def work(flask_app) -> None:  # type: ignore[no-untyped-def]
        with flask_app.app_context():
            barrier.wait()
            results.append(delivery.deliver_due(limit=5))  # small claims, so the two interleave

    threads = [threading.Thread(target=work, args=(a,)) for a in (app, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(r.sent for r in results) == 30
    assert all(r.sent > 0 for r in results), "both workers took a share"
    assert len(slow_smtp.message_ids) == 30 and len(set(slow_smtp.message_ids)) == 30
    with app.app_context():
        rows = db.session.query(OutboxEmail).all()
        assert {e.status for e in rows} == {"sent"} and {e.attempts for e in rows} == {1}
        assert sorted(slow_smtp.message_ids) == sorted(e.message_id for e in rows)


def test_a_claim_left_by_a_crash_is_sent_again_once_with_the_same_message_id(app, slow_smtp, set_clock):
    queue(app, 1)
    with app.app_context():
        token, claimed = delivery._claim(10)  # a worker claims, then dies before sending or recording
        assert [e.status for e in claimed] == ["sending"]
        message_id = claimed[0].message_id
        assert delivery.deliver_due().sent == 0  # a fresh claim is not taken from its owner

    set_clock(utcnow() + delivery.STALE_CLAIM + delivery.FIRST_RETRY)
    with app.app_context():
        assert delivery.deliver_due().sent == 1
        assert delivery.deliver_due().sent == 0
        email = db.session.query(OutboxEmail).one()
        assert (email.status, email.attempts, email.claim_token) == ("sent", 2, None)
    assert slow_smtp.message_ids == [message_id]


def test_an_email_refused_every_time_is_given_up_after_the_last_attempt(app, set_clock):
    queue(app, 1)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens there
    for _attempt in range(delivery.MAX_ATTEMPTS):
        with app.app_context():
            assert delivery.deliver_due().failed == 1
            email = db.session.query(OutboxEmail).one()
            due = email.next_attempt_at
        if due is not None:
            set_clock(due)
    with app.app_context():
        email = db.session.query(OutboxEmail).one()
        assert (email.status, email.attempts, email.next_attempt_at) == ("failed", delivery.MAX_ATTEMPTS, None)
        assert delivery.deliver_due().failed == 0  # given up: shown to admins, not retried forever


def test_the_web_process_delivers_from_its_thread_after_the_request_committed(app, api_as):
    server = SmtpServer(free_port())
    server.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_USE_TLS=False, MAIL_USERNAME=None)
        app.config["MAIL_DELIVERY_THREAD"] = True
        delivery.init_app(app)
        staff = api_as("staff")
        case = register(staff, "FY2025", ["CN"], "2025-07-01")
        confirm_receipt(staff, case["id"])
        for _wait in range(200):  # the thread is woken by the commit; allow it up to ten seconds
            if server.inbox.envelopes:
                break
            time.sleep(0.05)
        assert [m["To"] for m in server.inbox.messages()] == [CONTACT]
        for _wait in range(100):
            if outbox(app) == [("receipt_confirmation", EmailStatus.SENT.value, CONTACT)]:
                break
            time.sleep(0.05)
        assert outbox(app) == [("receipt_confirmation", "sent", CONTACT)]
    finally:
        server.stop()
