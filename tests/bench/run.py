"""`make bench`: prints a table of timings and ratios against the aims of the performance issue.

    .venv/bin/python -m tests.bench.run             # the whole benchmark (about a minute or two)
    .venv/bin/python -m tests.bench.run --profile   # also: cProfile of the completion step

Aims (issue 8, item 7), each a ratio or a time within one run: task completion at or under the plain floor
(median) and under 4x the raw engine step (p95); the inbox query at 100k open cases under 1.5x its time at 1k
(staff and expert); the inbox page at 10k cases under 60 ms at p95.
"""

from __future__ import annotations

import argparse
import logging
import platform
import sqlite3
import tempfile
import time
import warnings
from pathlib import Path

from . import completion, inbox
from .harness import Stats, make_app, stopwatch

FLOOR_RATIO_AIM = 1.0  # completion median / floor median: at or under
ENGINE_RATIO_AIM = 4.0  # completion p95 / engine step p95: under
INBOX_RATIO_AIM = 1.5  # inbox query median at 100k / at 1k: under
INBOX_PAGE_P95_AIM_MS = 60.0


def _verdict(ok: bool) -> str:
    return "meets aim" if ok else "MISSES aim"


def _row(label: str, stats: Stats | None, extra: str = "") -> str:
    if stats is None:
        return f"  {label:<64} {'n/a':>10} {'':>10} {'':>5}  {extra}"
    return f"  {label:<64} {stats.median_ms:>7.2f} ms {stats.p95_ms:>7.2f} ms {stats.n:>5}  {extra}"


def _header(title: str) -> None:
    print(f"\n{title}")
    print(f"  {'measure':<64} {'median':>10} {'p95':>10} {'n':>5}")


def bench_completion(workdir: Path, samples: int) -> list[tuple[str, bool]]:
    db_file = workdir / "completion.sqlite3"
    app = make_app(db_file)
    with stopwatch(f"completion: {samples} fresh cases + {completion.WARM_UP} warm-up"):
        result = completion.run(app, samples, str(db_file))
    ops, engine, floor = result.operations, result.engine, result.floor
    _header("1. Task completion (hearing of a fresh FY2025 case; SQLite file, WAL)")
    print(_row("operations.tasks.complete (validate, restore, save, commit)", ops))
    print(_row("floor: SpiffWorkflow restore + step + serialize + one SQLite row", floor))
    print(_row("engine Instance.complete (in memory, no dump/restore)", engine))
    floor_ratio = ops.median_ms / floor.median_ms
    median_ratio, p95_ratio = ops.median_ms / engine.median_ms, ops.p95_ms / engine.p95_ms
    print(f"  ratio operations / floor: median {floor_ratio:.2f}x, p95 {ops.p95_ms / floor.p95_ms:.2f}x")
    print(f"  ratio operations / engine: median {median_ratio:.2f}x, p95 {p95_ratio:.2f}x")
    plain = result.unrestricted
    print(_row("engine with plain exec/eval (no evaluator, no sandbox)", plain))
    print(
        f"  restricted evaluator + script worker add: median {engine.median_ms - plain.median_ms:+.2f} ms "
        f"({engine.median_ms / plain.median_ms:.2f}x the plain engine step)"
    )
    at_floor = floor_ratio <= FLOOR_RATIO_AIM
    under_engine = p95_ratio < ENGINE_RATIO_AIM
    print(f"  aim completion <= floor (median): {floor_ratio:.2f}x -> {_verdict(at_floor)}")
    print(f"  aim completion < {ENGINE_RATIO_AIM:.0f}x engine (p95): {p95_ratio:.2f}x -> {_verdict(under_engine)}")
    return [
        ("completion <= floor (median)", at_floor),
        (f"completion < {ENGINE_RATIO_AIM:.0f}x engine (p95)", under_engine),
    ]


def bench_inbox(workdir: Path, small: int, medium: int, large: int) -> list[tuple[str, bool]]:
    app = make_app(workdir / "inbox.sqlite3")
    real_case = inbox.register_real_cases(app)
    with stopwatch(f"bulk insert to {small:,} cases"):
        inbox.grow_to(app, small)
    users = ("staff", "expert_cn")
    at_small = {u: inbox.time_inbox_query(app, u, reps=30) for u in users}
    with stopwatch(f"bulk insert to {medium:,} cases"):
        inbox.grow_to(app, medium)
    pages = inbox.time_pages(app, real_case, reps=15)
    with stopwatch(f"bulk insert to {large:,} cases"):
        inbox.grow_to(app, large)
    at_large = {u: inbox.time_inbox_query(app, u, reps=15) for u in users}

    verdicts = []
    _header("2. Inbox query (queries.inbox_query: first page of 50, default sort by due date, fresh session)")
    for username, label in (("staff", "staff (all tasks)"), ("expert_cn", "expert CN+TH")):
        small_times, large_times = at_small[username], at_large[username]
        for cases, times in ((small, small_times), (large, large_times)):
            print(_row(f"{label}, {cases:,} open cases ({times.total_label} open tasks)", times.query))
            print(_row("    of which the (capped) count alone", times.count))
        ratio = large_times.query.median_ms / small_times.query.median_ms
        ok = ratio < INBOX_RATIO_AIM
        print(f"  ratio {large:,} / {small:,} (median): {ratio:.2f}x -> {_verdict(ok)} (aim < {INBOX_RATIO_AIM}x)")
        verdicts.append((f"inbox query growth < {INBOX_RATIO_AIM}x, {label}", ok))

    _header(f"3. Pages, server side (Flask test client, signed in as staff, {medium:,} cases)")
    for page in pages:
        if page.path is None:
            print(f"  {page.label:<64} n/a (page not present)")
        elif page.stats is None:
            print(f"  {page.label:<64} n/a ({page.note})")
        else:
            print(_row(page.label, page.stats, f"HTTP {page.status}, {page.statements} SQL statements per request"))
    inbox_page = pages[0].stats
    ok = inbox_page is not None and inbox_page.p95_ms < INBOX_PAGE_P95_AIM_MS
    shown = f"{inbox_page.p95_ms:.2f} ms" if inbox_page else "n/a"
    print(f"  aim inbox page p95 < {INBOX_PAGE_P95_AIM_MS:.0f} ms: {shown} -> {_verdict(ok)}")
    verdicts.append((f"inbox page p95 < {INBOX_PAGE_P95_AIM_MS:.0f} ms", ok))
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=200, help="completions to time (default 200)")
    parser.add_argument("--large", type=int, default=100_000, help="open cases for the large inbox (default 100000)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the completion step")
    args = parser.parse_args()
    if args.large <= 10_000:
        parser.error("--large must be above 10000 (the pages are timed at 10,000 cases on the way)")
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    print(f"Benchmark on Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}")
    with tempfile.TemporaryDirectory(prefix="tss-bench-") as tmp:
        workdir = Path(tmp)
        verdicts = bench_completion(workdir, args.samples)
        verdicts += bench_inbox(workdir, 1_000, 10_000, args.large)
        if args.profile:
            print("\n4. cProfile of 100 completions through the operations layer")
            print(completion.profile(make_app(workdir / "profile.sqlite3"), 100))
    print("\nAims")
    for label, ok in verdicts:
        print(f"  {label:<64} {_verdict(ok)}")
    print(f"\nTotal bench time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
