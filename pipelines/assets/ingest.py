"""Ingest assets: the landing folder's files, then one asset per source (CONTRACT.md 1-3)."""


import dagster as dg

from pipelines import load
from pipelines.assets.retry import retry_when_busy
from pipelines.resources import PmpsSettings

INGEST = "ingest"


def _result_metadata(result: load.SourceResult) -> dict:
    read = sum(c[0] for c in result.counts.values())
    rejected = sum(c[2] for c in result.counts.values())
    return {"files": len(result.counts), "rows_read": read, "rows_rejected": rejected,
            "issues": len(result.issues)}


@dg.asset(key_prefix=[INGEST], group_name=INGEST,
          description="Every file in the landing folder with its status; raw history kept.")
def landing_files(context: dg.AssetExecutionContext, pmps: PmpsSettings) -> load.LoadPlan:
    with retry_when_busy(pmps):
        plan = load.plan_load(pmps.load())
    statuses = {}
    for entry in plan.files:
        statuses[entry.status] = statuses.get(entry.status, 0) + 1
    context.add_output_metadata({"load_id": plan.load_id, **statuses})
    return plan


@dg.asset(key_prefix=[INGEST], group_name=INGEST,
          ins={"landing_files": dg.AssetIn(key=[INGEST, "landing_files"])},
          description="Accepted rows of the current patients snapshots.")
def patients(context: dg.AssetExecutionContext, pmps: PmpsSettings,
             landing_files: load.LoadPlan) -> load.SourceResult:
    with retry_when_busy(pmps):
        result = load.ingest_source("patients", landing_files, pmps.load())
    context.add_output_metadata(_result_metadata(result))
    return result


def _dependent_source(source: str) -> dg.AssetsDefinition:
    """procedures, questionnaires and medications: checked against the accepted patients."""

    @dg.asset(name=source, key_prefix=[INGEST], group_name=INGEST,
              ins={"landing_files": dg.AssetIn(key=[INGEST, "landing_files"]),
                   "patients": dg.AssetIn(key=[INGEST, "patients"])},
              description=f"Accepted rows of the current {source} snapshots.")
    def _asset(context: dg.AssetExecutionContext, pmps: PmpsSettings,
               landing_files: load.LoadPlan, patients: load.SourceResult) -> load.SourceResult:
        with retry_when_busy(pmps):
            result = load.ingest_source(source, landing_files, pmps.load(),
                                        patients.accepted_mrns)
        context.add_output_metadata(_result_metadata(result))
        return result

    return _asset


procedures = _dependent_source("procedures")
questionnaires = _dependent_source("questionnaires")
medications = _dependent_source("medications")


@dg.asset(key_prefix=[INGEST], group_name=INGEST,
          ins={name: dg.AssetIn(key=[INGEST, name]) for name in (
              "landing_files", "patients", "procedures", "questionnaires", "medications")},
          description="The load's accounting per file and the data issues the ingest found.")
def load_issues(context: dg.AssetExecutionContext, pmps: PmpsSettings,
                landing_files: load.LoadPlan, patients: load.SourceResult,
                procedures: load.SourceResult, questionnaires: load.SourceResult,
                medications: load.SourceResult) -> load.LoadRecord:
    with retry_when_busy(pmps):
        record = load.close_ingest(pmps.load(), landing_files,
                                   [patients, procedures, questionnaires, medications])
    context.add_output_metadata({"issues": len(record.issues),
                                 "rows_rejected": int(record.load_audit["rows_rejected"].sum())})
    return record


ingest_assets = [landing_files, patients, procedures, questionnaires, medications, load_issues]
