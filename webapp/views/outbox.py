"""The outbox (admins): every email the system wrote, with its delivery status; kept here when no SMTP is set."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..extensions import db
from ..models import Case, EmailStatus, OutboxEmail, Role
from .cases import EMAIL_STATUS_LABELS, page_number

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")

PER_PAGE = 30


@bp.before_request
@login_required
def _admins_only():  # type: ignore[no-untyped-def]
    if current_user.role != Role.ADMIN:
        abort(403)


@bp.get("", strict_slashes=False)
def index():  # type: ignore[no-untyped-def]
    status = request.args.get("status", "")
    clauses = [OutboxEmail.status == status] if status in {s.value for s in EmailStatus} else []
    total = db.session.scalar(select(func.count(OutboxEmail.id)).where(*clauses)) or 0
    page = page_number()
    emails = db.session.execute(
        select(OutboxEmail, Case.number)
        .outerjoin(Case, Case.id == OutboxEmail.case_id)
        .where(*clauses)
        .order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    counts = dict(
        db.session.execute(select(OutboxEmail.status, func.count(OutboxEmail.id)).group_by(OutboxEmail.status)).all()
    )
    return render_template(
        "outbox/index.html",
        emails=emails,
        total=total,
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        counts=counts,
        status_labels=EMAIL_STATUS_LABELS,
    )
