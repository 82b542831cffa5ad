"""Processes a load starts (dbt) end with it: a load stopped by SIGTERM stops its children
first, and `make dev` stops the whole `dagster dev` process group
(docs/rules.md#10-failures-and-concurrent-loads)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

GRACE_SECONDS = 20  # for `dagster dev` to stop its webserver, daemon and code servers


def descendants(pid: int) -> list[int]:
    """The processes started by ``pid``, their children, and so on (from /proc, Linux)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended while we looked
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def stop_descendants(sig: int = signal.SIGTERM) -> None:
    for child in descendants(os.getpid()):
        try:
            os.kill(child, sig)
        except ProcessLookupError:
            pass


def stop_children_on_sigterm(on_stop: Callable[[], None]) -> None:
    """On SIGTERM, stop this process's descendants (dbt), call ``on_stop``, and exit 1."""

    def handler(signum: int, frame: object) -> None:
        stop_descendants(signal.SIGTERM)
        on_stop()
        sys.exit(1)

    signal.signal(signal.SIGTERM, handler)


def run_dev_server(command: list[str], env: dict[str, str], cwd: Path) -> int:
    """Run ``command`` (`dagster dev`) in a process group of its own; SIGTERM or Ctrl-C stops
    the whole group: SIGINT first (dagster dev's own orderly stop), SIGKILL after the grace."""
    server = subprocess.Popen(command, env=env, cwd=cwd, start_new_session=True)

    def stop(signum: int, frame: object) -> None:
        try:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(timeout=GRACE_SECONDS)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(server.pid, signal.SIGKILL)  # whatever is left of the group
        except ProcessLookupError:
            pass
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return server.wait()
