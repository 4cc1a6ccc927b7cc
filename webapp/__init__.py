"""The Flask application: staff, experts and applicants work the support program here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request, session
from sqlalchemy import event
from sqlalchemy.engine import Engine

from workflows.clock import clock

from . import headers
from .config import Config, configure_secret_key
from .extensions import babel, csrf, db, login_manager, migrate


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'tss.sqlite3'}"
    if test_config:
        app.config.update(test_config)
    configure_secret_key(app)
    if app.config.get("CLOCK_START"):
        clock.set(datetime.fromisoformat(app.config["CLOCK_START"]), frozen=False)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    headers.init_app(app)  # security headers (CSP etc.) on every response, errors and static files included
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"

    from . import auth, boundary, cli, delivery, views
    from .api import api

    auth.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(api)
    csrf.exempt(api)  # the API authenticates with bearer tokens, not cookies
    cli.init_app(app)
    views.init_app(app)
    delivery.init_app(app)
    boundary.init_app(app)  # last: its commit runs before the other after-request hooks
    return app


def _select_locale() -> str:
    if not has_request_context():
        return "ja"  # CLI and timers: emails go out in Japanese
    lang = request.args.get("lang")
    if lang in Config.LANGUAGES:
        session["lang"] = lang
    return session.get("lang") or "ja"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: WAL, foreign keys, and transactions that take the write lock up front (no lost updates)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(
            "PRAGMA synchronous=NORMAL"
        )  # WAL: an app crash loses nothing; a power cut may drop the last commits
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: Any) -> None:
    if conn.dialect.name == "sqlite":
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
