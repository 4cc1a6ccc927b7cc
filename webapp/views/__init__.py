"""HTML pages, one blueprint per area."""

from __future__ import annotations

from flask import Flask, redirect, request, url_for
from flask_login import current_user, login_required

from .. import converters
from ..models import Role


def init_app(app: Flask) -> None:
    from . import context, nav

    converters.init_app(app)  # before the blueprints below add their `<int:…>` rules
    app.before_request(_refuse_unstorable_input)
    context.init_app(app)
    nav.init_app(app)
    # Each area registers its blueprint here.
    from . import applications, inbox, process, tasks

    app.register_blueprint(applications.bp)
    app.register_blueprint(process.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(tasks.bp)
    from . import account, admin, assets, cases, dashboard, hours, outbox, public, reports

    for area in (cases, hours, dashboard, reports, public, outbox, assets, account, admin):
        app.register_blueprint(area.bp)
    from ..designer import repair_routes
    from ..designer import routes as designer

    app.register_blueprint(designer.bp)
    app.register_blueprint(repair_routes.bp)

    @app.route("/")
    @login_required
    def index():  # type: ignore[no-untyped-def]
        if current_user.role == Role.ADMIN:
            return redirect(url_for("outbox.index"))
        if current_user.role == Role.DESIGNER:
            return redirect(url_for("process.index"))
        return redirect(url_for("inbox.index"))


def _refuse_unstorable_input() -> None:
    """Pages: NUL or a lone surrogate in a query string or a post (which no database stores) answers 422 naming
    the field, before any view runs. The API checks its own input (api_input), after the token."""
    if request.blueprint == "api" or request.routing_exception is not None:
        return
    converters.refuse_unstorable_items(request.args)
    converters.refuse_unstorable_items(request.form)
