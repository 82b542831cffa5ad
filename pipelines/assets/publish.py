"""Publish assets: the de-identified analytics.duckdb, the summary CSVs and the report."""


from pathlib import Path

import dagster as dg

from pipelines import load, publish, report
from pipelines.resources import PmpsSettings

PUBLISHED = "published"
MARTS = [dg.AssetKey(name) for name in ("patients", "outcomes", "questionnaire_items",
                                         "load_data_issues")]


@dg.asset(key_prefix=[PUBLISHED], group_name=PUBLISHED, deps=MARTS,
          ins={"load_issues": dg.AssetIn(key=["ingest", "load_issues"])},
          description="The published tables, de-identified, with the group-level summaries.")
def study_tables(pmps: PmpsSettings, load_issues: load.LoadRecord) -> publish.PublishedTables:
    return publish.build_tables(pmps.load().warehouse_dir, load_issues.load_audit)


@dg.asset(key_prefix=[PUBLISHED], group_name=PUBLISHED,
          ins={"study_tables": dg.AssetIn(key=[PUBLISHED, "study_tables"]),
               "load_issues": dg.AssetIn(key=["ingest", "load_issues"])},
          description="analytics.duckdb, replaced whole by renaming a new file over it.")
def analytics_database(context: dg.AssetExecutionContext, pmps: PmpsSettings,
                       study_tables: publish.PublishedTables,
                       load_issues: load.LoadRecord) -> None:
    warehouse_dir = pmps.load().warehouse_dir
    path = publish.publish_database(warehouse_dir, study_tables)
    publish.record_history(warehouse_dir, load_issues.load_audit)
    context.add_output_metadata({
        "path": dg.MetadataValue.path(str(path)), "load_id": load_issues.load_id,
        **{f"rows_{name}": len(frame) for name, frame in study_tables.tables.items()},
    })


@dg.asset(key_prefix=[PUBLISHED], group_name=PUBLISHED,
          deps=[dg.AssetKey([PUBLISHED, "analytics_database"])],
          ins={"study_tables": dg.AssetIn(key=[PUBLISHED, "study_tables"])},
          description="published/: the three summary CSVs and report.html.")
def published_reports(context: dg.AssetExecutionContext, pmps: PmpsSettings,
                      study_tables: publish.PublishedTables) -> None:
    warehouse_dir = Path(pmps.load().warehouse_dir)
    written = publish.write_summary_csvs(warehouse_dir, study_tables)
    written.append(report.write_report(warehouse_dir / publish.PUBLISHED_DIR / "report.html",
                                       study_tables.tables))
    context.add_output_metadata({"files": [str(p) for p in written]})


publish_assets = [study_tables, analytics_database, published_reports]
