"""Completions per second at 16 clients: each client completes hearings of distinct fresh cases (no races),
from a shared queue, over HTTP through gunicorn's 4 workers. Wall-clock rate of accepted completions."""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field

from . import preparation
from .flows import HEARING, complete
from .servers import Server
from .tally import Budget, Tally


@dataclass
class ThroughputResult:
    clients: int = 16
    completions: int = 0
    seconds: float = 0.0
    tally: Tally = field(default_factory=lambda: Tally("throughput"))

    @property
    def rate(self) -> float:
        return self.completions / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        return [
            f"{self.completions} hearings completed by {self.clients} clients in {self.seconds:.1f} s: "
            f"{self.rate:.1f} completions/s",
            self.tally.summary(),
        ]


def run(server: Server, tokens: dict[str, str], count: int, budget: Budget, clients: int = 16) -> ThroughputResult:
    result = ThroughputResult(clients=clients)
    staff = server.api(tokens["staff"])
    work: queue.Queue[int] = queue.Queue()
    for _case_id, task_id in preparation.hearings(staff, count, "2025-06-25", "性能測定", budget):
        work.put(task_id)
    lock = threading.Lock()

    def client() -> None:
        api = server.api(tokens["staff"])
        while True:
            try:
                task_id = work.get_nowait()
            except queue.Empty:
                return
            response = result.tally.add("POST", f"/tasks/{task_id}/complete", complete(api, task_id, HEARING))
            if response.ok:
                with lock:
                    result.completions += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result
