"""Scenario 2: the hours cap under concurrency. One company applies twice (same corporate number) for the same
country; both cases are adopted and brought into service. Then, again and again, the country's expert posts
two entries at the same instant, one on each case, sized so that exactly one of them fits under what remains
(12 h + 12 h against 23 h, then 6 + 6 against 11, ...). A cap overrun is a company × country account whose
accepted entries add up to more than the cap."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from decimal import Decimal

from flask import Flask
from sqlalchemy import func

from webapp.models import HoursEntry

from .client import Api
from .database import session
from .flows import post_hours, register, to_service
from .servers import Server
from .tally import Budget, Tally

CAP = Decimal(23)  # FY2025, every country
COUNTRY = "CN"


@dataclass
class Account:
    company: str
    case_ids: list[int]
    company_id: int = 0


@dataclass
class HoursResult:
    accounts: int = 0
    tries: int = 0
    both_accepted: int = 0
    overrun_accounts: int = 0  # from the accepted answers
    overrun_accounts_in_db: int = 0  # from the ledger
    tally: Tally = field(default_factory=lambda: Tally("hours cap"))
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"accounts: {self.accounts} (2 cases each); racing pairs of entries: {self.tries}; "
            f"pairs where both were accepted: {self.both_accepted}",
            f"cap overruns: {self.overrun_accounts} account(s) by the answers, {self.overrun_accounts_in_db} "
            f"by the ledger (cap {CAP} h)",
            self.tally.summary(),
            *self.notes[:10],
        ]


def prepare(staff: Api, expert: Api, accounts: int, extra_cases: int = 0) -> tuple[list[Account], list[int]]:
    """Registers and drives the cases in order of receipt (first come, first served allows nothing else).
    Received before every other scenario's cases, so that none of those blocks the adoptions. Returns the
    accounts and `extra_cases` single cases in service (for the kill scenario's ledger)."""
    made: list[Account] = []
    singles: list[int] = []
    for n in range(accounts + extra_cases):
        company = f"上限検証株式会社{n:03d}"
        corporate_number = f"{9000000000000 + n:013d}"
        count = 2 if n < accounts else 1
        cases = [register(staff, "2025-06-02", company=company, countries=[COUNTRY],
                          corporate_number=corporate_number) for _ in range(count)]  # fmt: skip
        for case in cases:
            to_service(staff, expert, case, COUNTRY)
        if n < accounts:
            made.append(Account(company, [c["id"] for c in cases]))
        else:
            singles.append(cases[0]["id"])
    return made, singles


def _race(expert: Api, account: Account, hours: Decimal, tally: Tally) -> list[int]:
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def go(case_id: int) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=30)
        response = post_hours(expert, case_id, COUNTRY, f"{hours}")
        statuses.append(tally.add("POST", f"/cases/{case_id}/hours", response).status)

    threads = [threading.Thread(target=go, args=(case_id,)) for case_id in account.case_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _race_size(remaining: Decimal) -> Decimal | None:
    """The smallest quarter-hour amount a with a <= remaining < 2a: one entry fits, two do not."""
    quarters = int(remaining * 4)
    if quarters < 1:
        return None
    return Decimal(quarters // 2 + 1) / 4 if quarters > 1 else Decimal("0.25")


def run(server: Server, tokens: dict[str, str], app: Flask, accounts: list[Account], budget: Budget) -> HoursResult:
    result = HoursResult(accounts=len(accounts))
    expert = server.api(tokens["expert_cn"])
    for account in accounts:
        accepted = Decimal(0)
        while not budget.expired():
            size = _race_size(CAP - accepted)
            if size is None:
                break
            statuses = _race(expert, account, size, result.tally)
            result.tries += 1
            ok = sum(1 for s in statuses if s == 201)
            accepted += size * ok
            if ok == 2:
                result.both_accepted += 1
            if ok == 0:
                result.notes.append(f"  {account.company}: neither of two {size} h entries accepted: {statuses}")
                break
        if accepted > CAP:
            result.overrun_accounts += 1
            result.notes.append(f"  {account.company}: accepted {accepted} h against a cap of {CAP} h")
    with session(app) as s:
        for account in accounts:
            total = (
                s.query(func.coalesce(func.sum(HoursEntry.hours), 0))
                .filter(HoursEntry.case_id.in_(account.case_ids), HoursEntry.counted.is_(True))
                .scalar()
            )
            if Decimal(str(total)) > CAP:
                result.overrun_accounts_in_db += 1
    return result
