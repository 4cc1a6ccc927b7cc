"""An SMTP server on 127.0.0.1 (aiosmtpd) that records what it accepted: recipient, subject, Message-ID and
any X- header, tagged with the harness phase it arrived in. Duplicates are then counted three ways."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller

from .servers import free_port


@dataclass(frozen=True)
class Delivery:
    phase: str
    recipient: str
    subject: str
    message_id: str
    x_headers: tuple[tuple[str, str], ...]


@dataclass
class Sink:
    port: int = field(default_factory=free_port)
    phase: str = "setup"
    deliveries: list[Delivery] = field(default_factory=list)
    controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # called by aiosmtpd
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        headers = tuple((k, str(v)) for k, v in message.items() if k.lower().startswith("x-"))
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self.deliveries.append(
                    Delivery(
                        self.phase,
                        recipient.lower(),
                        str(message.get("Subject", "")),
                        str(message.get("Message-ID", "")),
                        headers,
                    )  # fmt: skip
                )
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def snapshot(self) -> list[Delivery]:
        with self._lock:
            return list(self.deliveries)


@dataclass
class Duplicates:
    by_content: int = 0  # extra copies of one (recipient, subject): the receiver sees the same email twice
    same_message_id: int = 0  # of those, copies carrying the same Message-ID as an earlier one (a recognisable resend)
    by_message_id: int = 0  # extra copies of one Message-ID
    by_x_header: int = 0  # extra copies of one value of an X- header naming the outbox row, if the app sends one
    allowed_resends: int = 0  # same Message-ID again, first sent during the kills (cut between send and record)

    @property
    def unexpected(self) -> int:
        """The duplicates that count against the target: every extra copy but a recognisable resend after a kill."""
        return self.by_content - self.allowed_resends

    def line(self) -> str:
        return (f"extra copies: {self.by_content} by (recipient, subject) of which {self.same_message_id} with a "
                f"repeated Message-ID ({self.allowed_resends} within what the kills explain); {self.by_message_id} by Message-ID; "
                f"{self.by_x_header} by X- header")  # fmt: skip


def count_duplicates(deliveries: list[Delivery], crashes: int = 0, crash_phase: str = "kills") -> Duplicates:
    """`crashes`: how many sends a kill may have cut between sending and recording (one per process killed).
    A repeat counts as such a resend only if it carries the first copy's Message-ID, that first copy arrived
    during the kill phase, and there are no more of them than crashes; every other repeat is a duplicate."""
    result = Duplicates()
    first: dict[tuple[str, str], Delivery] = {}
    for d in deliveries:
        key = (d.recipient, d.subject)
        earlier = first.setdefault(key, d)
        if earlier is d:
            continue
        result.by_content += 1
        if d.message_id and d.message_id == earlier.message_id:
            result.same_message_id += 1
            if earlier.phase.endswith(crash_phase) and result.allowed_resends < crashes:
                result.allowed_resends += 1
    result.by_message_id = sum(n - 1 for n in Counter(d.message_id for d in deliveries if d.message_id).values())
    x_values = Counter((d.recipient, k, v) for d in deliveries for k, v in d.x_headers if "id" in k.lower())
    result.by_x_header = sum(n - 1 for n in x_values.values())
    return result
