"""The code location: assembles assets, job, resources. No work happens here."""

from __future__ import annotations

import dagster as dg

from pipelines.assets.dbt import warehouse_models
from pipelines.assets.ingest import ingest_assets
from pipelines.assets.publish import publish_assets
from pipelines.jobs import nightly_load
from pipelines.resources import build_resources

defs = dg.Definitions(
    assets=[*ingest_assets, warehouse_models, *publish_assets],
    jobs=[nightly_load],
    resources=build_resources(),
)
