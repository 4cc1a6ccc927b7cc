"""Configuration read from the environment (prefix TSS_), with development defaults."""

from __future__ import annotations

import os
from pathlib import Path


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"TSS_{name}", default)


class Config:
    SECRET_KEY = _env("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")  # default set in create_app (instance folder)
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
    LANGUAGES = ("ja", "en")
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env("COOKIE_SECURE", "0") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    # SMTP: with no host, emails are kept in the outbox table (visible to admins).
    MAIL_SERVER = _env("SMTP_HOST")
    MAIL_PORT = int(_env("SMTP_PORT", "25") or 25)
    MAIL_USE_TLS = _env("SMTP_STARTTLS", "0") == "1"
    MAIL_USERNAME = _env("SMTP_USER")
    MAIL_PASSWORD = _env("SMTP_PASSWORD")
    MAIL_SENDER = _env("MAIL_SENDER", "CHIZAI@jetro.go.jp")
    # The demo sets the clock inside FY2025's window so seeded cases are live; time runs on from there.
    CLOCK_START = _env("CLOCK_START")
    UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    BPMN_NPM_DIR = Path(__file__).resolve().parent.parent / "node_modules"
