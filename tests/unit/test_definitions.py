"""The code location as a whole, without a load: pipelines.definitions resolves (every asset,
asset check, job, schedule and sensor), and what it holds is exactly the recorded list in
tests/unit/recorded/definitions.json: the asset keys with their groups, the asset checks (and
which of them block), the jobs, schedules and sensors.

An asset or a check added, renamed or left out of the definitions fails here in seconds, with
a diff of the list. When the change is meant, record the list again and review its diff:

    PMPS_RECORD=1 pytest -n0 tests/unit/test_definitions.py

The dbt assets come from dbt's manifest (`dbt parse`, which `make` runs).
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.defs.project import dbt_project

RECORDED = Path(__file__).resolve().parent / "recorded" / "definitions.json"
DEFS = defs()
NIGHTLY_LOAD = "nightly_load"


def described(definitions: dg.Definitions) -> dict:
    """What a code location holds, as plain data that sorts and prints the same every time."""
    graph = definitions.resolve_asset_graph()
    repository = definitions.get_repository_def()
    return {
        "assets": {key.to_user_string(): graph.get(key).group_name
                   for key in sorted(graph.get_all_asset_keys())},
        # one line each: "blocking" (a failure holds back what depends on the asset) or not
        "asset_checks": {key.to_user_string(): "blocking" if graph.get_check_spec(key).blocking
                         else "not blocking" for key in sorted(graph.asset_check_keys)},
        "jobs": sorted(job.name for job in definitions.resolve_all_job_defs()
                       if not job.name.startswith("__")),  # not Dagster's implicit asset job
        "schedules": {schedule.name: {"job": schedule.job_name, "cron": schedule.cron_schedule}
                      for schedule in repository.schedule_defs},
        "sensors": {sensor.name: {"job": sensor.job_name,
                                  "minimum_interval_seconds": sensor.minimum_interval_seconds}
                    for sensor in repository.sensor_defs},
        "resources": sorted(repository.get_top_level_resources()),
    }


def as_text(description: dict) -> str:
    return json.dumps(description, indent=2, sort_keys=True) + "\n"


def difference(recorded: dict, found: dict) -> str:
    return "".join(difflib.unified_diff(
        as_text(recorded).splitlines(keepends=True), as_text(found).splitlines(keepends=True),
        fromfile=str(RECORDED.name), tofile="pipelines.definitions"))


@pytest.fixture(scope="module")
def found() -> dict:
    return described(DEFS)


def test_definitions_are_the_recorded_list(found):
    if os.environ.get("PMPS_RECORD") == "1":
        RECORDED.parent.mkdir(exist_ok=True)
        RECORDED.write_text(as_text(found), encoding="utf-8")
        pytest.skip(f"recorded {RECORDED}: review its diff before committing it")
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    assert found == recorded, "the definitions differ from the recorded list " \
        "(PMPS_RECORD=1 records them again):\n" + difference(recorded, found)


def test_a_check_left_out_is_a_difference_that_names_it():
    """The comparison catches a check missing from the definitions, and its diff says which."""
    left_out = "published/study_tables:publish_guard"
    checks = [checks_def for checks_def in DEFS.asset_checks
              if left_out not in {key.to_user_string() for key in checks_def.check_keys}]
    assert len(checks) == len(DEFS.asset_checks) - 1
    without = dg.Definitions(assets=DEFS.assets, asset_checks=checks, jobs=DEFS.jobs,
                             schedules=DEFS.schedules, sensors=DEFS.sensors,
                             resources=DEFS.resources, executor=DEFS.executor)
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    found = described(without)
    assert found != recorded
    removed = [line for line in difference(recorded, found).splitlines()
               if line.startswith("-") and not line.startswith("---")]
    assert [line.rstrip(",") for line in removed] == [f'-    "{left_out}": "blocking"']


def test_every_job_schedule_and_sensor_resolves_against_the_definitions():
    dg.Definitions.validate_loadable(DEFS)
    job = DEFS.resolve_job_def(NIGHTLY_LOAD)
    graph = DEFS.resolve_asset_graph()
    # the nightly load builds every asset and runs every check, in one process
    assert job.asset_layer.selected_asset_keys == graph.get_all_asset_keys()
    assert job.asset_layer.asset_graph.asset_check_keys == graph.asset_check_keys
    assert job.executor_def.name == "in_process"
    assert {hook.name for hook in job.hook_defs} == {"report_step_done", "report_step_failed"}
    schedule = DEFS.resolve_schedule_def("nightly_load_schedule")
    assert (schedule.job_name, schedule.cron_schedule) == (NIGHTLY_LOAD, "0 2 * * *")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    sensor = DEFS.resolve_sensor_def("landing_folder_sensor")
    assert sensor.job_name == NIGHTLY_LOAD
    assert sensor.required_resource_keys == {"pmps"}
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED


def test_every_dbt_node_of_the_manifest_is_an_asset_or_a_check(found):
    """dbt's models and seeds are assets and its data tests are checks, one for one; the
    assets written in Python are the ingest and publish groups."""
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    kinds = [node["resource_type"] for node in manifest["nodes"].values()]
    python_assets = [key for key, group in found["assets"].items()
                     if group in ("ingest", "published")]
    assert len(found["assets"]) - len(python_assets) == kinds.count("model") + kinds.count("seed")
    python_checks = [key for key in found["asset_checks"]
                     if key.split(":")[0] in ("ingest/load_issues", "published/study_tables")]
    assert len(python_checks) == 4
    assert len(found["asset_checks"]) - len(python_checks) == kinds.count("test")


def test_the_schedules_time_zone_is_read_when_the_location_loads(monkeypatch):
    monkeypatch.setenv("PMPS_SCHEDULE_TIMEZONE", "Asia/Kolkata")
    schedule = defs().resolve_schedule_def("nightly_load_schedule")
    assert schedule.execution_timezone == "Asia/Kolkata"
    monkeypatch.setenv("PMPS_SCHEDULE_TIMEZONE", "")  # set to nothing: the default
    assert defs().resolve_schedule_def("nightly_load_schedule").execution_timezone == "UTC"
