"""Asset checks of the nightly load. Checks that guard the published data are blocking: when
one fails, nothing is published and the old analytics.duckdb stays. Every check reads the
warehouse (or the staged release) itself; no rows come through Dagster."""

import dagster as dg
import duckdb

from pipelines.core import quality, warehouse
from pipelines.defs.assets.retry import retry_when_busy
from pipelines.defs.resources import PmpsSettings
from pipelines.publish import guard, release

LOAD_ISSUES = dg.AssetKey(["ingest", "load_issues"])
STUDY_TABLES = dg.AssetKey(["published", "study_tables"])


def _query(pmps: PmpsSettings, question):
    with retry_when_busy(pmps), \
            warehouse.connect(pmps.load().warehouse_dir, read_only=True) as con:
        return question(con)


@dg.asset_check(asset=LOAD_ISSUES, blocking=True,
                description="rows_read = rows_loaded + rows_rejected for every loaded file; "
                            "rejected, superseded and duplicate files load nothing.")
def accounting_identity(pmps: PmpsSettings) -> dg.AssetCheckResult:
    audit = _query(pmps, lambda con: con.execute("SELECT * FROM ingest.load_audit").df())
    faults = quality.accounting_faults(audit)
    return dg.AssetCheckResult(passed=not faults, metadata={
        "files": len(audit), "faults": len(faults), "sample": faults[:5]})


@dg.asset_check(asset=LOAD_ISSUES,
                description="Rejected files and rows per source, with a sample of the issues.")
def rejected_files_and_rows(pmps: PmpsSettings) -> dg.AssetCheckResult:
    report = _query(pmps, quality.rejections_by_source)
    rejected = sum(r["rejected_files"] + r["rejected_rows"] for r in report.values())
    return dg.AssetCheckResult(passed=rejected == 0, severity=dg.AssetCheckSeverity.WARN,
                               metadata={"rejected": rejected, **{
                                   source: dg.MetadataValue.json(r) for source, r in
                                   report.items()}})


def _staged_database(pmps: PmpsSettings):
    warehouse_dir = pmps.load().warehouse_dir
    load_id = release.staged_load_id(warehouse_dir)
    return release.release_dir(warehouse_dir, load_id) / release.ANALYTICS_DB


@dg.asset_check(asset=STUDY_TABLES, blocking=True,
                description="Every contracted table and column is there before publishing.")
def published_structure(pmps: PmpsSettings) -> dg.AssetCheckResult:
    with retry_when_busy(pmps):  # the staged release is found through warehouse.duckdb
        staged = _staged_database(pmps)
    con = duckdb.connect(str(staged), read_only=True)
    try:
        faults = quality.missing_columns(con)
    finally:
        con.close()
    return dg.AssetCheckResult(passed=not faults, metadata={"faults": faults[:10]})


@dg.asset_check(asset=STUDY_TABLES, blocking=True,
                description="The publish guard: the analysis population does not shrink by more "
                            "than publish_guard.max_drop_pct from the published one, nor to "
                            "nothing (`pmps load --accept-drop` lets it).")
def publish_guard(pmps: PmpsSettings) -> dg.AssetCheckResult:
    config = pmps.load()
    with retry_when_busy(pmps):  # both are found through warehouse.duckdb
        staged = _staged_database(pmps)
        # from the warehouse's record of the published load, never from the published
        # analytics.duckdb, which a dashboard may hold locked
        previous = guard.published_population(config.warehouse_dir)
    new = guard.analysis_population(staged)
    held = guard.guard_message(new, previous, config.publish_guard.max_drop_pct)
    return dg.AssetCheckResult(
        passed=held is None or pmps.accept_drop,
        metadata={"in_analysis": new, "previously_published": previous,
                  "accepted_drop": pmps.accept_drop, "message": held or ""})


# The warnings about the models (visits in order, patients without a baseline) are dbt tests
# with severity warn (dbt_project/tests), attached to their models as checks by dagster-dbt.
load_checks = [accounting_identity, rejected_files_and_rows, published_structure,
               publish_guard]
