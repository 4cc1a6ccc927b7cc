"""Two people complete the same task at the same moment: one wins, the other gets 409, state intact."""

from __future__ import annotations

import threading

from webapp.extensions import db
from webapp.models import HumanTask, ProcessInstance

from .lifecycle import HEARING_OK, complete, open_task, register


def test_concurrent_double_completion_gives_one_success_and_one_conflict(app, api_as):
    staff, staff2 = api_as("staff"), api_as("staff2")
    case = register(staff, "FY2025", ["TH"], "2025-07-01")
    assert (
        complete(
            staff, open_task(staff, case["id"], "receipt_confirmation")["id"], {"sealed_pdf_confirmed": True}
        ).status_code
        == 200
    )
    hearing = open_task(staff, case["id"], "hearing")

    barrier = threading.Barrier(2)
    results: list[tuple[int, dict]] = []

    def worker(api):
        barrier.wait()
        response = complete(api, hearing["id"], HEARING_OK)
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=worker, args=(api,)) for api in (staff, staff2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    codes = sorted(code for code, _ in results)
    assert codes == [200, 409], results
    loser = next(body for code, body in results if code == 409)
    assert "既に" in loser["error"] or "同時に" in loser["error"]
    with app.app_context():
        instance = db.session.query(ProcessInstance).filter_by(case_id=case["id"]).one()
        assert instance.lock_version == 3  # start, receipt, one hearing
        tasks = db.session.query(HumanTask).filter_by(case_id=case["id"]).order_by(HumanTask.id).all()
        assert [(t.form_key, t.status) for t in tasks] == [
            ("receipt_confirmation", "completed"),
            ("hearing", "completed"),
            ("adoption_decision", "open"),
        ]


def test_applications_registered_at_the_same_moment_all_get_their_own_case_number(app, api_as):
    from .lifecycle import application

    staff = api_as("staff")
    barrier = threading.Barrier(6)
    codes: list[int] = []

    def worker(n: int) -> None:
        body = application("FY2025", ["CN"], "2025-07-01", company_name=f"同時株式会社{n}")
        barrier.wait()
        codes.append(staff.post("/applications", json=body).status_code)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert codes == [201] * 6  # nobody is told to send again
    with app.app_context():
        from webapp.models import Case

        numbers = sorted(c.number for c in db.session.query(Case))
        assert numbers == [f"FY2025-{n:04d}" for n in range(1, 7)]


def test_reading_the_editions_writes_nothing(app, api_as):
    from webapp.models import EditionState

    assert api_as("staff").get("/editions").status_code == 200
    with app.app_context():
        assert db.session.query(EditionState).count() == 0  # a GET stays a read (no SQLite write lock)


def test_taking_the_write_lock_outside_a_transaction_really_takes_it(app):
    """After a rollback (a lost race for the case number) lock_for_write must still BEGIN IMMEDIATE."""
    import sqlite3

    from webapp.extensions import lock_for_write

    with app.app_context():
        db.session.rollback()
        lock_for_write()
        other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
        try:
            try:
                other.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                assert "locked" in str(exc)
            else:
                raise AssertionError("a second writer got the lock: lock_for_write did not take it")
        finally:
            other.close()
            db.session.rollback()
