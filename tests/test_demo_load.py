"""The first load, end to end: the bundled demo cohort through the real `pmps` command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pandas as pd
import pytest

from pipelines.core.tables import TABLE_DDL
from tests.conftest import PROJECT_ROOT, SHARED, read_table, run_pmps

# Vas & Pai 2019, the published table: mean (SD) per group and visit.
PUBLISHED_TABLE = {
    ("NRS", "NI_USGDN"): {"BASELINE": "9.6 (0.9)", "POST_NI": "5.2 (1.1)",
                          "POST_USGDN": "2.3 (0.8)"},
    ("PAINDETECT", "NI_USGDN"): {"BASELINE": "28.3 (4.3)", "POST_NI": "16.1 (3.7)",
                                 "POST_USGDN": "6.6 (1.2)"},
    ("DASH", "NI_USGDN"): {"BASELINE": "80.9 (10.5)", "POST_NI": "71.1 (10.5)",
                           "POST_USGDN": "34.6 (14.4)"},
    ("NRS", "USGDN_ONLY"): {"BASELINE": "7.8 (1.7)", "POST_USGDN": "1.3 (0.5)"},
    ("PAINDETECT", "USGDN_ONLY"): {"BASELINE": "20.0 (8.0)", "POST_USGDN": "6.0 (1.6)"},
    ("DASH", "USGDN_ONLY"): {"BASELINE": "61.0 (14.4)", "POST_USGDN": "22.5 (10.4)"},
}


def test_group_summary_reproduces_the_published_table(demo_load):
    summary = demo_load.table("group_summary")
    for (param, group), cells in PUBLISHED_TABLE.items():
        rows = summary[(summary["param_code"] == param) & (summary["group_code"] == group)]
        assert dict(zip(rows["visit_code"], rows["mean_sd"], strict=True)) == cells
        assert set(rows["n"]) == {16 if group == "NI_USGDN" else 4}


def test_patients_are_in_the_study_groups(demo_load):
    patients = demo_load.table("patients")
    assert len(patients) == 20
    assert patients["group_code"].value_counts().to_dict() == {"NI_USGDN": 16, "USGDN_ONLY": 4}
    assert patients["in_analysis"].all()
    assert patients["patient_key"].str.fullmatch(r"[0-9a-f]{16}").all()


def test_summary_prints_the_paper_layout(demo_load):
    printed = run_pmps("summary", "--warehouse", str(demo_load.warehouse),
                       cwd=demo_load.root).stdout.splitlines()
    assert printed[0].split() == ["param", "group", "BASELINE", "POST_NI", "POST_USGDN"]
    nrs_group_2 = next(line for line in printed if line.split()[:2] == ["NRS", "USGDN_ONLY"])
    assert nrs_group_2.split()[2:] == ["7.8", "(1.7)", "n=4", "1.3", "(0.5)", "n=4"]
    dash_group_1 = next(line for line in printed if line.split()[:2] == ["DASH", "NI_USGDN"])
    assert dash_group_1.split()[2:] == ["80.9", "(10.5)", "n=16", "71.1", "(10.5)", "n=16",
                                        "34.6", "(14.4)", "n=16"]
    assert any(line.startswith("Each cell: mean (SD)") for line in printed)


def test_load_reports_what_it_loaded(demo_load):
    printed = demo_load.outputs[1].stdout
    assert "load 1: 4 loaded" in printed
    assert "patients_demo_20261102.csv  20 rows loaded, 0 rejected" in printed


def test_published_outputs_hold_the_contract(demo_load):
    checker = SHARED / "tools" / "check_contract.py"
    if not checker.is_file():
        pytest.skip(f"{checker} is not here")
    result = subprocess.run([sys.executable, str(checker), str(demo_load.warehouse)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("contract: holds")


def test_published_bytes_hold_no_identifiers(demo_load):
    patients_csv = (demo_load.landing / "patients_demo_20261102.csv").read_text().splitlines()
    header = patients_csv[0].split(",")
    identifiers = set()
    for line in patients_csv[1:]:
        row = dict(zip(header, line.split(","), strict=True))
        identifiers |= {row["mrn"], row["first_name"], row["last_name"], row["date_of_birth"]}
    published = [demo_load.analytics, *sorted(
        path for path in (demo_load.warehouse / "published").rglob("*") if path.is_file())]
    for path in published:
        data = path.read_bytes()
        # embedded plots are base64 text, where any short name can appear by chance
        data = re.sub(rb"data:image/png;base64,[A-Za-z0-9+/=]+", b"", data)
        leaked = sorted(i for i in identifiers if i.encode() in data)
        assert leaked == [], f"{path.name} holds {leaked[:5]}"


def test_pseudonym_key_file_is_private_when_no_key_is_given(tmp_path):
    run_pmps("demo", "--landing", str(tmp_path / "landing"), cwd=tmp_path)
    from pipelines.core.pseudonym import load_key

    key = load_key(tmp_path / "warehouse", environ={})
    key_file = tmp_path / "warehouse" / "pseudonym.key"
    assert len(key) == 64 and int(key, 16) >= 0
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert load_key(tmp_path / "warehouse", environ={}) == key


def test_loading_the_same_folder_again_gives_the_same_tables(demo_load, tmp_path):
    first = {name: demo_load.table(name) for name in ("patients", "outcomes", "group_summary",
                                                       "change_summary", "responder_summary")}
    warehouse = tmp_path / "warehouse"
    for _ in range(2):
        run_pmps("load", "--landing", str(demo_load.landing), "--warehouse", str(warehouse),
                 cwd=tmp_path)
    from tests.conftest import read_table

    for name, frame in first.items():
        again = read_table(warehouse / "analytics.duckdb", f"SELECT * FROM {name}")
        assert again.equals(frame), name
    audit = read_table(warehouse / "analytics.duckdb", "SELECT * FROM load_audit")
    assert audit.groupby("load_id")["status"].apply(list).to_dict() == {
        1: ["loaded"] * 4, 2: ["loaded"] * 4}


def test_dagster_definitions_validate():
    dagster = PROJECT_ROOT / ".venv" / "bin" / "dagster"
    executable = str(dagster) if dagster.exists() else "dagster"
    result = subprocess.run([executable, "definitions", "validate", "-m", "pipelines.definitions"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dbt_unit_tests_pass_on_the_loaded_warehouse(demo_load):
    """The hand-worked dbt unit tests (scoring, baseline, MME), run on their own."""
    dbt = PROJECT_ROOT / ".venv" / "bin" / "dbt"
    database = (demo_load.warehouse / "warehouse.duckdb").resolve()
    target = demo_load.root / "dbt_target"
    result = subprocess.run(
        [str(dbt) if dbt.exists() else "dbt", "test", "--select", "resource_type:unit_test",
         "--target-path", str(target)],
        cwd=PROJECT_ROOT / "dbt_project", capture_output=True, text=True, timeout=300,
        env={**os.environ, "PMPS_WAREHOUSE_DB": str(database)})
    assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert len(results) >= 5
    assert {r["unique_id"].split(".")[0] for r in results} == {"unit_test"}
    assert {r["status"] for r in results} == {"pass"}


# ---- the data dictionary and the exports -----------------------------------------------------


def test_every_published_table_and_column_is_described(demo_load):
    columns = read_table(demo_load.analytics,
                         "SELECT table_name, column_name, comment FROM duckdb_columns() "
                         "WHERE schema_name = 'main' AND NOT internal")
    assert set(columns["table_name"]) == set(TABLE_DDL)
    assert columns["comment"].fillna("").str.len().min() > 8
    tables = read_table(demo_load.analytics,
                        "SELECT table_name, comment FROM duckdb_tables() WHERE NOT internal")
    assert tables["comment"].fillna("").str.len().min() > 20
    dictionary = pd.read_csv(demo_load.warehouse / "published" / "data_dictionary.csv",
                             keep_default_na=False)
    assert list(dictionary.columns) == ["table", "column", "type", "description", "unit",
                                        "allowed_values"]
    described = dictionary[dictionary["column"] != ""]
    assert len(described) == len(columns)
    assert (described["description"].str.len() > 10).all()
    visits = described[(described["table"] == "outcomes")
                       & (described["column"] == "visit_code")]["allowed_values"].item()
    assert visits == "BASELINE, POST_NI, POST_USGDN, FU_3M, FU_6M"


def test_parquet_exports_equal_the_database(demo_load):
    for table in TABLE_DDL:
        path = demo_load.warehouse / "published" / "parquet" / f"{table}.parquet"
        exported = read_table(demo_load.analytics, f"SELECT * FROM read_parquet('{path}')")
        assert exported.equals(demo_load.table(table)), table


@pytest.mark.parametrize("table", ["patients", "outcomes", "group_summary", "change_summary",
                                   "responder_summary"])
@pytest.mark.parametrize("kind", ["spss", "stata"])
def test_spss_and_stata_exports_read_back_as_the_database(demo_load, table, kind):
    """Codes come back through their value labels, booleans as 0/1, numbers as they are, and
    every variable has its label from the dictionary."""
    import pyreadstat

    reader = pyreadstat.read_sav if kind == "spss" else pyreadstat.read_dta
    suffix = "sav" if kind == "spss" else "dta"
    frame, meta = reader(str(demo_load.warehouse / "published" / kind / f"{table}.{suffix}"))
    wanted = demo_load.table(table)
    assert list(frame.columns) == list(wanted.columns)
    assert len(frame) == len(wanted)
    for column in wanted.columns:
        labels = meta.variable_value_labels.get(column)
        found = frame[column]
        if labels and column in ("group_code", "visit_code", "param_code", "category",
                                 "criterion", "reference", "sex", "mastectomy_side",
                                 "exclusion_reason"):
            found = found.map(lambda v, labels=labels: None if pd.isna(v) else labels[v])
            if column in ("group_code", "criterion"):  # labelled with their meaning
                found = found.map(lambda text: text if text is None else {
                    "Group 1: neural intervention then USGDN": "NI_USGDN",
                    "Group 2: USGDN only": "USGDN_ONLY", "Both groups": "ALL"}.get(
                    text, text.split(":")[0]))
            missing_as_none = [None if pd.isna(v) else v for v in found]
            assert missing_as_none == [None if pd.isna(v) else v for v in wanted[column]], column
        elif wanted[column].dtype == bool:
            assert found.astype(int).tolist() == wanted[column].astype(int).tolist(), column
        elif pd.api.types.is_numeric_dtype(wanted[column]):
            assert ((found - wanted[column].astype(float)).abs().fillna(0) < 1e-9).all() and (
                found.isna() == wanted[column].isna()).all(), column
        else:
            assert found.fillna("").tolist() == wanted[column].fillna("").tolist(), column
        assert meta.column_names_to_labels[column], column
