"""HTML pages, one blueprint per area."""

from __future__ import annotations

from flask import Flask, redirect, url_for
from flask_login import current_user, login_required

from ..models import Role


def init_app(app: Flask) -> None:
    from . import context, nav

    context.init_app(app)
    nav.init_app(app)
    # Each area registers its blueprint here.
    from . import applications, inbox, process, tasks

    app.register_blueprint(applications.bp)
    app.register_blueprint(process.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(tasks.bp)
    from . import assets, cases, dashboard, hours, outbox, public

    for area in (cases, hours, dashboard, public, outbox, assets):
        app.register_blueprint(area.bp)

    @app.route("/")
    @login_required
    def index():  # type: ignore[no-untyped-def]
        if current_user.role == Role.ADMIN:
            return redirect(url_for("outbox.index"))
        if current_user.role == Role.DESIGNER:
            return redirect(url_for("process.index"))
        return redirect(url_for("inbox.index"))
