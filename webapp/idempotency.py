"""A POST retried with the same key gets the first answer again instead of acting twice.

The API sends an `Idempotency-Key` header; page forms carry a hidden `idempotency_key` derived from what the
page showed (the task, the ledger's last entry), so a double submit — or the same form sent from two tabs —
records once. The answer is stored in the same transaction as the work, so either both stand or neither.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from flask import flash, g, jsonify, render_template, request
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete, select

from .extensions import db, lock_for_write
from .models import IdempotentRequest, utcnow

HEADER = "Idempotency-Key"
FORM_FIELD = "idempotency_key"
KEEP_FOR = timedelta(hours=24)
_VALID_KEY = re.compile(r"[\x21-\x7e]{1,100}")  # printable ASCII, as the header's drafts recommend
_IGNORED_FIELDS = {"csrf_token", FORM_FIELD}


class KeyRefused(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message, self.status = message, status


def form_key(*parts: object) -> str:
    """The hidden key of a page form: the same page state gives the same key."""
    return ":".join(str(p) for p in parts)


def digest(text: str) -> str:
    """A short stand-in for page state in a form key (a draft, say)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def replay_if_seen() -> Response | None:
    """Before the view: a key already answered replays that answer."""
    if request.method != "POST" or not current_user.is_authenticated:
        return None
    try:
        key = _key()
        if key is None:
            return None
        g.idempotency = (key, _fingerprint())
        return _replay_stored()
    except KeyRefused as exc:
        return refusal(exc.message, exc.status)


def remember(response: Response) -> None:
    """Stores a successful answer with the work, just before the boundary commits."""
    pending = g.get("idempotency")
    if pending is None or not 200 <= response.status_code < 400 or response.is_streamed:
        return
    key, fingerprint = pending
    db.session.add(
        IdempotentRequest(
            user_id=current_user.id,
            key=key,
            fingerprint=fingerprint,
            status_code=response.status_code,
            content_type=response.content_type,
            location=response.headers.get("Location"),
            body=response.get_data(),
        )
    )


def replay_after_refusal(response: Response) -> Response:
    """A conflict because the twin request committed first while this one ran: give the twin's answer."""
    if g.get("idempotency") is None or response.status_code != 409:
        return response
    return replay_after_race() or response


def replay_after_race() -> Response | None:
    try:
        return _replay_stored()
    except KeyRefused as exc:
        return refusal(exc.message, exc.status)


def forget_expired() -> int:
    lock_for_write()  # SQLite: a read transaction cannot turn into a write while another tick writes
    result = db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < utcnow() - KEEP_FOR))
    return int(result.rowcount)  # type: ignore[attr-defined]


def refusal(message: str, status: int) -> Response:
    if request.path.startswith("/api/"):
        response = jsonify(error=message)
    else:
        response = Response(render_template("error.html", status=status, message=message))
    response.status_code = status
    return response


def _key() -> str | None:
    header = request.headers.get(HEADER)
    if header is not None:
        if not _VALID_KEY.fullmatch(header):
            raise KeyRefused(_("Idempotency-Key は1〜100文字の半角英数字・記号で指定してください。"), 400)
        return header
    value = request.form.get(FORM_FIELD) if not request.is_json else None
    if not value:
        return None
    if not _VALID_KEY.fullmatch(value):
        raise KeyRefused(_("送信内容が壊れています。画面を再読み込みしてから入力し直してください。"), 400)
    return f"{value}:{request.form.get('action', '')}"  # a draft save and the completion are different acts


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.is_json or not (request.form or request.files):
        digest.update(request.get_data(cache=True))
        return digest.hexdigest()
    for name, value in sorted(request.form.items(multi=True)):
        if name not in _IGNORED_FIELDS:
            digest.update(f"{name}={value}\n".encode())
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
        digest.update(f"{name}:{upload.filename}:".encode())
        digest.update(hashlib.sha256(upload.stream.read()).digest())
        upload.stream.seek(0)
    return digest.hexdigest()


def _replay_stored() -> Response | None:
    key, fingerprint = g.idempotency
    stored = db.session.scalar(
        select(IdempotentRequest).where(IdempotentRequest.user_id == current_user.id, IdempotentRequest.key == key)
    )
    if stored is None:
        return None
    if stored.fingerprint != fingerprint:
        if request.headers.get(HEADER) is not None:
            raise KeyRefused(
                _("この Idempotency-Key は別の内容のリクエストに使われています。新しいキーを使ってください。"), 422
            )
        raise KeyRefused(
            _("この画面を開いた後に内容が更新されています。画面を再読み込みしてから入力し直してください。"), 409
        )
    g.idempotency = None  # nothing to store: this is the stored answer
    return _replayed(stored)


def _replayed(stored: IdempotentRequest) -> Response:
    headers: dict[str, Any] = {"Idempotent-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
    if not request.path.startswith("/api/"):
        flash(_("この送信は既に受け付けています（二重送信のため、もう一度は記録していません）。"), "info")
    return Response(stored.body, status=stored.status_code, content_type=stored.content_type, headers=headers)
