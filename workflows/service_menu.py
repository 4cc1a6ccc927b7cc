"""The service menu: (A) consultation items, (B) training topics with their audiences, and the kinds of work the
hours ledger records (which of them count toward the cap), read from service_menu.toml."""

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

    def suits(self, audience: str) -> bool:
        """Whether the topic is meant for that audience ("managers", "employees")."""
        return audience in self.audiences


@dataclass(frozen=True)
class ActivityKind:
    code: str
    name_ja: str
    name_en: str
    counted: bool  # counts toward the cap (the expert's travel does not)
    follow_up: bool = False  # the follow-up meeting: may use the hours kept for it


@dataclass(frozen=True)
class ServiceMenu:
    consultation: tuple[MenuItem, ...]
    training: tuple[MenuItem, ...]
    activities: tuple[ActivityKind, ...] = ()
    other_item: MenuItem | None = None  # 「その他（専門家と協議）」: an item agreed outside the example menu

    @property
    def counted_activities(self) -> frozenset[str]:
        return frozenset(a.code for a in self.activities if a.counted)

    @property
    def follow_up_activities(self) -> frozenset[str]:
        return frozenset(a.code for a in self.activities if a.follow_up)

    def training_topic(self, code: str) -> MenuItem | None:
        return next((i for i in self.training if i.code == code), None)


@cache
def load_service_menu(path: Path = MENU_FILE) -> ServiceMenu:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))

    def items(key: str) -> tuple[MenuItem, ...]:
        return tuple(MenuItem(**{**row, "audiences": tuple(row.get("audiences", ()))}) for row in raw[key])

    other = raw.get("other_item")
    return ServiceMenu(
        consultation=items("consultation"),
        training=items("training"),
        activities=tuple(ActivityKind(**row) for row in raw.get("activity", ())),
        other_item=MenuItem(**other) if other else None,
    )
