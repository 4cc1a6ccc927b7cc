"""Scenario 3: two `flask tick` processes at once, with SMTP pointed at the sink, after emails were queued.

Each round queues emails straight into the outbox (each to its own address), then starts two ticks at the same
moment; the servers' own delivery (a background thread where the app has one, the request otherwise) runs
meanwhile too. Every email must arrive exactly once."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from flask import Flask

from webapp.models import OutboxEmail

from .database import queue_emails, session
from .servers import start_flask
from .smtp_sink import Duplicates, Sink, count_duplicates
from .tally import Budget


@dataclass
class TicksResult:
    rounds: int = 0
    queued: int = 0
    arrived: int = 0  # distinct emails the sink received
    duplicates: Duplicates = field(default_factory=Duplicates)
    statuses: Counter[str] = field(default_factory=Counter)  # the queued rows' status afterwards
    tick_failures: list[str] = field(default_factory=list)
    tick_lines: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"rounds: {self.rounds}; emails queued: {self.queued}; arrived (distinct): {self.arrived}; "
            f"missing: {self.queued - self.arrived}",
            f"duplicate deliveries: {self.duplicates.line()}",
            "outbox rows afterwards: " + ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items())),
            *[f"  tick: {line}" for line in self.tick_lines[:6]],
            *[f"  tick failed: {line}" for line in self.tick_failures[:4]],
        ]


def run(env: dict[str, str], app: Flask, sink: Sink, label: str, rounds: int, per_round: int,
        budget: Budget) -> TicksResult:  # fmt: skip
    result = TicksResult()
    prefixes = []
    for r in range(rounds):
        if budget.expired():
            break
        tag = f"{label}-r{r}"
        prefixes.append(f"stress-{tag}-")
        sink.phase = f"{label} ticks {r}"
        result.queued += queue_emails(app, per_round, tag)
        ticks = [start_flask(env, "tick") for _ in range(2)]
        for tick in ticks:
            out, err = tick.communicate(timeout=300)
            if tick.returncode != 0:
                result.tick_failures.append(f"exit {tick.returncode}: {' '.join(err.split())[-300:]}")
            else:
                result.tick_lines.append(out.strip().splitlines()[-1] if out.strip() else "(no output)")
        result.rounds += 1
        deadline = time.monotonic() + 15  # the servers' deliveries may still be in flight
        while time.monotonic() < deadline:
            mine = {d.recipient for d in sink.snapshot() if d.recipient.startswith(f"stress-{tag}-")}
            if len(mine) >= per_round:
                break
            time.sleep(0.25)
    time.sleep(1.0)
    deliveries = [d for d in sink.snapshot() if d.recipient.startswith(tuple(prefixes))] if prefixes else []
    result.arrived = len({(d.recipient, d.subject) for d in deliveries})
    result.duplicates = count_duplicates(deliveries)
    with session(app) as s:
        for (status,) in s.query(OutboxEmail.status).filter(OutboxEmail.to_addr.like("stress-%")):
            result.statuses[status] += 1
    return result
