"""Security headers on every response (pages, API, static files, errors), set by flask-talisman."""

from __future__ import annotations

from flask import Flask
from flask_talisman import Talisman

# Everything the pages load comes from this site: templates carry no inline <script>, style="" or on*= handlers
# (scripts live in static/, bars are SVG <rect width>), so neither script-src nor style-src needs 'unsafe-inline'.
# bpmn-js styles the diagram through the CSSOM (element.style), which CSP does not govern.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",  # bpmn-js.css draws its breadcrumb arrows as data: SVG images
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",  # with X-Frame-Options DENY for older browsers: no clickjacking
}


def init_app(app: Flask) -> None:
    """HTTPS is forced (and HSTS sent) only where cookies are marked Secure, i.e. behind HTTPS
    (TSS_COOKIE_SECURE=1); the session cookie settings stay those of config.py."""
    secure = bool(app.config.get("SESSION_COOKIE_SECURE"))
    # One instance per app: Talisman keeps a reference to the app it was initialised with.
    app.extensions["talisman"] = Talisman(
        app,
        force_https=secure,
        strict_transport_security=secure,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        x_content_type_options=True,
        session_cookie_secure=secure,
        session_cookie_http_only=bool(app.config.get("SESSION_COOKIE_HTTPONLY", True)),
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE"),
    )
