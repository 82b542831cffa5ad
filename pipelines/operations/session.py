"""A load's run from its start to its end, however it was started (`pmps load`, the UI, the
schedule, the sensor): the run holds the warehouse's load lock
(docs/rules.md#10-failures-and-concurrent-loads), makes
its files private to their owner, first finishes what an interrupted load left (a recorded
release not yet switched to), and at its end keeps the run history to its last runs."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import dagster as dg

from pipelines.core.lock import load_lock
from pipelines.core.warehouse import PRIVATE_UMASK, WarehouseBusy
from pipelines.operations.history import keep_recent_runs
from pipelines.publish import release


def when_free(action: Callable[[], None], retries: int, seconds: float) -> None:
    """Run ``action``, again after ``seconds`` while another process holds warehouse.duckdb,
    at most ``retries`` more times; then the held lock's error stands."""
    for attempt in range(retries + 1):
        try:
            return action()
        except WarehouseBusy:
            if attempt == retries:
                raise
            time.sleep(seconds)


def finish_interrupted_load(warehouse_dir: Path) -> None:
    """Switch to a release the previous load recorded but never switched to, and remove what
    failed loads left behind."""
    release.finish_interrupted_release(warehouse_dir, release.recorded_load_id(warehouse_dir))


@contextmanager
def load_run(warehouse_dir: Path, instance: dg.DagsterInstance, *, lock_held: bool,
             retries: int, retry_seconds: float) -> Iterator[None]:
    """Hold the load lock for the run (unless its caller, `pmps load`, holds it already), make
    the load ready, and keep the newest runs of the history when the run ends."""
    os.umask(PRIVATE_UMASK)
    with nullcontext() if lock_held else load_lock(warehouse_dir):
        when_free(lambda: finish_interrupted_load(warehouse_dir), retries, retry_seconds)
        yield
        keep_recent_runs(instance)
