"""The code location: assembles assets, checks, job, schedule, sensor and resources."""

import dagster as dg

from pipelines.core.environment import read_environment
from pipelines.defs.assets.dbt import warehouse_models
from pipelines.defs.assets.ingest import ingest_assets
from pipelines.defs.assets.publish import publish_assets
from pipelines.defs.checks import load_checks
from pipelines.defs.jobs import nightly_load_job
from pipelines.defs.progress import step_names
from pipelines.defs.resources import build_resources
from pipelines.defs.schedules import DEFAULT_TIMEZONE, nightly_schedule
from pipelines.defs.sensors import landing_folder_sensor

ASSETS = [*ingest_assets, warehouse_models, *publish_assets]


@dg.definitions
def defs() -> dg.Definitions:
    """The code location, assembled when Dagster loads it (or `pmps load` asks for it): the
    schedule's time zone is read from the environment then, not when this module is imported."""
    timezone = read_environment().get("PMPS_SCHEDULE_TIMEZONE", DEFAULT_TIMEZONE)
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=load_checks,
        jobs=[nightly_load_job(step_names(ASSETS, load_checks))],
        schedules=[nightly_schedule(timezone)],
        sensors=[landing_folder_sensor],
        resources=build_resources(),
        # DuckDB takes one writer process: assets materialized from the UI run in one process
        executor=dg.in_process_executor,
    )
