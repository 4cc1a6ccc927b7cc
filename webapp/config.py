"""Configuration read from the environment (prefix TSS_), with development defaults."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"TSS_{name}", default)


class Config:
    # No default: a published key lets anyone sign a session cookie for any user (see configure_secret_key).
    SECRET_KEY = _env("SECRET_KEY")
    SECRET_KEY_FILE = _env("SECRET_KEY_FILE")  # relative to the instance folder; created (0600) on first use
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
    # Sign-in throttling: failures are counted in the database, so the limits hold across worker processes.
    LOGIN_ACCOUNT_FAILURE_LIMIT = 5  # per user name typed
    LOGIN_CLIENT_FAILURE_LIMIT = 20  # per client address
    LOGIN_FAILURE_WINDOW_MINUTES = 15  # that many failures within this window...
    LOGIN_LOCK_MINUTES = 15  # ...refuse sign-in (even with the right password) for this long
    # A coarse per-process request rate limit on POST /login (Flask-Limiter), on top of the counters above.
    LOGIN_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "30 per minute")
    RATELIMIT_ENABLED = _env("RATELIMIT_ENABLED", "1") == "1"
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    # SMTP: with no host, emails are kept in the outbox table (visible to admins).
    MAIL_SERVER = _env("SMTP_HOST")
    MAIL_PORT = int(_env("SMTP_PORT", "25") or 25)
    MAIL_USE_TLS = _env("SMTP_STARTTLS", "0") == "1"
    MAIL_USERNAME = _env("SMTP_USER")
    MAIL_PASSWORD = _env("SMTP_PASSWORD")
    MAIL_SENDER = _env("MAIL_SENDER", "CHIZAI@jetro.go.jp")
    # Where people reach this site: the base of every link in an email (invitations, tasks).
    PUBLIC_URL = _env("PUBLIC_URL", "http://localhost:5000")
    ACCOUNT_LINK_HOURS = 72  # an invitation or password link stays valid this long, and works once
    PASSWORD_MIN_LENGTH = 10
    # The daily digest of due and overdue tasks goes with the first `flask tick` from this hour (Japan time).
    DIGEST_HOUR = int(_env("DIGEST_HOUR", "8") or 8)
    # Web processes deliver email from a background thread after commit (`make run`, `make serve` set it);
    # otherwise `flask tick` delivers.
    MAIL_DELIVERY_THREAD = _env("MAIL_THREAD", "0") == "1"
    # The demo sets the clock inside FY2025's window so seeded cases are live; time runs on from there.
    CLOCK_START = _env("CLOCK_START")
    UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    BPMN_NPM_DIR = Path(__file__).resolve().parent.parent / "node_modules"


def configure_secret_key(app: Flask) -> None:
    """Sets SECRET_KEY from TSS_SECRET_KEY, else from a key file; refuses to start without either, except in
    debug and testing, which use a key generated into the instance folder."""
    if app.config.get("SECRET_KEY"):
        return
    key_file = app.config.get("SECRET_KEY_FILE") or ("secret_key" if app.debug or app.testing else None)
    if not key_file:
        raise RuntimeError(
            "TSS_SECRET_KEY is not set. Set it to a long random value (e.g. python -c 'import secrets; "
            "print(secrets.token_hex(32))'), or set TSS_SECRET_KEY_FILE to a file that holds one "
            "(it is generated on first use; `make run` does this)."
        )
    app.config["SECRET_KEY"] = read_or_create_key(Path(app.instance_path) / key_file)


def read_or_create_key(path: Path) -> str:
    """The key in `path`, generating it first (mode 0600) if missing. Safe when several processes start at once:
    the key is written to a temporary file and linked into place, so nobody reads a half-written key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mkstemp creates it 0600
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won the race: use its key
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"the secret key file {path} is empty")
    return key
