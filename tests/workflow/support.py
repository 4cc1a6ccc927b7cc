"""Helpers for driving the support-program process through the engine adapter.

Every action goes through a persisted round-trip: the instance is dumped to JSON and restored
from it after each step, as the web application does between requests.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflows.engine import Definition, Instance, ThrownMessage, UserTaskInfo

ROOT = Path(__file__).resolve().parents[2]
BPMN_FILE = ROOT / "workflows" / "bpmn" / "support_program.bpmn"
DMN_FILES = sorted((ROOT / "workflows" / "dmn").glob("*.dmn"))
PROCESS_ID = "trade_secret_support"

FORM_KEYS = [
    "receipt_confirmation",
    "hearing",
    "adoption_decision",
    "forms_submission",
    "expert_briefing",
    "plan_confirmation",
    "service_delivery",
    "follow_up",
    "publicity",
]

JST = dt.timezone(dt.timedelta(hours=9))

# An instant inside each edition's application window, used as "now" when a case starts.
DEFAULT_NOW = {
    "FY2021": dt.datetime(2021, 7, 20, 10, 0, tzinfo=JST),
    "FY2025": dt.datetime(2025, 7, 1, 10, 0, tzinfo=JST),
}

# Hearing answers that satisfy every requirement of every edition.
ELIGIBLE_HEARING: dict[str, Any] = {
    "domestic_experience": "yes",
    "willing_to_build": True,
    "publicity_consent": True,
}
# What the hearing records per target country's site (the same for each unless a test says otherwise).
ELIGIBLE_SITE: dict[str, Any] = {"site_status": "existing", "applied_by_japan_side": False, "site_wants_service": True}


def hearing_data(countries: list[str], **hearing: Any) -> dict[str, Any]:
    """The hearing's answers; site answers given plainly (site_status=...) apply to every target country."""
    site = {**ELIGIBLE_SITE, **{key: hearing.pop(key) for key in ELIGIBLE_SITE if key in hearing}}
    sites = hearing.pop("sites", None) or {code: dict(site) for code in countries}
    return {**ELIGIBLE_HEARING, **hearing, "sites": sites}


COUNTRY_STEPS = ("ExpertBriefing", "ConfirmPlan", "DeliverService", "FollowUp")


@dataclass
class Case:
    definition: Definition
    instance: Instance
    thrown: list[ThrownMessage] = field(default_factory=list)
    dumps: int = 0

    # -- persistence

    def persist(self) -> None:
        """Dump the instance and continue with one restored from the JSON (as between two requests)."""
        state = self.instance.dump()
        assert "spec" not in json.loads(state)
        self.instance = Instance.restore(self.definition, state)
        self.dumps += 1

    # -- reading

    def ready(self, name: str | None = None, country: str | None = None) -> list[UserTaskInfo]:
        return [
            t
            for t in self.instance.ready_user_tasks()
            if (name is None or t.name == name) and (country is None or t.country == country)
        ]

    def ready_names(self) -> list[tuple[str, str | None]]:
        return sorted((t.name, t.country) for t in self.instance.ready_user_tasks())

    def task(self, name: str, country: str | None = None) -> UserTaskInfo:
        matches = self.ready(name, country)
        assert len(matches) == 1, f"expected one ready {name} ({country}), got {self.ready_names()}"
        return matches[0]

    def thrown_names(self) -> list[str]:
        return [m.name for m in self.thrown]

    # -- acting (each followed by a persisted round-trip)

    def complete(
        self, name: str, data: dict[str, Any] | None = None, *, country: str | None = None
    ) -> list[ThrownMessage]:
        task = self.task(name, country)
        messages = self.instance.complete(task.id, data or {})
        self.thrown.extend(messages)
        self.persist()
        return messages

    def fire_timers(self) -> list[ThrownMessage]:
        messages = self.instance.fire_due_timers()
        self.thrown.extend(messages)
        self.persist()
        return messages

    # -- lifecycle shortcuts

    def screen(self, **hearing: Any) -> list[ThrownMessage]:
        """Confirm receipt and record the hearing; returns what the hearing step threw."""
        self.complete("ConfirmReceipt")
        countries = self.task("Hearing").data.get("countries") or []
        return self.complete("Hearing", hearing_data(countries, **hearing))

    def adopt(self) -> list[ThrownMessage]:
        self.screen()
        return self.complete("DecideAdoption", {"decision": "adopt"})

    def to_briefings(self) -> None:
        self.adopt()
        self.complete("SubmitForms", {"forms_submitted": True})

    def finish_country(self, country: str) -> None:
        for step in COUNTRY_STEPS:
            self.complete(step, country=country)
