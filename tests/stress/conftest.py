"""The bounded stress test (test_quick_stress.py) runs in `make test`; its marker lets it be chosen or left out
(`-m stress`, `-m "not stress"`)."""

from __future__ import annotations

from typing import Any


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "stress: real gunicorn server under concurrency and fuzzing (tests/stress)")
