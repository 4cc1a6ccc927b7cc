"""What the application does with the messages the diagram throws (emails and records)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from workflows.editions import get_edition
from workflows.engine import ThrownMessage

from ..labels import reason_text
from ..mail import queue_email
from ..models import Case, CaseStatus, utcnow
from .audit import record
from .service_period import forms_period_ended, service_opened


def _period_end(case: Case) -> str:
    edition = get_edition(case.edition)
    return f"{edition.support_period_end:%Y年%-m月%-d日}" if edition else ""


def email_company(case: Case, template: str, **context: object) -> None:
    """Queues one of the program's emails to the company's contact (sent after commit), noted in the history;
    without a contact address it is skipped, and that is noted instead."""
    to_addr = case.company.contact_email
    if not to_addr:
        record(None, case, "email_skipped", detail=f"{template}: no contact email")
        return
    queue_email(template, to_addr, case, edition=get_edition(case.edition), period_end=_period_end(case), **context)
    record(None, case, "email_queued", detail=template)


def _email(template: str) -> Callable[[Case, ThrownMessage], None]:
    def send(case: Case, message: ThrownMessage) -> None:
        email_company(case, template, reasons=_reasons(case))

    return send


def _reasons(case: Case) -> list[str]:
    edition = get_edition(case.edition)
    reasons = [reason_text(code, edition) for code in case.ineligible_reasons]
    return reasons + ([case.decision_reason] if case.decision_reason else [])


def _service_closed(case: Case, message: ThrownMessage) -> None:
    payload = message.payload or {}
    for country in case.countries:
        if country.country == payload.get("country"):
            country.closed_reason = payload.get("closed_reason")
            country.closed_at = utcnow()
    record(None, case, "service_closed", after=payload)


def _eligibility_assessed(case: Case, message: ThrownMessage) -> None:
    """The eligibility table's finding: a recommendation shown to whoever decides; nothing is sent."""
    reasons = (message.payload or {}).get("ineligible_reasons", [])
    case.ineligible_reasons_json = json.dumps(reasons)
    record(None, case, "eligibility_assessed", after={"ineligible_reasons": reasons})


def _rejected(case: Case, message: ThrownMessage) -> None:
    case.ineligible_reasons_json = json.dumps((message.payload or {}).get("ineligible_reasons", []))
    case.status = CaseStatus.INELIGIBLE.value if case.ineligible_reasons else CaseStatus.REJECTED.value
    _email("rejection_notice")(case, message)


HANDLERS: dict[str, Callable[[Case, ThrownMessage], None]] = {
    "receipt_confirmation": _email("receipt_confirmation"),
    "adoption_notice": _email("adoption_notice"),
    "eligibility_assessed": _eligibility_assessed,
    "rejection_notice": _rejected,
    "forms_reminder": _email("forms_reminder"),
    "service_closed": _service_closed,
    "service_opened": service_opened,
    "forms_period_ended": forms_period_ended,
}


def dispatch(case: Case, messages: Iterable[ThrownMessage]) -> None:
    for message in messages:
        handler = HANDLERS.get(message.name)
        if handler is None:
            record(None, case, "message_unhandled", detail=message.name)
        else:
            handler(case, message)
