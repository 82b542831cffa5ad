"""Publish assets: the de-identified tables, then analytics.duckdb with published/."""

import dagster as dg

from pipelines import load, publish
from pipelines.assets.retry import retry_when_busy
from pipelines.resources import PmpsSettings

PUBLISHED = "published"
MARTS = [dg.AssetKey(name) for name in ("patients", "outcomes", "questionnaire_items",
                                         "load_data_issues")]


@dg.asset(key_prefix=[PUBLISHED], group_name=PUBLISHED, deps=MARTS,
          ins={"load_issues": dg.AssetIn(key=["ingest", "load_issues"])},
          description="The published tables, de-identified, with the group-level summaries.")
def study_tables(pmps: PmpsSettings, load_issues: load.LoadRecord) -> publish.PublishedTables:
    with retry_when_busy(pmps):
        return publish.build_tables(pmps.load().warehouse_dir, load_issues.load_audit)


@dg.asset(key_prefix=[PUBLISHED], group_name=PUBLISHED,
          ins={"study_tables": dg.AssetIn(key=[PUBLISHED, "study_tables"]),
               "load_issues": dg.AssetIn(key=["ingest", "load_issues"])},
          description="analytics.duckdb and published/ (summary CSVs, report.html), staged and "
                      "renamed into place together once the load is recorded.")
def analytics_database(context: dg.AssetExecutionContext, pmps: PmpsSettings,
                       study_tables: publish.PublishedTables,
                       load_issues: load.LoadRecord) -> None:
    with retry_when_busy(pmps):
        written = publish.publish_load(pmps.load().warehouse_dir, study_tables,
                                       load_issues.load_audit)
    context.add_output_metadata({
        "load_id": load_issues.load_id,
        "files": [str(path) for path in written],
        **{f"rows_{name}": len(frame) for name, frame in study_tables.tables.items()},
    })


publish_assets = [study_tables, analytics_database]
