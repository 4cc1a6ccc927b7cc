"""The hearing starts from the application's answers, so staff confirm rather than retype them."""

from __future__ import annotations

from webapp.extensions import db
from webapp.models import HumanTask, User
from webapp.operations.tasks import task_form

from .lifecycle import complete, open_task, register


def test_hearing_form_is_prefilled_from_the_application(app, api_as):
    staff = api_as("staff")
    sites = {"VN": {"site_type": "factory", "applied_by_japan_side": True}, "TH": {"site_type": "planned"}}
    case = register(staff, "FY2025", ["VN", "TH"], "2025-07-01", domestic_experience="partly", sites=sites)
    complete(staff, open_task(staff, case["id"], "receipt_confirmation")["id"], {"sealed_pdf_confirmed": True})
    hearing_id = open_task(staff, case["id"], "hearing")["id"]
    with app.test_request_context():
        form = task_form(db.session.get(HumanTask, hearing_id))
        assert form.domestic_experience.data == "partly"
        assert form.publicity_consent.data is True
        vn, th = form.sites.form.VN.form, form.sites.form.TH.form  # one group per target country, prefilled
        assert (vn.applied_by_japan_side.data, vn.site_wants_service.data) == (True, False)
        assert th.applied_by_japan_side.data is False
        assert "site_status" not in vn  # FY2025 takes planned sites: not a condition, not asked


def test_a_saved_draft_wins_over_the_application(app, api_as, users):
    staff = api_as("staff")
    case = register(staff, "FY2025", ["VN"], "2025-07-01", domestic_experience="yes")
    complete(staff, open_task(staff, case["id"], "receipt_confirmation")["id"], {"sealed_pdf_confirmed": True})
    hearing_id = open_task(staff, case["id"], "hearing")["id"]
    with app.test_request_context():
        from werkzeug.datastructures import MultiDict

        from webapp.operations.tasks import save_draft

        staff_user = db.session.query(User).filter_by(username="staff").one()
        save_draft(staff_user, hearing_id, MultiDict({"domestic_experience": "no", "hearing_date": "2025-07-03"}))
        form = task_form(db.session.get(HumanTask, hearing_id))
        assert form.domestic_experience.data == "no"
