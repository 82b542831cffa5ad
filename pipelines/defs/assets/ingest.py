"""Ingest assets: the landing folder's files, then one asset per source (docs/inputs.md,
docs/rules.md).

Rows never travel between the assets: each step reads and writes warehouse.duckdb and hands
Dagster only counts, so no IO manager stores patient rows under dagster_home.
"""

import dagster as dg

from pipelines.defs.assets.retry import retry_when_busy
from pipelines.defs.resources import PmpsSettings
from pipelines.ingest import load

INGEST = "ingest"


@dg.asset(key_prefix=[INGEST], group_name=INGEST,
          description="Every file in the landing folder with its status; the current files' "
                      "rows staged and the raw history kept.")
def landing_files(pmps: PmpsSettings) -> dg.MaterializeResult:
    with retry_when_busy(pmps):
        return dg.MaterializeResult(metadata=load.plan_load(pmps.load()))


def _source_asset(source: str, deps: list) -> dg.AssetsDefinition:
    """One source's accepted rows; the others are checked against the accepted patients."""

    @dg.asset(name=source, key_prefix=[INGEST], group_name=INGEST, deps=deps,
              description=f"Accepted rows of the current {source} snapshots, typed.")
    def _asset(pmps: PmpsSettings) -> dg.MaterializeResult:
        with retry_when_busy(pmps):
            return dg.MaterializeResult(metadata=load.ingest_source(source, pmps.load()))

    return _asset


patients = _source_asset("patients", [landing_files])


@dg.asset(key_prefix=[INGEST], group_name=INGEST, deps=[patients],
          description="One pseudonym (patient_key) per accepted patient, joined by the marts.")
def patient_keys(pmps: PmpsSettings) -> dg.MaterializeResult:
    with retry_when_busy(pmps):
        return dg.MaterializeResult(
            metadata={"patients": load.record_patient_keys(pmps.load())})


procedures = _source_asset("procedures", [landing_files, patients])
questionnaires = _source_asset("questionnaires", [landing_files, patients])
medications = _source_asset("medications", [landing_files, patients])


@dg.asset(key_prefix=[INGEST], group_name=INGEST,
          deps=[landing_files, patients, patient_keys, procedures, questionnaires, medications],
          description="The load's accounting per file and the data issues the ingest found.")
def load_issues(pmps: PmpsSettings) -> dg.MaterializeResult:
    with retry_when_busy(pmps):
        return dg.MaterializeResult(metadata=load.close_ingest(pmps.load()))


ingest_assets = [landing_files, patients, patient_keys, procedures, questionnaires, medications,
                 load_issues]
