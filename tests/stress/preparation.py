"""Many cases at the hearing, registered in parallel (a few clients, so setting up does not itself race)."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

from .client import Api
from .flows import FlowError, to_hearing
from .tally import Budget

_serial = itertools.count(1)
_serial_lock = threading.Lock()


def next_serial() -> int:
    with _serial_lock:
        return next(_serial)


def hearings(staff: Api, count: int, received_on: str, label: str, budget: Budget,
             clients: int = 4) -> list[tuple[int, int]]:  # fmt: skip
    """`count` fresh cases with their receipt confirmed: [(case id, hearing task id)], fewer if time ran out.
    Setup failures are raised: a scenario measured on cases that are not where it thinks would be meaningless."""

    def one(_i: int) -> tuple[int, int] | None:
        if budget.expired():
            return None
        case, task_id = to_hearing(staff, received_on, f"{label}株式会社{next_serial():05d}")
        return int(case["id"]), task_id

    # The first alone: on a fresh database it creates the edition's counter row, which concurrent first
    # registrations on SQLite fail to create (500, "database is locked"; see the fuzz run's GET /editions).
    results = [one(0)] if count else []
    with ThreadPoolExecutor(clients) as pool:
        results += list(pool.map(one, range(1, count)))
    done = [r for r in results if r is not None]
    if not done and count:
        raise FlowError("no case could be prepared before the time limit")
    return done
