"""`make stress`: the fault and load harness. Loopback only, bounded in count and time.

    .venv/bin/python -m tests.stress.run            # full run, about 10 minutes
    .venv/bin/python -m tests.stress.run --quick    # a small run, about 2 minutes (bounded at 150 s)
    .venv/bin/python -m tests.stress.run --only sqlite --pairs 50 --fuzz 500

For SQLite (a file) and a throwaway PostgreSQL server (skipped, saying why, without the binaries): a gunicorn
server with 4 sync workers (deploy/gunicorn.conf.py) on a free loopback port, a database prepared with
`flask db upgrade` and `flask deploy`, the test accounts with API tokens, and an SMTP sink. Scenarios, in order:
hours cap under concurrency (2), concurrent double completions (1), completions/s at 16 clients, two concurrent
ticks (3), kill -9 of workers and master with consistency checks (4), and a seeded fuzz run (5).

Exits 1 when a target is missed (every target is zero: lost updates, 5xx responses, duplicate emails, failed
tick runs, cap overruns, inconsistencies after kills, workers outliving a killed master) or could not be
measured, 2 on hitting the time limit. Logs, the list of every 5xx and every email received: build/stress/.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from . import double_completion, fuzz, hours_cap, kills, throughput, ticks
from .database import create_accounts, harness_app, session
from .flows import registration_retries
from .postgres import Cluster, Unavailable
from .report import DatabaseOutcome, table
from .servers import REPO, Server, prepare_database, server_env
from .smtp_sink import Sink, count_duplicates
from .tally import Budget

WORKDIR = REPO / "build" / "stress"


@dataclass(frozen=True)
class Plan:
    pairs: int  # double completions raced
    parallel_pairs: int  # pairs racing at the same time (2 clients each)
    throughput_cases: int  # hearings completed by 16 clients
    hour_accounts: int  # company x country accounts with two cases each (FY2025 adopts 15 cases at most)
    tick_rounds: int
    emails_per_round: int
    worker_kills: int
    master_kills: int
    kill_interval: float  # seconds between kills (randomised by ±50 %)
    fuzz_requests: int
    time_limit: float  # seconds, whole run


FULL = Plan(pairs=250, parallel_pairs=8, throughput_cases=200, hour_accounts=6, tick_rounds=3, emails_per_round=100,
            worker_kills=16, master_kills=4, kill_interval=1.0, fuzz_requests=2500, time_limit=600)  # fmt: skip
QUICK = Plan(pairs=16, parallel_pairs=8, throughput_cases=32, hour_accounts=1, tick_rounds=1, emails_per_round=30,
             worker_kills=2, master_kills=1, kill_interval=0.5, fuzz_requests=200, time_limit=150)  # fmt: skip


def say(text: str = "") -> None:
    print(text, flush=True)


def _scenario(outcome: DatabaseOutcome, key: str, title: str, budget: Budget, work: Callable[[], Any]) -> Any:
    if budget.expired():
        outcome.failures.append(f"{title}: time limit reached before it started")
        say(f"\n[{outcome.name}] {title}: skipped, time limit reached")
        return None
    say(f"\n[{outcome.name}] {title}")
    started = time.monotonic()
    try:
        result = work()
    except Exception as exc:  # noqa: BLE001 - a scenario that cannot run is reported, and the others still run
        outcome.failures.append(f"{title}: {type(exc).__name__}: {exc}".splitlines()[0][:300])
        say(f"  could not run: {type(exc).__name__}: {exc}")
        say("  " + "  ".join(traceback.format_exc().splitlines(keepends=True)[-6:]))
        return None
    outcome.results[key] = result
    for line in result.lines():
        say(f"  {line}")
    say(f"  ({time.monotonic() - started:.1f} s)")
    return result


def run_database(name: str, url: str, plan: Plan, sink: Sink, budget: Budget, seed: int,
                 servers: list[Server]) -> DatabaseOutcome:  # fmt: skip
    outcome = DatabaseOutcome(name)
    env = server_env(url, sink.port)
    say(f"\n=== {name}: preparing ({url.split('@')[-1] if '@' in url else url})")
    prepare_database(env)
    app = harness_app(url)
    tokens = create_accounts(app)
    server = Server(env, WORKDIR / f"{name}-gunicorn.log")
    servers.append(server)
    server.start()
    say(f"  gunicorn on 127.0.0.1:{server.port}, workers {server.worker_pids()}, log {server.log_path}")
    rng = random.Random(seed)
    staff, expert = server.api(tokens["staff"]), server.api(tokens["expert_cn"])
    try:
        sink.phase = f"{name} setup"
        accounts: list[hours_cap.Account] = []
        singles: list[int] = []

        def hours() -> hours_cap.HoursResult:
            accounts[:], singles[:] = hours_cap.prepare(staff, expert, plan.hour_accounts, extra_cases=1)
            return hours_cap.run(server, tokens, app, accounts, budget)

        sink.phase = f"{name} hours"
        _scenario(outcome, "hours", "2. concurrent hours entries, same company x country, two cases", budget, hours)
        sink.phase = f"{name} double"
        _scenario(
            outcome,
            "double",
            "1. concurrent double completions of the hearing",
            budget,
            lambda: double_completion.run(server, tokens, app, plan.pairs, plan.parallel_pairs, budget),
        )
        sink.phase = f"{name} throughput"
        _scenario(
            outcome,
            "throughput",
            "completions/s at 16 clients",
            budget,
            lambda: throughput.run(server, tokens, plan.throughput_cases, budget),
        )
        _scenario(
            outcome,
            "ticks",
            "3. two concurrent `flask tick` with an SMTP sink",
            budget,
            lambda: ticks.run(server.env, app, sink, name, plan.tick_rounds, plan.emails_per_round, budget),
        )
        sink.phase = f"{name} kills"

        def kill_run() -> kills.KillResult:
            if not singles:
                raise RuntimeError("no case in service for the ledger check (scenario 2's set-up did not run)")
            return kills.run(
                server, tokens, app, singles[0], plan.worker_kills, plan.master_kills, rng, plan.kill_interval
            )

        _scenario(outcome, "kills", "4. kill -9 of workers and master under load, then consistency", budget, kill_run)
        sink.phase = f"{name} fuzz"
        _scenario(
            outcome,
            "fuzz",
            "5. fuzz run over the documented API",
            budget,
            lambda: fuzz.run(server, tokens, seed, plan.fuzz_requests),
        )
    finally:
        server.stop()
        servers.remove(server)
        with session(app) as s:
            s.get_bind().dispose()
    _conclude(outcome, sink, server.workers)
    return outcome


def _conclude(outcome: DatabaseOutcome, sink: Sink, workers: int) -> None:
    """Duplicate emails over the whole run on this database, every 5xx in one list; both also written to files."""
    name = outcome.name
    time.sleep(1.0)  # the last deliveries
    mine = [d for d in sink.snapshot() if d.phase.startswith(f"{name} ")]
    killed = outcome.results.get("kills")
    crashes = killed.worker_kills + killed.master_kills * workers if killed else 0
    duplicates = count_duplicates(mine, crashes)
    outcome.duplicate_emails = duplicates.unexpected
    with (WORKDIR / f"{name}-emails.tsv").open("w") as out:
        out.writelines(f"{d.phase}\t{d.recipient}\t{d.subject}\t{d.message_id}\n" for d in mine)
    for result in outcome.results.values():
        outcome.errors += getattr(result, "tally", None).errors if hasattr(result, "tally") else []
    with (WORKDIR / f"{name}-5xx.txt").open("w") as out:
        out.writelines(f"[{e.scenario}] {e.line()}\n" for e in outcome.errors)
    say(f"\n[{name}] all {len(mine)} emails at the sink: {duplicates.line()}")
    say(f"[{name}] 5xx responses in all scenarios: {len(outcome.errors)} (listed in {WORKDIR / f'{name}-5xx.txt'})")
    if registration_retries:
        retried = ", ".join(f"{n} x {message}" for message, n in registration_retries.items())
        say(f"[{name}] set-up registrations sent again after a 409: {retried}")
        registration_retries.clear()


def _watchdog(seconds: float, servers: list[Server]) -> threading.Timer:
    def expire() -> None:
        say(f"\nTIME LIMIT: the run passed {seconds:.0f} s; stopping the servers and exiting.")
        for server in list(servers):
            server.stop()
        os._exit(2)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    return timer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small bounded run (about 2 minutes)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    parser.add_argument("--seed", type=int, default=20250701, help="random seed (kills, fuzz)")
    for name in ("pairs", "fuzz", "worker-kills", "master-kills", "hour-accounts", "time-limit"):
        parser.add_argument(f"--{name}", type=float if name == "time-limit" else int)
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    overrides = {"pairs": args.pairs, "fuzz_requests": args.fuzz, "worker_kills": args.worker_kills,
                 "master_kills": args.master_kills, "hour_accounts": args.hour_accounts,
                 "time_limit": args.time_limit}  # fmt: skip
    plan = replace(plan, **{k: v for k, v in overrides.items() if v is not None})
    if plan.hour_accounts * 2 + 1 > 15:
        parser.error("--hour-accounts: FY2025 adopts 15 cases at most (2 per account + 1)")
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir(parents=True)
    say(f"Stress harness ({'quick' if args.quick else 'full'}): {plan}")
    servers: list[Server] = []
    watchdog = _watchdog(plan.time_limit + 90, servers)
    sink = Sink()
    sink.start()
    started = time.monotonic()
    outcomes: list[DatabaseOutcome] = []
    try:
        names = [args.only] if args.only else ["sqlite", "postgresql"]
        for index, name in enumerate(names):
            share = (plan.time_limit - (time.monotonic() - started)) / (len(names) - index)
            budget = Budget(share)
            if name == "sqlite":
                url = f"sqlite:///{WORKDIR / 'stress.sqlite3'}"
                outcomes.append(run_database(name, url, plan, sink, budget, args.seed, servers))
                continue
            try:
                with Cluster() as url:
                    outcomes.append(run_database(name, url, plan, sink, budget, args.seed, servers))
            except Unavailable as exc:
                say(f"\n=== postgresql: skipped: {exc}")
                outcomes.append(DatabaseOutcome(name, skipped=str(exc)))
    finally:
        sink.stop()
        watchdog.cancel()
    lines, met = table(outcomes)
    say(f"\nSummary ({time.monotonic() - started:.0f} s; logs and 5xx lists in {WORKDIR}):")
    for line in lines:
        say(f"  {line}")
    say("All targets met." if met else "Targets MISSED (see above).")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
