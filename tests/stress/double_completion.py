"""Scenario 1: two clients (staff and staff2) complete the same hearing task at the same instant.

Exactly one may succeed; the other must get 409. Per case the database is then read: the hearing completed once,
the instance's lock_version one above what it was, one adoption-decision task open, one completion in the audit
trail. A lost update is a case where more than one completion was accepted, or an accepted one is not what the
database holds."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from flask import Flask

from webapp.models import AuditEvent, HumanTask, ProcessInstance

from . import preparation
from .client import Api
from .database import session
from .flows import HEARING, complete
from .servers import Server
from .tally import Budget, Tally


@dataclass
class DoubleResult:
    pairs: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # "200+409", "200+200", ...
    lost_updates: int = 0
    committed_but_failed: int = 0  # neither answer was 2xx, yet the hearing is completed
    neither_completed: int = 0
    tally: Tally = field(default_factory=lambda: Tally("double completions"))
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(self.outcomes.items()))
        return [
            f"pairs raced: {self.pairs}; answers per pair: {outcomes}",
            f"lost updates: {self.lost_updates}; completed although no client got 2xx: {self.committed_but_failed};"
            f" completed by neither: {self.neither_completed}",
            self.tally.summary(),
            *self.notes[:10],
        ]


def _lock_versions(app: Flask, case_ids: list[int]) -> dict[int, int]:
    with session(app) as s:
        rows = s.query(ProcessInstance.case_id, ProcessInstance.lock_version).filter(
            ProcessInstance.case_id.in_(case_ids)
        )
        return {case_id: version for case_id, version in rows}


def _race(first: Api, second: Api, task_id: int, tally: Tally) -> list[int]:
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def go(api: Api) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=30)
        response = tally.add("POST", f"/tasks/{task_id}/complete", complete(api, task_id, HEARING))
        statuses.append(response.status)

    threads = [threading.Thread(target=go, args=(api,)) for api in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def run(server: Server, tokens: dict[str, str], app: Flask, count: int, parallel_pairs: int,
        budget: Budget) -> DoubleResult:  # fmt: skip
    result = DoubleResult()
    staff, staff2 = server.api(tokens["staff"]), server.api(tokens["staff2"])
    cases = preparation.hearings(staff, count, "2025-06-20", "同時完了", budget)
    before = _lock_versions(app, [c for c, _t in cases])

    def pair(item: tuple[int, int]) -> tuple[int, int, list[int]]:
        case_id, task_id = item
        return case_id, task_id, _race(staff, staff2, task_id, result.tally)

    with ThreadPoolExecutor(parallel_pairs) as pool:
        raced = list(pool.map(pair, cases))
    result.pairs = len(raced)
    after = _lock_versions(app, [c for c, _t in cases])
    with session(app) as s:
        for case_id, task_id, statuses in raced:
            result.outcomes["+".join(str(x) for x in statuses)] += 1
            accepted = sum(1 for x in statuses if 200 <= x < 300)
            hearing = s.get(HumanTask, task_id)
            completed = hearing is not None and hearing.status == "completed"
            adoption_open = (
                s.query(HumanTask).filter_by(case_id=case_id, form_key="adoption_decision", status="open").count()
            )
            audits = (
                s.query(AuditEvent)
                .filter_by(case_id=case_id, action="task_completed", detail=hearing.title if hearing else "")
                .count()
            )
            step = after.get(case_id, 0) - before.get(case_id, 0)
            consistent = completed and step == 1 and adoption_open == 1 and audits == 1
            if accepted > 1 or (accepted == 1 and not consistent) or step > 1 or audits > 1 or adoption_open > 1:
                result.lost_updates += 1
                result.notes.append(
                    f"  lost update: case {case_id} task {task_id}: answers {statuses}, completed={completed}, "
                    f"lock_version +{step}, open adoption tasks {adoption_open}, audited completions {audits}"
                )
            elif accepted == 0 and completed:
                result.committed_but_failed += 1
            elif accepted == 0:
                result.neither_completed += 1
    return result
