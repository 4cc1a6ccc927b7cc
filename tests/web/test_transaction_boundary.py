"""The request owns the transaction: operations only flush; the boundary commits once when the answer is a
success and keeps nothing when it is a refusal or an error."""

from __future__ import annotations

import pytest
from flask import jsonify

from webapp.extensions import db
from webapp.models import AuditEvent, Case, HoursEntry, HumanTask, User
from webapp.operations import cases as case_ops
from webapp.operations import hours as hours_ops
from webapp.operations import tasks as task_ops

from .lifecycle import adopt, application, open_task, register
from .service import into_service


def audit_count(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.query(AuditEvent).filter_by(action="probe").count()


@pytest.fixture
def probe_routes(app):  # type: ignore[no-untyped-def]
    """Views that write, then answer with the given status (or raise)."""

    @app.post("/probe/<int:status>")
    def probe(status: int):  # type: ignore[no-untyped-def]
        db.session.add(AuditEvent(action="probe"))
        db.session.flush()
        if status == 500:
            raise RuntimeError("the view failed after writing")
        return jsonify(ok=True), status

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app.test_client()


def test_a_success_commits_and_a_refusal_or_an_error_keeps_nothing(app, probe_routes):
    assert probe_routes.post("/probe/200").status_code == 200
    assert audit_count(app) == 1
    for status in (400, 403, 409, 422, 500):
        assert probe_routes.post(f"/probe/{status}").status_code == status
        assert audit_count(app) == 1, status


def _user(name: str) -> User:
    return db.session.query(User).filter_by(username=name).one()


def test_operations_flush_and_leave_the_commit_to_their_caller(app, api_as):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["CN"], "2025-07-01")
    task = open_task(staff, case["id"], "receipt_confirmation")
    with app.app_context():
        task_ops.claim(_user("staff"), task["id"])
        case_ops.register_application(_user("staff"), _parsed_application(), {})
        db.session.rollback()
        assert db.session.get(HumanTask, task["id"]).assignee_id is None
        assert db.session.query(Case).count() == 1

    adopt(staff, case["id"])
    into_service(api_as, case["id"])
    with app.app_context():
        the_case = db.session.get(Case, case["id"])
        entry = {"country": "CN", "work_date": "2025-09-01", "activity": "meeting", "hours": "2", "note": ""}
        hours_ops.add_entry(_user("expert_cn"), the_case, entry)
        db.session.rollback()
        assert db.session.query(HoursEntry).count() == 0


def _parsed_application() -> dict:
    from werkzeug.datastructures import MultiDict

    from forms import TaskContext, build_form
    from webapp.api import to_multidict
    from workflows.editions import load_editions

    data: MultiDict = to_multidict(application("FY2025", ["TH"], "2025-07-01"))
    form = build_form("application", context=TaskContext(editions=load_editions()), formdata=data, csrf=False)
    assert form.validate(), form.errors
    return form.to_task_data()
