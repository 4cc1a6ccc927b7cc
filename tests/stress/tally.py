"""Counting answers: by status class, with every 5xx kept (method, path, what was sent, what came back)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from .client import Response


def status_class(status: int) -> str:
    return "no answer" if status == 0 else f"{status // 100}xx"


@dataclass(frozen=True)
class ServerError:
    scenario: str
    method: str
    path: str
    status: int
    sent: str
    answer: str

    def line(self) -> str:
        return f"{self.status} {self.method} {self.path} sent={self.sent!r} answer={self.answer!r}"


@dataclass
class Tally:
    scenario: str
    classes: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[ServerError] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, method: str, path: str, response: Response, sent: bytes | str = b"") -> Response:
        excerpt = sent.decode("utf-8", "replace") if isinstance(sent, bytes) else sent
        with self._lock:
            self.classes[status_class(response.status)] += 1
            self.statuses[response.status] += 1
            if response.status >= 500:
                error = ServerError(self.scenario, method, path, response.status, excerpt[:120], response.excerpt())
                self.errors.append(error)
        return response

    @property
    def five_xx(self) -> int:
        return self.classes["5xx"]

    def summary(self) -> str:
        order = ["2xx", "3xx", "4xx", "5xx", "no answer"]
        parts = [f"{k} {self.classes[k]}" for k in order if self.classes[k]]
        detail = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()) if s >= 400 or s == 0)
        return f"{sum(self.classes.values())} requests: " + ", ".join(parts) + (f" ({detail})" if detail else "")


@dataclass
class Budget:
    """The time left for a run; scenarios stop starting new work once it has run out."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def expired(self) -> bool:
        return self.left() <= 0
