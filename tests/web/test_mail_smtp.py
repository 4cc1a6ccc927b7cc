"""Email over a real SMTP exchange (aiosmtpd on 127.0.0.1): what the company receives, that delivery happens
after commit and never in the request, that nothing is lost while the SMTP server is down, and that no email
is sent twice — not by two deliveries at once, not by a retry."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.fixtures import DEMO_NOW
from webapp import delivery
from webapp.extensions import db
from webapp.models import OutboxEmail

from .lifecycle import HEARING_OK, adopt, complete, open_task, register

CONTACT = "yamada@sample-seiki.example.jp"


@dataclass
class Inbox:
    """Collects what the SMTP server accepted."""

    envelopes: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # the name aiosmtpd calls
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [BytesParser(policy=policy.default).parsebytes(e.content) for e in self.envelopes]  # type: ignore[misc]

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox = field(default_factory=Inbox)
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app) -> Iterator[SmtpServer]:  # type: ignore[no-untyped-def]
    """An SMTP server the app is configured to use (not started yet)."""
    server = SmtpServer(free_port())
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_USE_TLS=False, MAIL_USERNAME=None)
    yield server
    server.stop()


def outbox(app) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return [(e.template, e.status, e.to_addr) for e in db.session.query(OutboxEmail).order_by(OutboxEmail.id)]


def confirm_receipt(staff, case_id: int) -> None:  # type: ignore[no-untyped-def]
    task = open_task(staff, case_id, "receipt_confirmation")
    assert complete(staff, task["id"], {"sealed_pdf_confirmed": True}).status_code == 200


def deliver(app) -> delivery.Delivery:  # type: ignore[no-untyped-def]
    """One round of the delivery worker (the web process's thread, or `flask tick`)."""
    with app.app_context():
        return delivery.deliver_due()


def tick(app) -> str:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_receipt_confirmation_reaches_the_company_contact_over_smtp(app, api_as, smtp):
    smtp.start()
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    assert deliver(app).sent == 0  # registering sends nothing; confirming the receipt does
    confirm_receipt(staff, case["id"])
    assert smtp.inbox.envelopes == []  # not from the request: after commit, by the delivery worker
    assert outbox(app) == [("receipt_confirmation", "pending", CONTACT)]
    assert deliver(app).sent == 1

    assert len(smtp.inbox.envelopes) == 1
    envelope, message = smtp.inbox.envelopes[0], smtp.inbox.messages()[0]
    assert envelope.rcpt_tos == [CONTACT]
    assert envelope.mail_from == app.config["MAIL_SENDER"]
    assert message["To"] == CONTACT
    assert message["Subject"] == f"【ジェトロ】申込書受領のお知らせ（{case['number']}）"
    body = message.get_content()
    assert "株式会社サンプル精機" in body and "山田 一郎 様" in body
    assert f"申込書（受付番号 {case['number']}）を受領しました。" in body
    assert outbox(app) == [("receipt_confirmation", "sent", CONTACT)]


def test_rejection_notice_gives_the_ineligible_reasons_in_japanese(app, api_as, smtp):
    smtp.start()
    staff = api_as("staff")
    case = register(staff, "FY2025", ["TH"], "2025-07-01")
    confirm_receipt(staff, case["id"])
    hearing = open_task(staff, case["id"], "hearing")
    no_experience = dict(HEARING_OK, domestic_experience="no", publicity_consent=False)
    assert complete(staff, hearing["id"], no_experience).status_code == 200
    deliver(app)
    assert smtp.inbox.subjects() == [f"【ジェトロ】申込書受領のお知らせ（{case['number']}）"]  # no notice yet
    decision = open_task(staff, case["id"], "adoption_decision")
    rejection = {"decision": "reject", "reason": "要件を満たさないため", "confirm_notice": True}
    assert complete(staff, decision["id"], rejection).status_code == 200
    deliver(app)

    rejection = smtp.inbox.messages()[-1]
    assert rejection["Subject"] == f"【ジェトロ】審査結果のお知らせ（{case['number']}）"
    body = rejection.get_content()
    assert "誠に残念ながら今回は採択を見送らせていただくことになりました。" in body
    assert "・日本企業において、国内の営業秘密管理体制構築の経験がありません。" in body
    assert "・事業終了後の広報（事例紹介など）への協力に同意していません。" in body
    assert [t for t, _s, _a in outbox(app)] == ["receipt_confirmation", "rejection_notice"]
    assert {s for _t, s, _a in outbox(app)} == {"sent"}


def test_forms_reminder_goes_out_when_tick_runs_after_the_editions_days(app, api_as, smtp, set_clock):
    smtp.start()
    staff = api_as("staff")
    case = register(staff, "FY2025", ["VN"], "2025-07-01")
    adopt(staff, case["id"])  # adopted at DEMO_NOW; FY2025 reminds after 14 days
    deliver(app)  # the receipt and adoption notices
    sent_before = len(smtp.inbox.envelopes)

    set_clock(DEMO_NOW + timedelta(days=14) - timedelta(minutes=1))
    assert "timers fired for 0 case(s); 0 email(s) sent" in tick(app)
    assert len(smtp.inbox.envelopes) == sent_before

    set_clock(DEMO_NOW + timedelta(days=14, minutes=1))
    assert "timers fired for 1 case(s); 1 email(s) sent" in tick(app)
    reminder = smtp.inbox.messages()[-1]
    assert reminder["Subject"] == f"【ジェトロ】様式1・様式2のご提出のお願い（{case['number']}）"
    assert reminder["To"] == CONTACT
    assert "ご提出がまだ確認できておりません。" in reminder.get_content()
    # the forms task stays open: the reminder does not withdraw it
    assert open_task(staff, case["id"], "forms_submission")["status"] == "open"
    assert "timers fired for 0 case(s); 0 email(s) sent" in tick(app)  # sent once only


def test_emails_are_kept_as_failed_while_smtp_is_down_and_retried_with_backoff(app, api_as, smtp, set_clock):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["ID"], "2025-07-01")
    task = open_task(staff, case["id"], "receipt_confirmation")
    response = complete(staff, task["id"], {"sealed_pdf_confirmed": True})
    assert response.status_code == 200  # the user's work is saved although the mail could not go out
    assert "0 email(s) sent, 1 failed (retried later)" in tick(app)
    assert outbox(app) == [("receipt_confirmation", "failed", CONTACT)]
    with app.app_context():
        email = db.session.query(OutboxEmail).one()
        assert email.error and email.attempts == 1
        assert email.next_attempt_at == DEMO_NOW + delivery.FIRST_RETRY

    assert "0 email(s) sent" in tick(app)  # not due yet: no retry before the backoff
    set_clock(DEMO_NOW + delivery.FIRST_RETRY)
    assert "0 email(s) sent, 1 failed" in tick(app)  # still down: the next wait doubles
    with app.app_context():
        assert db.session.query(OutboxEmail).one().next_attempt_at == DEMO_NOW + 3 * delivery.FIRST_RETRY

    smtp.start()
    set_clock(DEMO_NOW + 3 * delivery.FIRST_RETRY)
    assert "1 email(s) sent" in tick(app)
    assert smtp.inbox.subjects() == [f"【ジェトロ】申込書受領のお知らせ（{case['number']}）"]
    assert outbox(app) == [("receipt_confirmation", "sent", CONTACT)]
    assert "0 email(s) sent" in tick(app)  # never sent twice


def test_without_an_smtp_server_emails_stay_in_the_outbox_as_kept(app, api_as):
    assert app.config["MAIL_SERVER"] is None
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    confirm_receipt(staff, case["id"])
    deliver(app)
    assert outbox(app) == [("receipt_confirmation", "kept", CONTACT)]
    with app.app_context():
        email = db.session.query(OutboxEmail).one()
        assert email.subject == f"【ジェトロ】申込書受領のお知らせ（{case['number']}）"
        assert email.sent_at is None
