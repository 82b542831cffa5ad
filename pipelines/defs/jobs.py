"""The nightly load: every asset and check, in one process (DuckDB takes one writer)."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.hooks import report_step_done, report_step_failed

NIGHTLY_LOAD = "nightly_load"

nightly_load = dg.define_asset_job(
    NIGHTLY_LOAD,
    selection=dg.AssetSelection.all(),  # in one process: definitions.py sets the executor
    hooks={report_step_done, report_step_failed},
    description="Ingest the landing folder, build the dbt models, publish the warehouse.",
)
