"""The request owns the transaction: views and operations only flush; the boundary commits once at the end
(or rolls back when the answer is a refusal or an error), then wakes the email delivery.

Modelled on indico's RH lifecycle: load → check access → act → commit → send the queued email.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, request
from flask.wrappers import Response
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError

from . import delivery, idempotency
from .extensions import begin_write, db

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Registered last, so its after-request hook runs first (before headers are added to the answer)."""
    app.before_request(_writes_take_the_lock_first)
    app.before_request(idempotency.replay_if_seen)  # after the lock: a retry waits for the first to commit
    app.after_request(_commit_or_roll_back)
    app.teardown_request(_discard)


def keep_writes_on_refusal() -> None:
    """This request's writes stand although it answers 4xx (a failed sign-in is still counted)."""
    g.keep_writes = True


def _writes_take_the_lock_first() -> None:
    """A request that may write starts its transaction holding SQLite's write lock, so a read-then-write
    never fails half-way; reads (GET) stay concurrent. No effect on PostgreSQL."""
    view = current_app.view_functions.get(request.endpoint or "")
    if request.method not in ("GET", "HEAD", "OPTIONS") and not getattr(view, "reads_first", False):
        begin_write()


def _commit_or_roll_back(response: Response) -> Response:
    session = db.session
    if response.status_code >= 400 and not g.get("keep_writes"):
        session.rollback()
        return idempotency.replay_after_refusal(response)
    try:
        idempotency.remember(response)
        session.commit()
    except IntegrityError:
        session.rollback()
        replay = idempotency.replay_after_race()  # the same key committed first in another request
        if replay is None:
            raise
        return replay
    except OperationalError:
        session.rollback()
        log.exception("commit failed")
        return idempotency.refusal(_("混み合っているため保存できませんでした。もう一度お試しください。"), 503)
    if g.pop("queued_email", False):
        delivery.wake(current_app._get_current_object())  # type: ignore[attr-defined]
    return response


def _discard(_exc: BaseException | None) -> None:
    """An exception escaped the view (a 500): nothing it did is kept."""
    if _exc is not None:
        db.session.rollback()
