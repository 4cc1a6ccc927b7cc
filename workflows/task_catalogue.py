"""English names and instructions of user tasks, keyed by BPMN element id, from the `*.tasks.toml` files next to
the diagrams (workflows/bpmn/support_program.tasks.toml), so a designer adds the translation with the diagram.
The Japanese is the diagram's own name and instructions."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

BPMN_DIR = Path(__file__).parent / "bpmn"


@dataclass(frozen=True)
class TaskText:
    name_en: str = ""
    instructions_en: str = ""


class CatalogueError(ValueError):
    pass


@cache
def load_catalogue(directory: Path = BPMN_DIR) -> dict[str, TaskText]:
    catalogue: dict[str, TaskText] = {}
    for path in sorted(directory.glob("*.tasks.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        for element_id, entry in raw.items():
            if not isinstance(entry, dict) or set(entry) - {"name_en", "instructions_en"}:
                raise CatalogueError(f"{path.name}: [{element_id}] takes name_en and instructions_en only")
            catalogue[element_id] = TaskText(str(entry.get("name_en", "")), str(entry.get("instructions_en", "")))
    return catalogue


def task_text(element_id: str) -> TaskText:
    return load_catalogue().get(element_id, TaskText())
