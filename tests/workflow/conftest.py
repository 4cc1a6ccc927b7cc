from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from workflows.clock import clock
from workflows.editions import get_edition
from workflows.engine import Definition, Instance, parse_definition

from .support import BPMN_FILE, DEFAULT_NOW, DMN_FILES, FORM_KEYS, PROCESS_ID, Case


@pytest.fixture(autouse=True)
def reset_clock() -> Iterator[None]:
    yield
    clock.reset()


@pytest.fixture(scope="session")
def definition() -> Definition:
    return parse_definition(PROCESS_ID, [BPMN_FILE], DMN_FILES, FORM_KEYS)


@pytest.fixture
def start_case(definition: Definition) -> Callable[..., Case]:
    """Starts a case of an edition with the clock set to `now` (default: in that edition's window)."""

    def start(
        edition: str = "FY2025",
        countries: Iterable[str] = ("CN", "TH"),
        *,
        now: dt.datetime | None = None,
        received_on: str | None = None,
        **extra: Any,
    ) -> Case:
        ed = get_edition(edition)
        assert ed is not None, edition
        now = now or DEFAULT_NOW[edition]
        clock.set(now)
        data = {
            **ed.process_data(),
            "countries": list(countries),
            "received_on": received_on or now.date().isoformat(),
            "company_name": "テスト精機株式会社",
            **extra,
        }
        instance, messages = Instance.start(definition, data)
        case = Case(definition, instance, list(messages))
        case.persist()
        return case

    return start


@pytest.fixture
def edited_bpmn(tmp_path: Path) -> Callable[..., Path]:
    """Writes a copy of support_program.bpmn to tmp_path with textual replacements applied."""

    def edit(*replacements: tuple[str, str]) -> Path:
        text = BPMN_FILE.read_text(encoding="utf-8")
        for old, new in replacements:
            assert text.count(old) == 1, f"expected exactly one {old!r} in the diagram"
            text = text.replace(old, new)
        path = tmp_path / BPMN_FILE.name
        path.write_text(text, encoding="utf-8")
        return path

    return edit
