"""Publish assets: the de-identified outputs staged, then renamed into place together."""

import dagster as dg

from pipelines.defs.assets.retry import retry_when_busy
from pipelines.defs.resources import PmpsSettings
from pipelines.publish import release

PUBLISHED = "published"
MARTS = [dg.AssetKey(name) for name in ("patients", "outcomes", "questionnaire_items",
                                         "study_flow", "load_data_issues")]


@dg.asset(key_prefix=[PUBLISHED], group_name=PUBLISHED,
          deps=[*MARTS, dg.AssetKey(["ingest", "load_issues"])],
          description="analytics.duckdb (de-identified, with the group-level summaries), the "
                      "summary CSVs and report.html, staged in <warehouse>/releases/<load_id>/.")
def study_tables(pmps: PmpsSettings) -> dg.MaterializeResult:
    config = pmps.load()
    with retry_when_busy(pmps):
        rows = release.stage_release(config.warehouse_dir, config.exports, config.reuse)
    return dg.MaterializeResult(metadata={f"rows_{name}": n for name, n in rows.items()})


@dg.asset(key_prefix=[PUBLISHED], group_name=PUBLISHED, deps=[study_tables],
          description="The load recorded in the history, then analytics.duckdb and published/ "
                      "renamed into place.")
def analytics_database(pmps: PmpsSettings) -> dg.MaterializeResult:
    with retry_when_busy(pmps):
        written = release.publish_release(pmps.load().warehouse_dir)
    return dg.MaterializeResult(metadata={"files": [str(path) for path in written]})


publish_assets = [study_tables, analytics_database]
