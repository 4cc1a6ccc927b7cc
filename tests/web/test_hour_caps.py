"""The cap belongs to a cap account — company x country x edition — and holds under concurrency: the check and
the insert of two entries for one account are serialised, even when they are logged on two different cases."""

from __future__ import annotations

import threading
from typing import Any

from tests.fixtures import DEMO_NOW
from webapp.extensions import db
from webapp.models import HourAccount, HoursEntry

from .lifecycle import adopt, register
from .service import into_service
from .test_rules import FY2021_OPEN, hours_of, log_hours


def _at_once(*calls: Any) -> list[Any]:
    """Runs the calls in threads released together; returns their responses in call order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Any) -> None:
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_entries_on_two_cases_of_one_company_cannot_pass_the_cap_together(app, api_as):
    """「1社あたり…1カ国・地域につき23時間まで」: per company, so two cases of one company share the 23 hours."""
    staff, expert = api_as("staff"), api_as("expert_cn")
    first = register(staff, "FY2025", ["CN"], "2025-07-01")
    second = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, first["id"])
    adopt(staff, second["id"])
    into_service(api_as, first["id"])
    into_service(api_as, second["id"])
    for attempt in range(3):  # a race lost by luck once would not show the rule; three rounds of 12 + 12 > 23
        responses = _at_once(
            lambda: log_hours(expert, first["id"], "CN", "12"),
            lambda: log_hours(expert, second["id"], "CN", "12"),
        )
        codes = sorted(r.status_code for r in responses)
        assert codes == ([201, 422] if attempt == 0 else [422, 422]), [r.get_json() for r in responses]
    assert hours_of(staff, first["id"], "CN")["used"] == 12.0
    with app.app_context():
        assert db.session.query(HoursEntry).count() == 1
        assert db.session.query(HourAccount).count() == 1  # one account for the company in China, FY2025


def test_hours_of_an_earlier_edition_do_not_count_against_this_editions_cap(app, api_as, set_clock):
    """The cap is per edition's program: 17 h used in China in FY2021 leave the full 23 h in FY2025."""
    staff, expert = api_as("staff"), api_as("expert_cn")
    set_clock(FY2021_OPEN)
    earlier = register(staff, "FY2021", ["CN"], "2021-08-02")
    adopt(staff, earlier["id"])
    into_service(api_as, earlier["id"])
    assert log_hours(expert, earlier["id"], "CN", "17", work_date="2021-10-01").status_code == 201

    set_clock(DEMO_NOW)
    later = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, later["id"])
    into_service(api_as, later["id"])
    assert hours_of(staff, later["id"], "CN")["remaining"] == 23.0
    accepted = log_hours(expert, later["id"], "CN", "23")
    assert accepted.status_code == 201, accepted.get_json()
    assert accepted.get_json()["remaining"] == 0.0
    assert hours_of(staff, earlier["id"], "CN")["used"] == 17.0  # FY2021's account is untouched
    with app.app_context():
        editions = sorted(e for (e,) in db.session.query(HoursEntry.edition))
        assert editions == ["FY2021", "FY2025"]
