"""A throwaway PostgreSQL cluster (initdb + pg_ctl in a temporary directory, trust auth, 127.0.0.1, a free
port), the same approach as tests/postgres/conftest.py, without pytest: `Unavailable` says why there is none."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from .servers import free_port


class Unavailable(Exception):
    """No PostgreSQL server can be started here (the message says why)."""


def _server_bin_dir() -> Path | None:
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    found = [d for d in found if (d / "pg_ctl").exists()]
    return max(found, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0) if found else None


def _as_server_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise Unavailable("running as root, but `runuser` is missing to start PostgreSQL as the postgres user")
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise Unavailable("running as root, but there is no `postgres` OS user to run the server") from exc
    return [runuser, "-u", "postgres", "--"]


class Cluster:
    """with Cluster() as url: ... — a fresh cluster with one database, stopped and deleted afterwards."""

    def __init__(self, database: str = "tss") -> None:
        self.database = database
        self.bin_dir = _server_bin_dir()
        self.root: Path | None = None
        self.prefix: list[str] = []

    def _run(self, *command: str) -> None:
        result = subprocess.run([*self.prefix, *command], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")

    def __enter__(self) -> str:
        if self.bin_dir is None:
            raise Unavailable("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb)")
        try:
            import psycopg
        except ImportError as exc:
            raise Unavailable("psycopg is not installed") from exc
        self.prefix = _as_server_user()
        self.root = Path(tempfile.mkdtemp(prefix="tss-stress-pg-"))
        if self.prefix:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        data, port = self.root / "data", free_port()
        self._run(str(self.bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-locale")  # fmt: skip
        # More connections than the default 100: 4 workers, their delivery threads, ticks and the harness.
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {self.root} -c fsync=off -c full_page_writes=off "
                   "-c max_connections=200")  # fmt: skip
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(data), "-l", str(self.root / "server.log"), "-w",
                  "-t", "60", "-o", options, "start")  # fmt: skip
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {self.database} ENCODING 'UTF8' TEMPLATE template0")
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{self.database}"

    def __exit__(self, *exc: object) -> None:
        if self.root is None or self.bin_dir is None:
            return
        subprocess.run([*self.prefix, str(self.bin_dir / "pg_ctl"), "-D", str(self.root / "data"), "-m",
                        "immediate", "stop"], capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)
