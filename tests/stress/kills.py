"""Scenario 4: kill -9 of random workers, and of the master, under load; the server is restarted after each
master kill; then the consistency checks (consistency.py).

Load: eight clients register applications, complete receipts and hearings of those cases, log hours (counted
quarter hours and uncounted travel) on one case in service, and read inboxes and cases. A request whose
connection was cut has an unknown outcome; the checks allow for those and nothing else."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

from flask import Flask

from . import consistency
from .consistency import ConsistencyReport, LedgerClaims
from .flows import HEARING, complete, post_hours, register_request
from .servers import Server, flask_cli
from .tally import Tally

RECEIVED_ON = "2025-06-28"
# The final tick runs a day ahead: a claim left by a killed sender is stale by then and is sent again.
DRAIN_OFFSET = str(24 * 3600)


@dataclass
class KillResult:
    worker_kills: int = 0
    master_kills: int = 0
    worker_exit_seconds: list[float] = field(default_factory=list)  # after each master kill: its workers gone
    workers_outliving_master: int = 0  # master kills after which workers still ran 20 s later
    instances_checked: int = 0
    tally: Tally = field(default_factory=lambda: Tally("kills"))
    report: ConsistencyReport = field(default_factory=ConsistencyReport)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        exits = ", ".join(f"{s:.2f}" for s in self.worker_exit_seconds)
        return [
            f"kill -9: {self.worker_kills} worker(s), {self.master_kills} master(s) (restarted each time)",
            f"seconds until a killed master's workers were gone: {exits or '-'}; "
            f"master kills with workers still serving 20 s later: {self.workers_outliving_master}",
            self.tally.summary(),
            f"instances checked against the engine: {self.instances_checked}",
            *self.report.lines(),
            *self.notes[:6],
        ]


@dataclass
class _Load:
    server: Server
    tokens: dict[str, str]
    hours_case: int
    tally: Tally
    rng: random.Random
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    tasks: list[tuple[int, int, str]] = field(default_factory=list)  # (case id, task id, form key) to complete
    acked: set[int] = field(default_factory=set)
    ledger: LedgerClaims = field(init=False)
    serial: int = 0

    def __post_init__(self) -> None:
        self.ledger = LedgerClaims(self.hours_case)

    def client(self, seed: int) -> None:
        rng = random.Random(seed)
        staff, expert = self.server.api(self.tokens["staff"]), self.server.api(self.tokens["expert_cn"])
        while not self.stop.is_set():
            roll = rng.random()
            if roll < 0.2:
                status = self._register(staff)
            elif roll < 0.55:
                status = self._complete(staff)
            elif roll < 0.8:
                status = self._hours(expert, rng)
            else:
                path = "/tasks?per_page=20" if roll < 0.9 else f"/cases/{self.hours_case}"
                status = self.tally.add("GET", path, staff.get(path)).status
            if status == 0:
                time.sleep(0.1)  # the server is being restarted

    def _register(self, staff) -> int:  # type: ignore[no-untyped-def]
        with self.lock:
            self.serial += 1
            company = f"障害試験株式会社{self.serial:05d}"
        response = self.tally.add("POST", "/applications", register_request(staff, RECEIVED_ON, company=company,
                                                                             countries=["VN"]))  # fmt: skip
        body = response.json() if response.status == 201 else None
        receipt = next((t for t in (body or {}).get("tasks", []) if t["form_key"] == "receipt_confirmation"), None)
        if receipt is not None:
            with self.lock:
                self.tasks.append((body["id"], receipt["id"], "receipt_confirmation"))
        return response.status

    def _complete(self, staff) -> int:  # type: ignore[no-untyped-def]
        with self.lock:
            if not self.tasks:
                time.sleep(0.01)  # nothing registered yet
                return 200
            case_id, task_id, form_key = self.tasks.pop(self.rng.randrange(len(self.tasks)))
        payload = {"sealed_pdf_confirmed": True} if form_key == "receipt_confirmation" else HEARING
        response = self.tally.add("POST", f"/tasks/{task_id}/complete", complete(staff, task_id, payload))
        if response.ok:
            with self.lock:
                self.acked.add(task_id)
            if form_key == "receipt_confirmation":
                listed = staff.get(f"/tasks?case={case_id}&stage=hearing").json() or {}
                for task in listed.get("tasks", []):
                    with self.lock:
                        self.tasks.append((case_id, task["id"], "hearing"))
        return response.status

    def _hours(self, expert, rng: random.Random) -> int:  # type: ignore[no-untyped-def]
        travel = rng.random() < 0.5
        hours = Decimal("1") if travel else Decimal("0.25")
        response = post_hours(expert, self.hours_case, "CN", f"{hours}", "travel" if travel else "meeting")
        self.tally.add("POST", f"/cases/{self.hours_case}/hours", response)
        with self.lock:
            if response.status == 201:
                self.ledger.acknowledged.append(hours)
            elif response.status == 0 or response.status >= 500:
                self.ledger.unknown.append(hours)
        return response.status


def run(server: Server, tokens: dict[str, str], app: Flask, hours_case: int, worker_kills: int, master_kills: int,
        rng: random.Random, interval: float = 1.0, clients: int = 8) -> KillResult:  # fmt: skip
    result = KillResult()
    load = _Load(server, tokens, hours_case, result.tally, rng)
    threads = [threading.Thread(target=load.client, args=(rng.randrange(2**32),)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    schedule = ["worker"] * worker_kills
    for n in range(master_kills):  # spread the master kills over the run
        schedule.insert(min(len(schedule), (n + 1) * (worker_kills + n + 1) // (master_kills + 1)), "master")
    try:
        time.sleep(interval * 2)  # load first
        for kind in schedule:
            if kind == "worker":
                if server.kill_worker(rng) is not None:
                    result.worker_kills += 1
            else:
                _workers, seconds = server.kill_master()
                result.master_kills += 1
                if seconds is None:
                    result.workers_outliving_master += 1
                else:
                    result.worker_exit_seconds.append(seconds)
                server.start()
            time.sleep(interval * rng.uniform(0.5, 1.5))
        time.sleep(interval)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join()
    if server.process is None or server.process.poll() is not None:
        result.notes.append("  the server had exited on its own; restarted for the checks")
        server.start()
    for attempt in range(2):  # the final tick; a failed one is reported and tried once more
        try:
            flask_cli(dict(server.env, STRESS_CLOCK_OFFSET=DRAIN_OFFSET), "tick")
            break
        except RuntimeError as exc:
            result.notes.append(f"  final tick, attempt {attempt + 1}, failed: {' '.join(str(exc).split())[-200:]}")
    time.sleep(1.0)
    result.instances_checked = consistency.engine_matches_inbox(app, result.report)
    consistency.acknowledged_completions(app, set(load.acked), result.report)
    consistency.ledger(app, load.ledger, result.report)
    consistency.emails_settled(app, result.report)
    consistency.api_matches(app, server.api(tokens["staff"]), result.report, sample=10)
    return result
