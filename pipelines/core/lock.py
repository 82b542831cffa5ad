"""One load at a time (docs/rules.md#10-failures-and-concurrent-loads): a load holds
``<warehouse>/load.lock`` for its
whole run, however it was started (`pmps load`, the UI, the schedule, the sensor).

The lock is an advisory ``flock`` on the file, released by the operating system when the
holder ends, even by SIGKILL: a crashed load never leaves a stale lock. The file names the
holder (pid and start time) for the message a second load prints. A load takes it once:
`pmps load` before it creates the Dagster run (whose resource then knows it is held), any
other run through its resource (pipelines/operations/session.py).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.core.warehouse import ensure_warehouse_dir

LOCK_FILE = "load.lock"


class LoadRunning(RuntimeError):
    """Another process is loading into the same warehouse."""


def lock_path(warehouse_dir: Path) -> Path:
    return (Path(warehouse_dir) / LOCK_FILE).resolve()


def holder(path: Path) -> str:
    """Who holds the lock, as the file says: "pid N, started T"."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return text or "pid unknown"


@contextmanager
def load_lock(warehouse_dir: Path) -> Iterator[None]:
    """Hold the warehouse's load lock, or raise LoadRunning naming the holder."""
    path = lock_path(warehouse_dir)
    ensure_warehouse_dir(path.parent)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LoadRunning(f"another load is running ({holder(path)})") from None
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"pid {os.getpid()}, started {started}\n".encode())
        try:
            yield
        finally:
            os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)  # closing the descriptor releases the flock
