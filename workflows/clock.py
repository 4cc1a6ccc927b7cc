"""The one clock every part of the system reads (engine timers included).

It runs on real time by default; tests and the demo set it to a chosen instant, either frozen or
moving on from there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self) -> None:
        self._fixed: datetime | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        if self._fixed is not None:
            return self._fixed
        return datetime.now(UTC) + self._offset

    def set(self, instant: datetime, *, frozen: bool = True) -> None:
        """Make `now()` return `instant`; when not frozen, time moves on from it."""
        if instant.tzinfo is None:
            raise ValueError("clock instants must carry a timezone offset")
        instant = instant.astimezone(UTC)
        if frozen:
            self._fixed, self._offset = instant, timedelta(0)
        else:
            self._fixed, self._offset = None, instant - datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        if self._fixed is not None:
            self._fixed += delta
        else:
            self._offset += delta

    def reset(self) -> None:
        self._fixed, self._offset = None, timedelta(0)


clock = Clock()
