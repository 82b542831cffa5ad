"""The ingest assets and the load's checks on warehouse.duckdb, invoked one by one as Dagster
functions (no job, no dbt) on a tiny landing folder: three patients files, one badly named
file. Every count below is worked out by hand from the files."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.defs.assets.ingest import (
    landing_files,
    load_issues,
    medications,
    patient_keys,
    patients,
    procedures,
    questionnaires,
)
from pipelines.defs.checks import accounting_identity, rejected_files_and_rows
from pipelines.defs.resources import PmpsSettings
from tests.e2e.landing_builders import ALPHA_PATIENTS_HEADER, write_delimited

CURRENT, OLDER = "patients_alpha_20261120.csv", "patients_alpha_20261101.csv"
ANN = ["A101", "Ann", "Lee", "F", "1960-05-10", "2024-01-15", "left", "1"]
BEA = ["A102", "Bea", "Kim", "female", "1970-03-03", "2024-02-01", "Right", "2"]
NO_MRN = ["", "Gus", "Ray", "f", "1950-01-01", "", "", ""]


def metadata(result) -> dict:
    return {name: getattr(entry, "value", entry) for name, entry in result.metadata.items()}


@pytest.fixture
def pmps(tmp_path) -> PmpsSettings:
    landing = tmp_path / "landing"
    landing.mkdir()
    write_delimited(landing / CURRENT, ALPHA_PATIENTS_HEADER, [ANN, BEA, NO_MRN])  # row 3: no mrn
    write_delimited(landing / OLDER, ALPHA_PATIENTS_HEADER, [ANN])  # superseded by CURRENT
    (landing / "README.txt").write_text("exports of the alpha clinic\n")  # bad_file_name
    config = tmp_path / "pmps.yaml"
    config.write_text("sites: {}\n", encoding="utf-8")  # alpha read with the defaults
    return PmpsSettings(config_file=str(config), landing_dir=str(landing),
                        warehouse_dir=str(tmp_path / "warehouse"))


def ingest(pmps: PmpsSettings) -> dict[str, dict]:
    """The ingest assets in the job's order, each given the resource as the job gives it."""
    return {asset.key.to_user_string(): metadata(asset(pmps=pmps))
            for asset in (landing_files, patients, patient_keys, procedures, questionnaires,
                          medications, load_issues)}


def audit(pmps: PmpsSettings) -> dict[str, tuple]:
    con = duckdb.connect(str(Path(pmps.warehouse_dir) / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT file_name, status, rows_read, rows_loaded, rows_rejected "
                           "FROM ingest.load_audit").fetchall()
    finally:
        con.close()
    return {name: tuple(counts) for name, *counts in rows}


def test_each_ingest_asset_reports_its_counts(pmps):
    assert ingest(pmps) == {
        "ingest/landing_files": {"load_id": 1, "loaded": 1, "superseded": 1, "rejected": 1},
        "ingest/patients": {"files": 1, "rows_read": 3, "rows_loaded": 2, "rows_rejected": 1,
                            "issues": 1},
        "ingest/patient_keys": {"patients": 2},
        "ingest/procedures": {"files": 0},
        "ingest/questionnaires": {"files": 0},
        "ingest/medications": {"files": 0},
        "ingest/load_issues": {"issues": 2, "rows_rejected": 1},  # missing_key, bad_file_name
    }
    assert audit(pmps) == {
        CURRENT: ("loaded", 3, 2, 1),
        OLDER: ("superseded", 0, 0, 0),
        "README.txt": ("rejected", 0, 0, 0),
    }


def test_accounting_identity_passes_on_a_load_and_names_each_broken_file(pmps):
    ingest(pmps)
    result = accounting_identity(pmps=pmps)
    assert result.passed
    assert metadata(result) == {"files": 3, "faults": 0, "sample": []}
    warehouse = Path(pmps.warehouse_dir) / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:  # two files' counts broken by hand
        con.execute("UPDATE ingest.load_audit SET rows_loaded = 3 WHERE file_name = ?", [CURRENT])
        con.execute("UPDATE ingest.load_audit SET rows_read = 1 WHERE file_name = ?", [OLDER])
    result = accounting_identity(pmps=pmps)
    assert not result.passed
    found = metadata(result)
    assert (found["files"], found["faults"]) == (3, 2)
    assert sorted(found["sample"]) == [
        f"{OLDER}: a superseded file counts no rows",
        f"{CURRENT}: read 3 != loaded 3 + rejected 1",
    ]


def test_rejected_files_and_rows_warns_with_a_sample_per_source(pmps):
    ingest(pmps)
    result = rejected_files_and_rows(pmps=pmps)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    found = metadata(result)
    assert found["rejected"] == 2  # README.txt and row 3 of the current patients file
    assert found["patients"] == {"rejected_files": 0, "rejected_rows": 1,
                                 "sample": [f"{CURRENT} row 3 mrn: missing_key"]}
    assert found["unnamed files"] == {"rejected_files": 1, "rejected_rows": 0,
                                      "sample": ["README.txt row None : bad_file_name"]}
    for source in ("procedures", "questionnaires", "medications"):
        assert found[source] == {"rejected_files": 0, "rejected_rows": 0, "sample": []}


def test_an_ingest_not_published_takes_no_load_id(pmps):
    """The load history (main.load_audit) is written when a load is published: the same
    folder ingested again before that is load 1 again, with the same counts, the patients
    file's checks reused from the first read (the configuration did not change)."""
    first = ingest(pmps)
    second = ingest(pmps)
    assert second == {**first, "ingest/patients": {**first["ingest/patients"], "reused": 1}}
    assert second["ingest/landing_files"]["load_id"] == 1
    con = duckdb.connect(str(Path(pmps.warehouse_dir) / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM main.load_audit").fetchone() == (0,)
    finally:
        con.close()
