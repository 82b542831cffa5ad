"""Crashes (docs/rules.md#10-failures-and-concurrent-loads): SIGKILL of a load's whole process
group at 6 moments, two in
each of ingestion, dbt and publishing, leaves the published outputs of one load, complete,
and the landing folder as it was; the next load cleans up and publishes what an uninterrupted
load publishes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipelines.defs import progress
from tests.e2e.attack import (
    environment,
    landing_digest,
    plant_secrets,
    pmps_command,
    published_load_ids,
    write_demo,
)
from tests.e2e.harness import run_pmps
from tests.e2e.regression import differences, snapshot

# ---- crashes ---------------------------------------------------------------------------------

# After each step's progress line, a random 0 to 1.5 s more: the two after the landing files
# and the questionnaires land in ingestion, the two after the load issues in dbt's build, the
# one after the study tables in the structure and guard checks, the one after the guard in the
# release's switch.
STEPS_TO_KILL_AFTER = [("step", "ingest: landing files"), ("step", "ingest: questionnaires"),
                       ("step", "ingest: load issues"), ("step", "ingest: load issues"),
                       ("step", "published: study tables"),
                       ("check", "published: study tables, publish guard")]


def kill_during(landing: Path, warehouse: Path, after_step: tuple[str, str],
                delay: float) -> None:
    """Start a load and SIGKILL its whole process group ``delay`` s after the progress line
    of ``after_step`` (its kind and readable name)."""
    process = subprocess.Popen(
        pmps_command("load", "--landing", str(landing), "--warehouse", str(warehouse)),
        cwd=warehouse.parent, env=environment(), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    for line in process.stdout:
        if line.rstrip("\n") == progress.line(*after_step):
            time.sleep(delay)
            break
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it had finished
    process.wait()


def check_published_state(warehouse: Path) -> None:
    """The outputs are one load's, complete, and open."""
    release = Path(os.path.realpath(warehouse / "current"))
    assert (release / ".complete").exists()
    database, page = published_load_ids(warehouse)
    assert database == page
    for path in (warehouse / "published").iterdir():
        assert path.stat().st_size > 0


def crash_series(root: Path, moments: list[tuple[str, float]]) -> tuple[Path, dict]:
    """An uninterrupted load (the reference), the kills, then a load that must finish."""
    landing, warehouse = root / "landing", root / "warehouse"
    write_demo(landing)
    plant_secrets(landing)
    before = landing_digest(landing)
    run_pmps("load", "--landing", str(landing), "--warehouse", str(warehouse), cwd=root)
    uninterrupted = snapshot(warehouse)
    for after_step, delay in moments:
        kill_during(landing, warehouse, after_step, delay)
        check_published_state(warehouse)
        assert landing_digest(landing) == before
    run_pmps("load", "--landing", str(landing), "--warehouse", str(warehouse), cwd=root)
    return warehouse, uninterrupted


def test_sigkill_at_6_moments_leaves_one_loads_outputs_and_the_next_load_finishes(tmp_path):
    rng = random.Random(20261129)
    moments = [(step, rng.uniform(0, 1.5)) for step in STEPS_TO_KILL_AFTER]
    roots = [tmp_path / "a", tmp_path / "b"]
    for root in roots:
        root.mkdir()
    with ThreadPoolExecutor(2) as pool:  # two series side by side: three kills each
        series = list(pool.map(crash_series, roots, [moments[0::2], moments[1::2]]))
    for warehouse, wanted in series:
        check_published_state(warehouse)
        assert not (warehouse / ".work").exists()
        assert not list(warehouse.glob(".*.link"))
        assert len(list((warehouse / "releases").iterdir())) <= 2
        found = snapshot(warehouse)
        for name in ("patients", "outcomes", "questionnaire_items", "group_summary",
                     "change_summary", "responder_summary", "csv_group_summary"):
            assert differences(found[name], wanted[name], name) == []
        load_ids = sorted(found["load_audit"]["load_id"].unique())
        assert load_ids == list(range(1, len(load_ids) + 1))  # no load id used twice
        per_load = found["load_audit"].groupby("load_id").size()
        assert set(per_load) == {4}


def test_sigterm_stops_the_loads_dbt_too(tmp_path):
    """A load stopped by SIGTERM (to its own process only, as a scheduler would) stops the dbt
    it started (Dagster interrupts the step, dagster-dbt stops dbt) and says that nothing was
    published."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    write_demo(landing)
    marker = f"PMPS_WAREHOUSE_DIR={warehouse}"
    process = subprocess.Popen(pmps_command("load", "--landing", str(landing)), cwd=tmp_path,
                               env=environment(PMPS_WAREHOUSE_DIR=str(warehouse)),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:
        if line.rstrip("\n") == progress.line("step", "ingest: load issues"):  # dbt next
            time.sleep(2)
            break
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "nothing was published" in errors
    time.sleep(2)
    left = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                left.append(environ.parent.name)
        except OSError:
            continue
    assert left == []


def test_a_warehouse_path_under_a_file_ends_in_one_line(tmp_path):
    landing = tmp_path / "landing"
    write_demo(landing)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = subprocess.run(pmps_command("load", "--landing", str(landing), "--warehouse",
                                         str(blocker / "warehouse")),
                            cwd=tmp_path, env=environment(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Not a directory" in result.stderr and "Traceback" not in result.stderr
