"""The nightly load: every asset and check, in one process (DuckDB takes one writer)."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from pipelines.defs.progress import progress_hooks

NIGHTLY_LOAD = "nightly_load"


def nightly_load_job(step_names: Mapping[str, tuple[str, str]]) -> dg.UnresolvedAssetJobDefinition:
    """The job, logging a progress line by each step's readable name as it ends."""
    return dg.define_asset_job(
        NIGHTLY_LOAD,
        selection=dg.AssetSelection.all(),  # in one process: definitions.py sets the executor
        hooks=progress_hooks(step_names),
        description="Ingest the landing folder, build the dbt models, publish the warehouse.",
    )
