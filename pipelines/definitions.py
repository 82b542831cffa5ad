"""The code location: assembles assets, checks, job, schedule, sensor and resources."""

import os

import dagster as dg

from pipelines.defs.assets.dbt import warehouse_models
from pipelines.defs.assets.ingest import ingest_assets
from pipelines.defs.assets.publish import publish_assets
from pipelines.defs.checks import load_checks
from pipelines.defs.jobs import nightly_load_job
from pipelines.defs.progress import step_names
from pipelines.defs.resources import build_resources
from pipelines.defs.schedules import nightly_schedule
from pipelines.defs.sensors import landing_folder_sensor

ASSETS = [*ingest_assets, warehouse_models, *publish_assets]

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=load_checks,
    jobs=[nightly_load_job(step_names(ASSETS, load_checks))],
    schedules=[nightly_schedule(os.environ.get("PMPS_SCHEDULE_TIMEZONE", "UTC"))],
    sensors=[landing_folder_sensor],
    resources=build_resources(),
    # DuckDB takes one writer process: assets materialized from the UI run in one process too
    executor=dg.in_process_executor,
)
