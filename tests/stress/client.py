"""A tiny HTTP client on the standard library: one connection per request (gunicorn's sync workers close it
anyway), raw bodies allowed (malformed JSON, invalid UTF-8), and a failed connection reported as status 0
rather than raised, so that a request cut off by a kill counts as "outcome unknown"."""

from __future__ import annotations

import http.client
import json
import uuid
from dataclasses import dataclass
from typing import Any

TIMEOUT = 60.0  # above gunicorn's 30 s worker timeout: the server answers (or dies) first


@dataclass
class Response:
    status: int  # 0: no answer (connection refused or reset, timeout)
    body: bytes
    error: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def excerpt(self, size: int = 160) -> str:
        text = self.body.decode("utf-8", "replace") if self.body else self.error
        return " ".join(text.split())[:size]


@dataclass
class Api:
    """Calls /api/v1 on one server as one user."""

    port: int
    token: str | None
    host: str = "127.0.0.1"

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None,
                headers: dict[str, str] | None = None) -> Response:  # fmt: skip
        sent = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if content_type:
            sent["Content-Type"] = content_type
        sent.update(headers or {})
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            conn.request(method, "/api/v1" + path, body=body, headers=sent)
            answer = conn.getresponse()
            return Response(answer.status, answer.read())
        except (OSError, http.client.HTTPException) as exc:
            return Response(0, b"", f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, payload: Any = None) -> Response:
        body = json.dumps({} if payload is None else payload).encode()
        return self.request("POST", path, body, "application/json")

    def post_multipart(self, path: str, fields: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> Response:
        body, content_type = multipart(fields, files)
        return self.request("POST", path, body, content_type)


def multipart(fields: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """multipart/form-data: lists repeat the field, True is a ticked box ("y"), False and None are left out."""
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            if item is None or item is False:
                continue
            text = "y" if item is True else str(item)
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{text}\r\n'.encode())
    for name, (filename, content) in files.items():
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: application/pdf\r\n\r\n")  # fmt: skip
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
