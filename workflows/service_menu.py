"""The service menu: (A) consultation items and (B) training topics, read from service_menu.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MENU_FILE = Path(__file__).parent / "service_menu.toml"


@dataclass(frozen=True)
class MenuItem:
    code: str
    name_ja: str
    name_en: str
    group_ja: str = ""
    audiences: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceMenu:
    consultation: tuple[MenuItem, ...]
    training: tuple[MenuItem, ...]


@cache
def load_service_menu(path: Path = MENU_FILE) -> ServiceMenu:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))

    def items(key: str) -> tuple[MenuItem, ...]:
        return tuple(MenuItem(**{**row, "audiences": tuple(row.get("audiences", ()))}) for row in raw[key])

    return ServiceMenu(consultation=items("consultation"), training=items("training"))
