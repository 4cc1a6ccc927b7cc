"""The final table: per database, each target's count (all targets are zero) and the throughput."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .tally import ServerError


@dataclass
class DatabaseOutcome:
    name: str
    skipped: str | None = None
    failures: list[str] = field(default_factory=list)  # scenarios that could not run (counted as missed)
    results: dict[str, Any] = field(default_factory=dict)
    duplicate_emails: int | None = None
    errors: list[ServerError] = field(default_factory=list)

    def value(self, target: str) -> int | None:
        r = self.results
        if target == "lost updates":
            return r["double"].lost_updates if "double" in r else None
        if target == "5xx responses":
            return len(self.errors) if r else None
        if target == "duplicate emails":
            return self.duplicate_emails
        if target == "cap overruns":
            hours = r.get("hours")
            return max(hours.overrun_accounts, hours.overrun_accounts_in_db) if hours else None
        if target == "inconsistencies after kills":
            return r["kills"].report.total if "kills" in r else None
        if target == "failed tick runs":
            return len(r["ticks"].tick_failures) if "ticks" in r else None
        if target == "workers outliving a killed master":
            return r["kills"].workers_outliving_master if "kills" in r else None
        raise KeyError(target)

    def rate(self) -> str:
        t = self.results.get("throughput")
        return f"{t.rate:.1f}" if t else "n/a"


TARGETS = ["lost updates", "5xx responses", "duplicate emails", "failed tick runs", "cap overruns",
           "inconsistencies after kills", "workers outliving a killed master"]  # fmt: skip


def table(outcomes: list[DatabaseOutcome]) -> tuple[list[str], bool]:
    """Returns the lines and whether every target was met (a target not measured is not met)."""
    width = 36
    head = f"{'':<{width}}" + "".join(f"{o.name:>14}" for o in outcomes) + f"{'target':>10}"
    lines = [head, "-" * len(head)]
    met = True
    for target in TARGETS:
        cells = []
        for o in outcomes:
            if o.skipped:
                cells.append("skipped")
                continue
            value = o.value(target)
            cells.append("n/a" if value is None else str(value))
            met = met and value == 0
        lines.append(f"{target:<{width}}" + "".join(f"{c:>14}" for c in cells) + f"{0:>10}")
    lines.append(f"{'completions/s at 16 clients':<{width}}"
                 + "".join(f"{'skipped' if o.skipped else o.rate():>14}" for o in outcomes) + f"{'-':>10}")  # fmt: skip
    for o in outcomes:
        if o.errors:
            by_scenario = Counter(e.scenario for e in o.errors)
            lines.append(f"{o.name}: 5xx by scenario: " + ", ".join(f"{k} {v}" for k, v in by_scenario.items()))
        if o.skipped:
            lines.append(f"{o.name}: skipped: {o.skipped}")
        for failure in o.failures:
            lines.append(f"{o.name}: not measured: {failure}")
            met = False
    return lines, met
