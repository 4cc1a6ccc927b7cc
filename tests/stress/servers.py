"""gunicorn servers under test: the environment they run with, database preparation through the real CLI
(`flask db upgrade`, `flask deploy`, `flask tick`), start/stop, and kill -9 of a worker or of the master.

Every process is started in its own session (process group), and only those groups are ever signalled."""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from .client import Api

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the virtualenv's bin/ (gunicorn, flask)
# The servers' clock: inside FY2025's intake window, so applications are accepted and timers are in the future.
CLOCK_START = "2025-07-01T10:00:00+09:00"
TODAY = "2025-07-01"
_T0 = time.time()


def timeline_now(offset: timedelta = timedelta(0)) -> datetime:
    """One timeline for every process of the run: CLOCK_START when the harness started, then real time.

    The app's clock starts at TSS_CLOCK_START when a process starts and runs on from there; a process started
    later must start later on the timeline, or the processes would disagree on what is due (emails queued
    "in the future" for a tick, claims that look stale to a server started earlier)."""
    return datetime.fromisoformat(CLOCK_START) + timedelta(seconds=time.time() - _T0) + offset


def _spawn_env(env: dict[str, str]) -> dict[str, str]:
    offset = timedelta(seconds=float(env.get("STRESS_CLOCK_OFFSET", "0")))
    return dict(env, TSS_CLOCK_START=timeline_now(offset).isoformat())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str, smtp_port: int | None, **extra: str) -> dict[str, str]:
    """The process environment of the servers and CLI runs: no TSS_ setting leaks in from the caller's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSS_")}
    env.update(
        TSS_DATABASE_URL=database_url,
        TSS_SECRET_KEY=secrets.token_hex(32),
        TSS_RATELIMIT_ENABLED="0",
        TSS_MAIL_THREAD="1",  # where the app has a background delivery thread, run it as production would
        PYTHONDONTWRITEBYTECODE="1",
    )
    if smtp_port is not None:
        env.update(TSS_SMTP_HOST="127.0.0.1", TSS_SMTP_PORT=str(smtp_port))
    env.update(extra)
    return env


def flask_cli(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "flask"), "--app", "webapp", *args]
    result = subprocess.run(command, cwd=REPO, env=_spawn_env(env), capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def prepare_database(env: dict[str, str]) -> None:
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "deploy")


def start_flask(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """A CLI command in the background (two concurrent ticks)."""
    return subprocess.Popen([str(BIN / "flask"), "--app", "webapp", *args], cwd=REPO, env=_spawn_env(env), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip


def _ppid_and_state(pid: int) -> tuple[int, str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0]


def alive(pid: int) -> bool:
    info = _ppid_and_state(pid)
    return info is not None and info[1] not in ("Z", "X")


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = _ppid_and_state(int(entry))
            if info and info[0] == pid and info[1] not in ("Z", "X"):
                found.append(int(entry))
    return sorted(found)


@dataclass
class Server:
    """gunicorn -c deploy/gunicorn.conf.py "webapp:create_app()" with sync workers on a loopback port."""

    env: dict[str, str]
    log_path: Path
    workers: int = 4
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    groups: set[int] = field(default_factory=set)
    starts: int = 0

    @property
    def master(self) -> int:
        assert self.process is not None
        return self.process.pid

    def api(self, token: str | None) -> Api:
        return Api(self.port, token)

    def start(self, timeout: float = 90) -> None:
        env = dict(_spawn_env(self.env), TSS_BIND=f"127.0.0.1:{self.port}", TSS_WORKERS=str(self.workers))
        command = [str(BIN / "gunicorn"), "-c", str(REPO / "deploy" / "gunicorn.conf.py"), "webapp:create_app()"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        self.groups.add(self.process.pid)
        self.starts += 1
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        probe = self.api(None)
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); log:\n{self.log_tail()}")
            forked = len(children(self.master)) >= self.workers
            # every worker forked, and several answers in a row: the last ones have imported the app too
            if forked and all(probe.get("/editions").status == 401 for _ in range(2 * self.workers)):
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s; log:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def worker_pids(self) -> list[int]:
        return children(self.master)

    def kill_worker(self, rng: random.Random) -> int | None:
        pids = self.worker_pids()
        if not pids:
            return None
        pid = rng.choice(pids)
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_master(self, wait: float = 20) -> tuple[int, float | None]:
        """kill -9 of the master. Returns (workers it had, seconds until the last of them exited: None if some
        still ran after `wait`; those are then killed, so that the port is free for the restart)."""
        assert self.process is not None
        workers = self.worker_pids()
        started = time.monotonic()
        os.kill(self.master, signal.SIGKILL)
        self.process.wait(timeout=10)
        while time.monotonic() - started < wait:
            if not any(alive(pid) for pid in workers):
                return len(workers), time.monotonic() - started
            time.sleep(0.05)
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        return len(workers), None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=40)
        for group in self.groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
        self.groups.clear()
