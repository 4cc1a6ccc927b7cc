"""Scripts run in a long-lived worker process with a wall-clock timeout and a memory limit.

The evaluator's rules already refuse what could escape; the worker adds what rules cannot give: a script
that loops forever or allocates without end is killed (and the worker restarted) instead of freezing the
request that ran it. Data crosses as JSON (dates, datetimes, Decimals and timedeltas tagged), one line per
request and reply. Run `python -m workflows.sandbox` to start a worker by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import select
import subprocess
import sys
import threading
import time
from decimal import Decimal
from typing import Any

from .evaluator import EvaluationError, Refusal

TIMEOUT_SECONDS = 2.0
MEMORY_BYTES = 512 * 1024 * 1024
_MAX_REPLY = 16 * 1024 * 1024


# ---------------------------------------------------------------- data on the wire


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$t": "datetime", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$t": "date", "v": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$t": "decimal", "v": str(value)}
    if isinstance(value, dt.timedelta):
        return {"$t": "timedelta", "v": value.total_seconds()}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise EvaluationError("data", "dictionary keys must be strings")
        return {"$t": "dict", "v": {k: _encode(v) for k, v in value.items()}}
    if isinstance(value, list | tuple | set | frozenset):
        return [_encode(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    raise EvaluationError("data", type(value).__name__)


_DECODERS: dict[str, Any] = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "decimal": Decimal,
    "timedelta": lambda v: dt.timedelta(seconds=v),
}


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        kind, inner = value.get("$t"), value.get("v")
        if kind == "dict" and isinstance(inner, dict):
            return {k: _decode(v) for k, v in inner.items()}
        return _DECODERS[str(kind)](inner)
    return value


def dumps(value: Any) -> str:
    return json.dumps(_encode(value), ensure_ascii=False, allow_nan=False)


def loads(text: str) -> Any:
    return _decode(json.loads(text))


# ---------------------------------------------------------------- the parent's side


class ScriptRunner:
    """One worker per application process, started on first use, restarted after it is killed."""

    def __init__(self, timeout: float = TIMEOUT_SECONDS, memory: int = MEMORY_BYTES):
        self.timeout, self.memory = timeout, memory
        self._proc: subprocess.Popen[bytes] | None = None
        self._owner_pid = 0
        self._lock = threading.Lock()

    def run(self, source: str, data: dict[str, Any]) -> dict[str, Any]:
        request = (dumps({"source": source, "data": data}) + "\n").encode()
        with self._lock:
            proc = self._worker()
            try:
                assert proc.stdin is not None
                proc.stdin.write(request)
                proc.stdin.flush()
                line = self._read_line(proc)
            except BrokenPipeError:
                line = b""
            if not line:
                self._stop()
                raise EvaluationError("memory" if self._killed_for_memory(proc) else "crashed")
        reply = loads(line.decode())
        if "data" in reply:
            return dict(reply["data"])
        if reply.get("refusal"):
            raise Refusal(reply["code"], reply.get("detail", ""), reply.get("line"))
        raise EvaluationError(reply["code"], reply.get("detail", ""))

    def _read_line(self, proc: subprocess.Popen[bytes]) -> bytes:
        assert proc.stdout is not None
        fd, chunks, deadline = proc.stdout.fileno(), [], time.monotonic() + self.timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                self._stop()
                raise EvaluationError("timeout", f"{self.timeout:g}")
            chunk = os.read(fd, 65536)
            if not chunk:
                return b""
            chunks.append(chunk)
            if chunk.endswith(b"\n"):
                return b"".join(chunks)
            if sum(map(len, chunks)) > _MAX_REPLY:
                self._stop()
                raise EvaluationError("size", "reply")

    def _worker(self) -> subprocess.Popen[bytes]:
        # A forked server process (gunicorn) must not share its parent's pipes: start its own worker.
        if self._proc is None or self._proc.poll() is not None or self._owner_pid != os.getpid():
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-m", "workflows.sandbox", str(self.memory)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
                cwd="/",
                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            )
            self._owner_pid = os.getpid()
        return self._proc

    def _stop(self) -> None:
        if self._proc is not None and self._owner_pid == os.getpid():
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    @staticmethod
    def _killed_for_memory(proc: subprocess.Popen[bytes]) -> bool:
        return proc.returncode in (1, -9)


runner = ScriptRunner()


# ---------------------------------------------------------------- the worker's side


def _limit_memory(limit: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _serve() -> None:
    from .evaluator import run_script

    for line in sys.stdin.buffer:
        try:
            request = loads(line.decode())
            reply: dict[str, Any] = {"data": run_script(request["source"], request["data"])}
        except Refusal as exc:
            reply = {"refusal": True, "code": exc.code, "detail": exc.detail, "line": exc.line}
        except EvaluationError as exc:
            reply = {"code": exc.code, "detail": exc.detail}
        except MemoryError:
            reply = {"code": "memory", "detail": ""}
        except Exception as exc:  # a bug of ours, not the script's: say what, keep serving
            reply = {"code": "error", "detail": f"{type(exc).__name__}: {exc}"}
        try:
            text = dumps(reply)
        except (EvaluationError, ValueError) as exc:
            text = dumps({"code": "data", "detail": str(exc)})
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _limit_memory(int(sys.argv[1]) if len(sys.argv) > 1 else MEMORY_BYTES)
    _serve()
