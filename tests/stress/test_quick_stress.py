"""A bounded version of the stress harness for `make test`: one gunicorn server (4 sync workers) on a SQLite
file, a few concurrent double completions and a small seeded fuzz run over the documented API.

Targets: no lost update, no 5xx. The full harness is `make stress` (tests/stress/run.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from workflows.clock import clock

from . import double_completion, fuzz
from .database import create_accounts, harness_app, session
from .servers import Server, prepare_database, server_env
from .tally import Budget

pytestmark = pytest.mark.stress

FUZZ_SEED = 8
FUZZ_REQUESTS = 200


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Any, dict[str, str]]]:
    workdir = tmp_path_factory.mktemp("stress")
    url = f"sqlite:///{workdir / 'stress.sqlite3'}"
    env = server_env(url, smtp_port=None)  # no SMTP: emails are kept in the outbox
    prepare_database(env)
    app = harness_app(url)
    tokens = create_accounts(app)
    server = Server(env, workdir / "gunicorn.log")
    try:
        server.start()
        yield server, app, tokens
    finally:
        server.stop()
        with session(app) as s:
            s.get_bind().dispose()
        clock.reset()  # harness_app set this process's clock


def test_concurrent_double_completions_lose_no_update_and_answer_no_5xx(served):
    server, app, tokens = served
    result = double_completion.run(server, tokens, app, count=8, parallel_pairs=4, budget=Budget(45))
    report = "\n".join(result.lines())
    assert result.pairs == 8, report
    assert result.lost_updates == 0, report
    assert result.tally.five_xx == 0, report + "\n" + "\n".join(e.line() for e in result.tally.errors)
    assert result.outcomes == {"200+409": 8}, report


def test_fuzzed_api_requests_answer_no_5xx(served):
    server, _app, tokens = served
    result = fuzz.run(server, tokens, seed=FUZZ_SEED, count=FUZZ_REQUESTS)
    assert sum(result.tally.classes.values()) == FUZZ_REQUESTS
    assert result.tally.five_xx == 0, "\n".join(result.lines())
