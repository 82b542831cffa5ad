"""Nightly operations: the sensor and schedule, a failed load, readers during a load, and
`dagster dev` serving the code location."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.defs.resources import PmpsSettings
from pipelines.defs.schedules import nightly_schedule
from pipelines.defs.sensors import landing_folder_sensor
from tests.e2e.harness import PROJECT_ROOT, read_table, run_pmps


def evaluate_sensor(landing, cursor=None):
    with dg.build_sensor_context(
            cursor=cursor, resources={"pmps": PmpsSettings(landing_dir=str(landing))}) as context:
        result = landing_folder_sensor(context)
        return result, context.cursor


def test_sensor_requests_one_run_per_change(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    result, cursor = evaluate_sensor(landing)
    assert isinstance(result, dg.SkipReason)

    (landing / "patients_a_20261101.csv").write_text("mrn,date_of_birth\nA1,1970-01-01\n")
    first, cursor = evaluate_sensor(landing)
    assert isinstance(first, dg.RunRequest)

    unchanged, cursor = evaluate_sensor(landing, cursor)
    assert isinstance(unchanged, dg.SkipReason)

    # the same bytes under another name: a re-delivery, not a change
    shutil.copy(landing / "patients_a_20261101.csv", landing / "patients_a_20261102.csv")
    redelivered, cursor = evaluate_sensor(landing, cursor)
    assert isinstance(redelivered, dg.SkipReason)

    (landing / "patients_a_20261103.csv").write_text("mrn,date_of_birth\nA1,1970-01-02\n")
    changed, cursor = evaluate_sensor(landing, cursor)
    assert isinstance(changed, dg.RunRequest)
    assert changed.run_key != first.run_key
    assert len(json.loads(cursor)) == 2  # both distinct contents are remembered


def test_sensor_run_key_is_built_from_the_new_files_hashes(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "patients_a_20261101.csv").write_text("mrn,date_of_birth\n")
    first, _ = evaluate_sensor(landing)
    again, _ = evaluate_sensor(landing)  # a fresh cursor sees the same file as new
    assert first.run_key == again.run_key


def test_schedule_runs_at_two_every_night_in_the_chosen_time_zone():
    schedule = nightly_schedule("Asia/Kolkata")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Kolkata"
    assert schedule.job_name == "nightly_load"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert landing_folder_sensor.default_status == dg.DefaultSensorStatus.STOPPED


def test_a_failed_load_publishes_nothing_and_names_the_lock_holder(demo_load, tmp_path):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(demo_load.warehouse, warehouse)
    before = (warehouse / "analytics.duckdb").read_bytes()
    csv_before = (warehouse / "published" / "group_summary.csv").read_bytes()
    holder = duckdb.connect(str(warehouse / "warehouse.duckdb"))  # another writer
    try:
        result = run_pmps("load", "--landing", str(demo_load.landing), "--warehouse",
                          str(warehouse), cwd=tmp_path, check=False,
                          env={"PMPS_LOCK_RETRIES": "1", "PMPS_LOCK_RETRY_SECONDS": "0.2"})
    finally:
        holder.close()
    assert result.returncode == 1
    assert f"PID {os.getpid()}" in result.stderr
    assert "nothing was published" in result.stderr
    assert (warehouse / "analytics.duckdb").read_bytes() == before
    assert (warehouse / "published" / "group_summary.csv").read_bytes() == csv_before
    assert not [p.name for p in warehouse.rglob("*.tmp")]


def test_a_reader_open_across_three_loads_keeps_its_release_and_never_fails(demo_load,
                                                                            tmp_path):
    """A dashboard's connection opened before three loads reads the release it opened through
    all of them, after the release's folder is removed (the open file stays readable), and
    reconnecting shows the newest load."""
    warehouse = tmp_path / "warehouse"
    shutil.copytree(demo_load.warehouse, warehouse, symlinks=True)  # `current` stays a link
    opened = Path(os.path.realpath(warehouse / "current"))
    reader = duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True)
    try:
        before = reader.execute("SELECT max(load_id) FROM load_audit").fetchone()[0]
        rows = {table: reader.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("patients", "outcomes", "questionnaire_items")}
        for _ in range(3):
            run_pmps("load", "--landing", str(demo_load.landing), "--warehouse",
                     str(warehouse), cwd=tmp_path)  # neither waits for the other
            assert reader.execute("SELECT max(load_id) FROM load_audit").fetchone()[0] == before
            assert {table: reader.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                    for table in rows} == rows
            assert reader.execute("SELECT sum(value) FROM outcomes").fetchone()[0] > 0
        assert not opened.exists()  # its folder is gone: two releases are kept
    finally:
        reader.close()
    after = read_table(warehouse / "analytics.duckdb", "SELECT max(load_id) AS id FROM load_audit")
    assert after["id"].item() == before + 3


def test_a_failing_blocking_check_stops_publishing(demo_load, tmp_path):
    from pipelines.definitions import defs

    location = defs()

    warehouse = tmp_path / "warehouse"
    shutil.copytree(demo_load.warehouse, warehouse)
    before = (warehouse / "analytics.duckdb").read_bytes()

    @dg.asset_check(asset=dg.AssetKey(["published", "study_tables"]), blocking=True)
    def always_fails() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False)

    assets = list(location.assets)
    resources = {**location.resources, "pmps": PmpsSettings(landing_dir=str(demo_load.landing),
                                                        warehouse_dir=str(warehouse))}
    result = dg.materialize([*assets, always_fails], resources=resources,
                            raise_on_error=False)
    assert not result.success
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert dg.AssetKey(["published", "study_tables"]) in materialized
    assert dg.AssetKey(["published", "analytics_database"]) not in materialized
    assert (warehouse / "analytics.duckdb").read_bytes() == before


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _processes_with(marker: str) -> list[int]:
    """Live processes whose environment holds ``marker`` (those a test started, and theirs)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes() and " Z " not in (
                    environ.parent / "stat").read_text().rsplit(")", 1)[1][:3]:
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def test_dagster_dev_serves_the_job_schedule_and_sensor_and_stops_whole(tmp_path):
    """`pmps dev` (what `make dev` runs) serves the code location; SIGTERM to it alone stops
    every process `dagster dev` started (webserver, daemon, code servers)."""
    port = _free_port()
    marker = f"PMPS_WAREHOUSE_DIR={tmp_path}"
    env = {**os.environ, "PMPS_WAREHOUSE_DIR": str(tmp_path)}
    env.pop("DAGSTER_HOME", None)
    process = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "dev", "--", "-p",
                                str(port), "-h", "127.0.0.1"],
                               cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    query = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
        jobs { name } schedules { name cronSchedule executionTimezone }
        sensors { name } assetNodes { assetKey { path } } } } } }"""
    try:
        deadline, answer = time.monotonic() + 120, None
        while time.monotonic() < deadline:
            try:
                answer = _graphql(port, query)
                if answer.get("data", {}).get("repositoriesOrError", {}).get("nodes"):
                    break
            except OSError:
                pass
            time.sleep(1)
        assert answer is not None, "dagster dev did not answer"
        repository = answer["data"]["repositoriesOrError"]["nodes"][0]
        assert "nightly_load" in {job["name"] for job in repository["jobs"]}
        assert repository["schedules"][0]["cronSchedule"] == "0 2 * * *"
        assert {s["name"] for s in repository["sensors"]} == {"landing_folder_sensor"}
        keys = {"/".join(node["assetKey"]["path"]) for node in repository["assetNodes"]}
        assert {"ingest/patients", "outcomes", "published/analytics_database"} <= keys
        assert oct((tmp_path / "dagster_home").stat().st_mode & 0o777) == "0o700"
    finally:
        process.send_signal(signal.SIGTERM)  # to pmps dev alone, as a service manager would
        process.wait(timeout=60)
        deadline = time.monotonic() + 30
        while _processes_with(marker) and time.monotonic() < deadline:
            time.sleep(1)
        left = _processes_with(marker)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert left == []
