"""Template globals and error pages shared by every page."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ..labels import ROLE_LABELS, STAGE_LABELS, STATUS_LABELS
from ..operations.errors import OperationError
from ..task_names import task_title


def init_app(app: Flask) -> None:
    @app.context_processor
    def _globals():  # type: ignore[no-untyped-def]
        return {
            "STAGE_LABELS": STAGE_LABELS,
            "STATUS_LABELS": STATUS_LABELS,
            "ROLE_LABELS": ROLE_LABELS,
            "current_locale": str(get_locale()),
            "task_title": task_title,
        }

    @app.errorhandler(OperationError)
    def _operation_error(exc: OperationError):  # type: ignore[no-untyped-def]
        from .. import extensions

        extensions.db.session.rollback()
        return render_template("error.html", status=exc.status, message=exc.message), exc.status

    for status, message in (
        (403, _l("このページを見る権限がありません。")),
        (404, _l("ページが見つかりません。")),
        (405, _l("このURLではこのメソッドを使えません。")),
    ):
        app.register_error_handler(status, _page_error(status, message))


def _page_error(status: int, message: Any):  # type: ignore[no-untyped-def]
    def handler(exc):  # type: ignore[no-untyped-def]
        if request.path.startswith("/api/"):
            from flask import jsonify

            return jsonify(error=str(message)), status
        return render_template("error.html", status=status, message=str(message)), status

    return handler
