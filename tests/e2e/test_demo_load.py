"""The first load, end to end: the bundled demo cohort through the real `pmps` command."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from pipelines.core.tables import TABLE_DDL
from tests.e2e.harness import CONTRACT_CHECK, PROJECT_ROOT, read_table, run_pmps

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


def test_responders_flag_every_patient_visit_and_criterion(demo_load):
    """Each patient's flags, worked out here from the published outcomes with pandas, and the
    published responder_summary counts them."""
    outcomes, flags = demo_load.table("outcomes"), demo_load.table("responders")
    summary = demo_load.table("responder_summary")
    nrs = outcomes[(outcomes.param_code == "NRS") & (outcomes.visit_order >= 1)]
    by_visit = flags[flags.criterion == "NRS_30PCT"].set_index(["patient_key", "visit_code"])
    assert len(by_visit) == len(outcomes[outcomes.visit_order >= 1][
        ["patient_key", "visit_code"]].drop_duplicates())
    for row in nrs.itertuples(index=False):
        evaluable, responder = by_visit.loc[(row.patient_key, row.visit_code),
                                            ["evaluable", "responder"]]
        assert bool(evaluable) == (not pd.isna(row.pct_change))
        if evaluable:
            assert bool(responder) == (row.pct_change <= -30)
    counted = flags[flags.evaluable & flags.in_analysis]
    for row in summary[summary.group_code != "ALL"].itertuples(index=False):
        cell = counted[(counted.group_code == row.group_code)
                       & (counted.visit_code == row.visit_code)
                       & (counted.criterion == row.criterion)]
        assert (row.n_evaluable, row.n_responders) == (len(cell), int(cell.responder.sum()))


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
    result = subprocess.run([sys.executable, str(CONTRACT_CHECK), str(demo_load.warehouse)],
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

    key = load_key(tmp_path / "warehouse")
    key_file = tmp_path / "warehouse" / "pseudonym.key"
    assert len(key) == 64 and int(key, 16) >= 0
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert load_key(tmp_path / "warehouse") == key


def test_loading_the_same_folder_again_gives_the_same_tables(demo_load, tmp_path):
    first = {name: demo_load.table(name) for name in ("patients", "outcomes", "group_summary",
                                                       "change_summary", "responder_summary")}
    warehouse = tmp_path / "warehouse"
    first_load, second_load = (
        run_pmps("load", "--landing", str(demo_load.landing), "--warehouse", str(warehouse),
                 cwd=tmp_path) for _ in range(2))
    # the first build in a new warehouse starts from the manifest `make` parsed: no full parse
    first_log = (warehouse / "dbt_target" / "dbt.log").read_text(encoding="utf-8")
    assert "Unable to do partial parsing" not in first_log
    manifest = json.loads((PROJECT_ROOT / "dbt_project" / "target" / "manifest.json").read_text())
    dbt_tests = sum(node["resource_type"] == "test" for node in manifest["nodes"].values())
    checks_line = next(line for line in first_load.stdout.splitlines()
                       if line.startswith("checks: "))
    assert checks_line.endswith(f"passed, 0 warned, 0 failed ({dbt_tests} of them dbt tests)")
    # nothing changed: dbt was not started, and its tests' results are carried over, not absent
    assert f"{checks_line}; {dbt_tests} of them carried over from the last build" \
        in second_load.stdout
    assert "emitted no result" not in second_load.stderr
    for name, frame in first.items():
        again = read_table(warehouse / "analytics.duckdb", f"SELECT * FROM {name}")
        assert again.equals(frame), name
    audit = read_table(warehouse / "analytics.duckdb", "SELECT * FROM load_audit")
    assert audit.groupby("load_id")["status"].apply(list).to_dict() == {
        1: ["loaded"] * 4, 2: ["loaded"] * 4}


def test_a_warehouse_built_before_a_seed_gained_a_column_loads(demo_load, tmp_path):
    """A warehouse whose seed table lacks a column the seed file has now (visits before
    visit_name) loads: every build recreates the seeds instead of reloading the old table."""
    warehouse = tmp_path / "warehouse"
    shutil.copytree(demo_load.warehouse, warehouse, symlinks=True)
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"))
    con.execute("ALTER TABLE reference.visits DROP COLUMN visit_name")
    con.close()
    (warehouse / "dbt_target" / "model_inputs.json").unlink()  # as after a change of the project
    run_pmps("load", "--landing", str(demo_load.landing), "--warehouse", str(warehouse),
             cwd=tmp_path)
    columns = read_table(warehouse / "warehouse.duckdb", "DESCRIBE reference.visits")
    assert "visit_name" in set(columns["column_name"])


def test_dagster_definitions_validate():
    dagster = PROJECT_ROOT / ".venv" / "bin" / "dagster"
    executable = str(dagster) if dagster.exists() else "dagster"
    result = subprocess.run([executable, "definitions", "validate", "-m", "pipelines.definitions"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def run_dbt(*args: str, database, target) -> subprocess.CompletedProcess:
    """dbt itself, in the project, on the given warehouse file."""
    dbt = PROJECT_ROOT / ".venv" / "bin" / "dbt"
    return subprocess.run(
        [str(dbt) if dbt.exists() else "dbt", *args, "--target-path", str(target)],
        cwd=PROJECT_ROOT / "dbt_project", capture_output=True, text=True, timeout=300,
        env={**os.environ, "PMPS_WAREHOUSE_DB": str(database)})


def test_dbt_unit_tests_pass_on_the_loaded_warehouse(demo_load, tmp_path):
    """The hand-worked dbt unit tests (scoring, categories, baseline, MME), run on their own,
    on a copy of the loaded warehouse (dbt opens it to write; other workers read the demo's)."""
    target, database = tmp_path / "dbt_target", tmp_path / "warehouse.duckdb"
    shutil.copy(demo_load.warehouse / "warehouse.duckdb", database)
    result = run_dbt("test", "--select", "resource_type:unit_test", target=target,
                     database=database)
    assert result.returncode == 0, result.stdout[-3000:]
    results = [r for r in json.loads((target / "run_results.json").read_text())["results"]
               if not r["unique_id"].startswith("operation.")]  # the project's on-run-start
    assert len(results) >= 6
    assert {r["unique_id"].split(".")[0] for r in results} == {"unit_test"}
    assert {r["status"] for r in results} == {"pass"}


# Each dbt data test, by name, with the change to a copy of a loaded warehouse that breaks it.
# Each breaks a different row (rowids count from 0), so that every test sees its own fault.
BREAKS = {
    "assert_item_responses_within_codebook":
        "UPDATE ingest.questionnaires SET nrs = 11 WHERE rowid = 0",
    "not_null_stg_ingest__questionnaires_visit_code":
        "UPDATE ingest.questionnaires SET visit_code = NULL WHERE rowid = 2",
    "relationships_stg_ingest__questionnaires_visit_code__visit_code__ref_visits_":
        "UPDATE ingest.questionnaires SET visit_code = 'WEEK_2' WHERE rowid = 1",
    "not_null_stg_ingest__patients_mrn":
        "UPDATE ingest.patients SET mrn = NULL WHERE rowid = 0",
    "not_null_stg_ingest__procedures_procedure_code":
        "UPDATE ingest.procedures SET procedure_code = NULL WHERE rowid = 0",
    "relationships_stg_ingest__procedures_procedure_code__procedure_code__ref_procedure_codes_":
        "UPDATE ingest.procedures SET procedure_code = 'acupuncture' WHERE rowid = 1",
    "not_null_stg_ingest__patient_keys_patient_key":
        "UPDATE ingest.patient_keys SET patient_key = NULL WHERE rowid = 0",
    "unique_stg_ingest__patient_keys_patient_key":
        "UPDATE ingest.patient_keys SET patient_key = (SELECT patient_key FROM ingest.patient_keys"
        " WHERE rowid = 1) WHERE rowid = 2",
    "in_code_list_patients_group_code__group_code":
        "UPDATE patients SET group_code = 'NI_ONLY' WHERE rowid = 0",
    "in_code_list_patients_exclusion_reason__exclusion_reason":
        "UPDATE patients SET exclusion_reason = 'withdrew' WHERE rowid = 4",
    "in_code_list_patients_sex__sex":
        "UPDATE patients SET sex = 'f' WHERE rowid = 1",
    "in_code_list_patients_mastectomy_side__mastectomy_side":
        "UPDATE patients SET mastectomy_side = 'both' WHERE rowid = 2",
    "unique_combination_patients_site__mrn":
        "INSERT INTO patients SELECT * FROM patients WHERE rowid = 3",
    "relationships_study_flow_stage__stage__ref_study_flow_stages_":
        "UPDATE study_flow SET stage = 'screened' WHERE rowid = 0",
    # the two warnings: an assessment dated a year on, past its later visits; a baseline gone
    "visits_in_order":
        "UPDATE int_questionnaires_scored SET assessment_date = assessment_date + 400 "
        "WHERE rowid = (SELECT min(rowid) FROM int_questionnaires_scored WHERE visit_order = 1)",
    "patients_without_baseline":
        "UPDATE outcomes SET baseline_value = NULL WHERE rowid = (SELECT min(rowid) FROM outcomes "
        "WHERE in_analysis AND NOT is_baseline)",
    "assert_scores_within_parameter_ranges":
        "UPDATE outcomes SET value = 11 WHERE rowid = (SELECT min(rowid) FROM outcomes"
        " WHERE param_code = 'NRS' AND rowid > 5)",
    "not_null_outcomes_visit_code":
        "UPDATE outcomes SET visit_code = NULL WHERE rowid = 1",
    "relationships_outcomes_visit_code__visit_code__ref_visits_":
        "UPDATE outcomes SET visit_code = 'WEEK_2' WHERE rowid = 2",
    "not_null_outcomes_param_code":
        "UPDATE outcomes SET param_code = NULL WHERE rowid = 3",
    "relationships_outcomes_param_code__param_code__ref_parameters_":
        "UPDATE outcomes SET param_code = 'VAS' WHERE rowid = 4",
    "unique_combination_outcomes_site__mrn__visit_code__param_code":
        "INSERT INTO outcomes SELECT * FROM outcomes WHERE rowid = 5",
    "relationships_load_data_issues_severity__severity__ref_data_issue_rules_":
        "INSERT INTO load_data_issues BY NAME SELECT 'patients_demo.csv' AS "
        "file_name, 'patients' AS source, 'demo' AS site, 2 AS row_number, 'sex' AS \"column\", "
        "'x' AS value, 'out_of_range' AS rule, 'notice' AS severity, 'a note' AS message",
    "relationships_load_data_issues_rule__rule__ref_data_issue_rules_":
        "INSERT INTO load_data_issues BY NAME SELECT 'patients_demo.csv' AS "
        "file_name, 'patients' AS source, 'demo' AS site, 3 AS row_number, 'sex' AS \"column\", "
        "'x' AS value, 'no_such_rule' AS rule, 'warning' AS severity, 'a note' AS message",
    # The not_null tests beside the contracts' not_null constraints (which Spark does not
    # enforce on Parquet): on DuckDB each break drops its constraint first. The value break
    # takes the last row, which the NRS break of assert_scores_within_parameter_ranges never
    # does.
    "not_null_patients_patient_key":
        "ALTER TABLE patients ALTER COLUMN patient_key DROP NOT NULL; "
        "UPDATE patients SET patient_key = NULL WHERE rowid = 5",
    "not_null_patients_site":
        "ALTER TABLE patients ALTER COLUMN site DROP NOT NULL; "
        "UPDATE patients SET site = NULL WHERE rowid = 6",
    "not_null_patients_mrn":
        "ALTER TABLE patients ALTER COLUMN mrn DROP NOT NULL; "
        "UPDATE patients SET mrn = NULL WHERE rowid = 7",
    "not_null_patients_in_analysis":
        "ALTER TABLE patients ALTER COLUMN in_analysis DROP NOT NULL; "
        "UPDATE patients SET in_analysis = NULL WHERE rowid = 8",
    "not_null_patients_usgdn_sessions":
        "ALTER TABLE patients ALTER COLUMN usgdn_sessions DROP NOT NULL; "
        "UPDATE patients SET usgdn_sessions = NULL WHERE rowid = 9",
    "not_null_outcomes_patient_key":
        "ALTER TABLE outcomes ALTER COLUMN patient_key DROP NOT NULL; "
        "UPDATE outcomes SET patient_key = NULL WHERE rowid = 100",
    "not_null_outcomes_site":
        "ALTER TABLE outcomes ALTER COLUMN site DROP NOT NULL; "
        "UPDATE outcomes SET site = NULL WHERE rowid = 101",
    "not_null_outcomes_mrn":
        "ALTER TABLE outcomes ALTER COLUMN mrn DROP NOT NULL; "
        "UPDATE outcomes SET mrn = NULL WHERE rowid = 102",
    "not_null_outcomes_visit_order":
        "ALTER TABLE outcomes ALTER COLUMN visit_order DROP NOT NULL; "
        "UPDATE outcomes SET visit_order = NULL WHERE rowid = 103",
    "not_null_outcomes_value":
        "ALTER TABLE outcomes ALTER COLUMN value DROP NOT NULL; "
        "UPDATE outcomes SET value = NULL WHERE rowid = (SELECT max(rowid) FROM outcomes)",
    "not_null_outcomes_is_prorated":
        "ALTER TABLE outcomes ALTER COLUMN is_prorated DROP NOT NULL; "
        "UPDATE outcomes SET is_prorated = NULL WHERE rowid = 105",
    "not_null_outcomes_is_baseline":
        "ALTER TABLE outcomes ALTER COLUMN is_baseline DROP NOT NULL; "
        "UPDATE outcomes SET is_baseline = NULL WHERE rowid = 106",
    "not_null_study_flow_site":
        "ALTER TABLE study_flow ALTER COLUMN site DROP NOT NULL; "
        "UPDATE study_flow SET site = NULL WHERE rowid = 1",
    "not_null_study_flow_step":
        "ALTER TABLE study_flow ALTER COLUMN step DROP NOT NULL; "
        "UPDATE study_flow SET step = NULL WHERE rowid = 2",
    "not_null_study_flow_n":
        "ALTER TABLE study_flow ALTER COLUMN n DROP NOT NULL; "
        "UPDATE study_flow SET n = NULL WHERE rowid = 3",
    "not_null_load_data_issues_file_name":
        "ALTER TABLE load_data_issues ALTER COLUMN file_name DROP NOT NULL; "
        "INSERT INTO load_data_issues BY NAME SELECT NULL AS file_name, "
        "'patients' AS source, 'demo' AS site, 'bad_value' AS rule, 'rejected_value' AS severity",
    "not_null_load_data_issues_severity":
        "ALTER TABLE load_data_issues ALTER COLUMN severity DROP NOT NULL; "
        "INSERT INTO load_data_issues BY NAME SELECT 'patients_demo.csv' AS "
        "file_name, 'patients' AS source, 'demo' AS site, 'bad_value' AS rule, NULL AS severity",
    # the seeds' keys: a rule or a stage given twice
    "unique_data_issue_rules_rule":
        "INSERT INTO reference.data_issue_rules "
        "SELECT * FROM reference.data_issue_rules WHERE rule = 'bad_date'",
    "unique_study_flow_stages_stage":
        "INSERT INTO reference.study_flow_stages "
        "SELECT * FROM reference.study_flow_stages WHERE stage = 'group'",
    "not_null_load_data_issues_rule":
        "ALTER TABLE load_data_issues ALTER COLUMN rule DROP NOT NULL; "
        "INSERT INTO load_data_issues BY NAME SELECT 'patients_demo.csv' AS "
        "file_name, 'patients' AS source, 'demo' AS site, NULL AS rule, 'warning' AS severity",
}


def test_every_dbt_data_test_fails_on_the_input_that_breaks_it(demo_load, tmp_path):
    """Each generic and singular dbt test is shown able to fail: on a copy of a loaded warehouse
    broken as BREAKS says, `dbt test` fails every one of them, and a new test without a break
    fails here."""
    database = tmp_path / "warehouse.duckdb"  # the same name: dbt attaches it as `warehouse`
    shutil.copy(demo_load.warehouse / "warehouse.duckdb", database)
    con = duckdb.connect(str(database))
    for statement in BREAKS.values():
        con.execute(statement).fetchall()
    con.close()
    target = tmp_path / "dbt_target"
    result = run_dbt("test", "--exclude", "resource_type:unit_test", target=target,
                     database=database)
    assert result.returncode == 1, result.stdout[-3000:]
    results = [r for r in json.loads((target / "run_results.json").read_text())["results"]
               if r["unique_id"].startswith("test.")]
    statuses = {r["unique_id"].split(".")[2]: r["status"] for r in results}
    assert set(statuses) == set(BREAKS)
    warnings = {"visits_in_order", "patients_without_baseline"}  # severity warn
    assert {name for name, status in statuses.items()
            if status != ("warn" if name in warnings else "fail")} == set()


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


@pytest.mark.parametrize("table", ["patients", "outcomes", "outcomes_wide",
                                   "baseline_characteristics", "group_summary",
                                   "change_summary", "responder_summary"])
@pytest.mark.parametrize("kind", ["spss", "stata"])
def test_spss_and_stata_exports_read_back_as_the_database(demo_load, table, kind):
    """Codes come back through their value labels, booleans as 0/1, numbers as they are, and
    every variable has its label from the dictionary."""
    import pyreadstat

    reader = pyreadstat.read_sav if kind == "spss" else pyreadstat.read_dta
    suffix = "sav" if kind == "spss" else "dta"
    frame, meta = reader(str(demo_load.warehouse / "published" / kind / f"{table}.{suffix}"))
    wanted = demo_load.table(table)
    visits = demo_load.table("ref_visits")
    meanings = {  # label -> code; a criterion's label starts with its code
        "group_code": {"Group 1: neural intervention then USGDN": "NI_USGDN",
                       "Group 2: USGDN only": "USGDN_ONLY", "Both groups": "ALL"},
        "visit_code": dict(zip(visits["visit_name"], visits["visit_code"], strict=True)),
        "param_code": {"NRS pain 0–10": "NRS", "painDETECT −1–38": "PAINDETECT",
                       "DASH 0–100": "DASH", "PHQ-9 0–27": "PHQ9",
                       "Opioid use (MME/day)": "MME"},
        "criterion": {}}
    assert list(frame.columns) == list(wanted.columns)
    assert len(frame) == len(wanted)
    for column in wanted.columns:
        labels = meta.variable_value_labels.get(column)
        found = frame[column]
        if labels and column in ("group_code", "visit_code", "param_code", "category",
                                 "criterion", "reference", "sex", "mastectomy_side",
                                 "exclusion_reason"):
            found = found.map(lambda v, labels=labels: None if pd.isna(v) else labels[v])
            if column in meanings:  # labelled with their meaning
                found = found.map(lambda text, c=column: text if text is None else
                                  meanings[c].get(text, text.split(":")[0]))
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
