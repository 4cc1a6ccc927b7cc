"""gunicorn settings for `make serve` and deploy/tss.service:

    gunicorn -c deploy/gunicorn.conf.py "webapp:create_app()"

Every value can be changed from the environment (the same TSS_ prefix as webapp/config.py), so one file serves
a laptop, a systemd unit and the stress harness (tests/stress), which starts four workers on a loopback port.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def _default_workers() -> int:
    # gunicorn's rule of thumb (2 x cores + 1), capped: each sync worker holds a database connection and a
    # copy of the app, and past a handful of processes SQLite's single writer, not CPU, is the bottleneck.
    cores = os.cpu_count() or 1
    return min(2 * cores + 1, 9)


bind = os.environ.get("TSS_BIND", "127.0.0.1:8000")
workers = _int("TSS_WORKERS", _default_workers())
# Sync workers: one request per process at a time. The app is plain blocking code (SQLAlchemy, SMTP, the
# diagram sandbox), and a process per request keeps a slow request from stalling others in the same worker.
worker_class = "sync"
# A request running longer than this is killed and its worker replaced (a stuck SMTP server, a runaway query).
# The diagram sandbox stops scripts after 2 s, and SQLite's busy timeout is 10 s, so 30 s is generous.
timeout = _int("TSS_TIMEOUT", 30)
# On SIGTERM (systemctl stop, a deploy) workers finish the request in hand for up to this long, then are killed.
graceful_timeout = _int("TSS_GRACEFUL_TIMEOUT", 30)
# Worker recycling: a worker is replaced after this many requests (plus a random jitter, so the workers do not
# all restart at once), which bounds the memory any slow leak or cache can take.
max_requests = _int("TSS_MAX_REQUESTS", 1000)
max_requests_jitter = _int("TSS_MAX_REQUESTS_JITTER", 100)
# Each worker imports the app itself: no database connection or engine state is shared across fork, and a
# changed deployment is picked up by a plain restart.
preload_app = False
# Sync workers do not keep connections alive; this only bounds an idle client behind a proxy.
keepalive = 2
# Logs to stdout/stderr: journald (systemd) or the terminal collects them.
accesslog = os.environ.get("TSS_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("TSS_LOG_LEVEL", "info")
proc_name = "tss"

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def post_fork(server, worker):  # type: ignore[no-untyped-def]
    """Makes the worker die with the master.

    A sync worker notices that its master is gone only between requests, after waiting up to half the timeout
    (15 s here) for a connection; killed with SIGKILL, the master cannot stop its workers, so for that time
    orphaned workers keep answering on the listening socket with nobody to replace or time them out, and a
    restarted master may find the port still taken. Linux can send a signal to a process when its parent dies:
    ask for SIGTERM, which a gunicorn worker handles as a graceful stop (it finishes the request in hand).
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        server.log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
        return
    # The master may have died between fork() and prctl(): then no signal will ever come, so leave now.
    if os.getppid() != worker.ppid:
        os._exit(0)
