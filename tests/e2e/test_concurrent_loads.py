"""One load at a time (docs/rules.md#10-failures-and-concurrent-loads): loads started together or
staggered share no
load_id and their exit codes tell the truth; a reader looping on the published outputs through
the loads never fails and never sees outputs of two loads."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from tests.e2e.attack import (
    environment,
    plant_secrets,
    pmps_command,
    published_load_ids,
    write_demo,
)
from tests.e2e.harness import PROJECT_ROOT, read_table, run_pmps

# ---- one load at a time, and readers during loads --------------------------------------------

# The reader pauses between reads: it still reads many times a second, meeting every switch,
# without taking from the loads the CPU that a tight loop would.
READ_PAUSE_SECONDS = 0.02


def test_loads_started_together_share_no_load_id_and_readers_see_one_load(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    write_demo(landing)
    plant_secrets(landing)
    run_pmps("load", "--landing", str(landing), "--warehouse", str(warehouse), cwd=tmp_path)
    reads, failures, done = [0], [], threading.Event()

    def reader() -> None:
        while not done.is_set():
            try:
                database, page = published_load_ids(warehouse)
                if database != page:
                    failures.append(f"analytics.duckdb of load {database}, report of {page}")
                reads[0] += 1
            except Exception as error:  # noqa: BLE001 - every failure of a reader counts
                failures.append(repr(error))
            time.sleep(READ_PAUSE_SECONDS)

    def load(delay: float) -> subprocess.CompletedProcess:
        time.sleep(delay)
        return subprocess.run(pmps_command("load", "--landing", str(landing), "--warehouse",
                                           str(warehouse)), cwd=tmp_path, env=environment(),
                              capture_output=True, text=True, timeout=600)

    watcher = threading.Thread(target=reader)
    watcher.start()
    try:
        with ThreadPoolExecutor(3) as pool:
            together = list(pool.map(load, [0, 0]))
            staggered = list(pool.map(load, [0, 2, 6]))
        sequential = [load(0)]
    finally:
        done.set()
        watcher.join()
    results = together + staggered + sequential
    published = [r for r in results if r.returncode == 0]
    refused = [r for r in results if r.returncode != 0]
    assert all("another load is running (pid" in r.stderr for r in refused)
    assert len(published) >= 3  # one of each concurrent group, and the sequential one
    audit = read_table(warehouse / "analytics.duckdb", "SELECT * FROM load_audit")
    assert sorted(audit["load_id"].unique()) == list(range(1, len(published) + 2))
    assert audit.groupby("load_id").size().tolist() == [4] * (len(published) + 1)
    quality = read_table(warehouse / "analytics.duckdb", "SELECT * FROM data_quality")
    assert quality.groupby("load_id")["n"].sum().tolist() == [1] * (len(published) + 1)
    assert failures == [] and reads[0] > 50


def test_dagster_runs_queue_one_at_a_time():
    """Runs launched from the UI, the schedule or the sensor go through the instance's queue,
    which runs one at a time (the load lock stops any other writer)."""
    settings = (PROJECT_ROOT / "config" / "dagster.yaml").read_text(encoding="utf-8")
    assert re.search(r"class: QueuedRunCoordinator\s+config:\s+max_concurrent_runs: 1",
                     settings)
