"""Front-end packages installed by `npm install` into node_modules/ (bpmn-js for the case page's diagram)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory
from flask_babel import gettext as _

bp = Blueprint("assets", __name__, url_prefix="/vendor")


@bp.get("/bpmn-js/<path:filename>")
def bpmn_js(filename: str):  # type: ignore[no-untyped-def]
    dist = Path(current_app.config["BPMN_NPM_DIR"]) / "bpmn-js" / "dist"
    if not dist.is_dir():
        message = _(
            "bpmn-js がインストールされていません。リポジトリの直下で `npm install`（または `make assets`）を実行してください。"
        )
        return Response(message, status=404, mimetype="text/plain")
    return send_from_directory(dist, filename, max_age=86400)
