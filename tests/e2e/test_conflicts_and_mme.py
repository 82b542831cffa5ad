"""Conflicts with identical copies, unconvertible prescriptions with other faults, and mixed
arrivals of new files for one date (docs/rules.md#2-snapshots, docs/rules.md#4-duplicates;
docs/scoring.md#7-mme), through
two real loads of a small two-site landing folder.

Site `alpha` (defaults) holds the row-level cases:
- patients: mrn P7 has rows A, A' (a copy of A) and B: all three are duplicate_conflict;
- questionnaires: P1's BASELINE has rows A, A', B: all three are duplicate_conflict;
- medications: every prescription that cannot be converted (buprenorphine has no MME factor)
  has another fault too, and still makes MME missing on the dates its own dates make it active.

Site `beta` (defaults) holds the file-level cases of one export date:
- questionnaires 20261120 arrive as A, A' (a byte copy of A) and B: all three are
  conflicting_snapshot, so the 20261101 snapshot stays loaded;
- procedures 20261120 arrive beside an unreadable XLSX of the same date, and medications
  20261120 beside an empty CSV: each good file is alone and loaded;
- load 2 adds a byte copy of the questionnaires file load 1 used for 20261101 under a name that
  sorts first (duplicate_file, the original stays loaded) and a different file for that date
  (conflicting_snapshot).

Every expected value is worked out by hand from the rows below.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.harness import PSEUDONYM_KEY, read_table, run_pmps
from tests.e2e.landing_builders import write_delimited

PATIENTS_HEADER = ["mrn", "date_of_birth"]
PROCEDURES_HEADER = ["mrn", "procedure_date", "procedure"]
QUESTIONNAIRES_HEADER = ["mrn", "event", "assessment_date", "nrs"]
MEDICATIONS_HEADER = ["mrn", "drug", "dose", "unit", "doses_per_day", "start_date", "end_date",
                      "route"]

ALPHA_PATIENTS = [[f"P{n}", "1960-01-01"] for n in range(1, 7)] + [
    ["P7", "1961-01-01"],  # 7 A
    ["P7", "1961-01-01"],  # 8 A': a copy of A, part of the conflict
    ["P7", "1962-01-01"],  # 9 B
]
# Every alpha patient: a neural intervention on 2026-01-10 (the index date), then USGDN.
ALPHA_PROCEDURES = [row for n in range(1, 7) for row in (
    [f"P{n}", "2026-01-10", "neuraxial_block"], [f"P{n}", "2026-02-01", "usgdn"])]
ALPHA_QUESTIONNAIRES = [
    ["P1", "BASELINE", "2026-01-05", "7"],  # 1 A
    ["P1", "BASELINE", "2026-01-05", "7"],  # 2 A'
    ["P1", "BASELINE", "2026-01-05", "6"],  # 3 B
    ["P1", "POST_NI", "2026-01-17", "5"],
    ["P1", "POST_USGDN", "2026-11-15", "3"],
] + [row for n in range(2, 7) for row in (
    [f"P{n}", "BASELINE", "2026-01-05", "8"], [f"P{n}", "POST_NI", "2026-01-17", "6"],
    [f"P{n}", "POST_USGDN", "2026-11-15", "4"])]
# Exported on 2026-11-10, before the POST_USGDN assessments of 2026-11-15.
ALPHA_MEDICATIONS = [
    ["P2", "morphine", "10", "mg", "2", "2025-12-01", "", ""],  # 1: 20 MME a day
    ["P2", "buprenorphine", "-5", "mg", "1", "2026-01-15", "", ""],  # 2 bad dose: active
    ["P3", "morphine", "10", "mg", "2", "2025-12-01", "", ""],  # 3
    ["P3", "buprenorphine", "5", "mg", "", "2026-02-30", "", ""],  # 4 start does not parse
    ["P3", "buprenorphine", "5", "mg", "1", "", "", ""],  # 5 empty start: active nowhere
    ["P4", "morphine", "10", "mg", "2", "2025-12-01", "", ""],  # 6
    ["P4", "buprenorphine", "5", "mg", "1", "2026-01-10", "2026-13-01", ""],  # 7 open-ended
    ["P5", "morphine", "10", "mg", "2", "2025-12-01", "", ""],  # 8
    ["P5", "buprenorphine", "5", "mg", "1", "2026-01-16", "2026-01-01", ""],  # 9 end < start
    ["P6", "morphine", "10", "mg", "2", "2025-12-01", "", ""],  # 10
    ["P6", "buprenorphine", "5", "mg", "1", "2026-11-12", "", ""],  # 11 after the export date
]

BETA_PATIENTS = [["B1", "1970-05-05"], ["B2", "1971-06-06"]]
BETA_PROCEDURES = [["B1", "2026-02-01", "usgdn"], ["B2", "2026-02-01", "usgdn"]]
BETA_QUESTIONNAIRES_OLD = [["B1", "BASELINE", "2026-01-20", "6"],
                           ["B2", "BASELINE", "2026-01-20", "5"]]
BETA_QUESTIONNAIRES_A = [["B1", "BASELINE", "2026-01-20", "6"],
                         ["B1", "POST_USGDN", "2026-03-01", "2"]]
BETA_QUESTIONNAIRES_B = [["B1", "BASELINE", "2026-01-20", "6"],
                         ["B1", "POST_USGDN", "2026-03-01", "1"]]
BETA_MEDICATIONS = [["B1", "tramadol", "50", "mg", "2", "2026-01-01", "", ""]]

QB_OLD = "questionnaires_beta_20261101.csv"
QB_A, QB_A_COPY, QB_B = ("questionnaires_beta_20261120.csv", "QUESTIONNAIRES_beta_20261120.csv",
                         "questionnaires_BETA_20261120.csv")
QB_OLD_COPY, QB_OLD_OTHER = "Questionnaires_beta_20261101.csv", "QUESTIONNAIRES_BETA_20261101.csv"
PRB, PRB_BAD = "procedures_beta_20261120.csv", "procedures_beta_20261120.xlsx"
MB, MB_EMPTY = "medications_beta_20261120.csv", "MEDICATIONS_beta_20261120.csv"
MA = "medications_alpha_20261110.csv"


def build_landing(landing: Path) -> None:
    landing.mkdir(parents=True)
    for source, header, rows, date in (
            ("patients", PATIENTS_HEADER, ALPHA_PATIENTS, "20261120"),
            ("procedures", PROCEDURES_HEADER, ALPHA_PROCEDURES, "20261120"),
            ("questionnaires", QUESTIONNAIRES_HEADER, ALPHA_QUESTIONNAIRES, "20261120"),
            ("medications", MEDICATIONS_HEADER, ALPHA_MEDICATIONS, "20261110")):
        write_delimited(landing / f"{source}_alpha_{date}.csv", header, rows)
    write_delimited(landing / "patients_beta_20261120.csv", PATIENTS_HEADER, BETA_PATIENTS)
    write_delimited(landing / PRB, PROCEDURES_HEADER, BETA_PROCEDURES)
    (landing / PRB_BAD).write_bytes(b"not a spreadsheet")
    write_delimited(landing / QB_OLD, QUESTIONNAIRES_HEADER, BETA_QUESTIONNAIRES_OLD)
    write_delimited(landing / QB_A, QUESTIONNAIRES_HEADER, BETA_QUESTIONNAIRES_A)
    (landing / QB_A_COPY).write_bytes((landing / QB_A).read_bytes())
    write_delimited(landing / QB_B, QUESTIONNAIRES_HEADER, BETA_QUESTIONNAIRES_B)
    write_delimited(landing / MB, MEDICATIONS_HEADER, BETA_MEDICATIONS)
    write_delimited(landing / MB_EMPTY, MEDICATIONS_HEADER, [])


def add_second_delivery(landing: Path) -> None:
    (landing / QB_OLD_COPY).write_bytes((landing / QB_OLD).read_bytes())
    write_delimited(landing / QB_OLD_OTHER, QUESTIONNAIRES_HEADER,
                    [["B1", "BASELINE", "2026-01-20", "9"]])


def key(site: str, mrn: str) -> str:
    return hmac.new(PSEUDONYM_KEY.encode(), f"{site}:{mrn}".encode(),
                    hashlib.sha256).hexdigest()[:16]


@pytest.fixture(scope="module")
def loads(tmp_path_factory) -> Path:
    """Two loads into one warehouse; returns the warehouse folder."""
    root = tmp_path_factory.mktemp("conflicts")
    landing, warehouse = root / "landing", root / "warehouse"
    build_landing(landing)
    args = ("load", "--landing", str(landing), "--warehouse", str(warehouse))
    run_pmps(*args, cwd=root)
    add_second_delivery(landing)
    run_pmps(*args, cwd=root)
    return warehouse


def audit(warehouse: Path, load_id: int) -> pd.DataFrame:
    return read_table(warehouse / "analytics.duckdb",
                      f"SELECT * FROM load_audit WHERE load_id = {load_id}").set_index("file_name")


def issues_of(warehouse: Path, file_name: str, load_id: int = 1) -> set[tuple]:
    frame = read_table(warehouse / "warehouse.duckdb", f"""
        SELECT row_number, "column", rule FROM data_issues
        WHERE load_id = {load_id} AND file_name = '{file_name}'""")
    return {(None if pd.isna(r) else int(r), None if pd.isna(c) else c, rule)
            for r, c, rule in frame.itertuples(index=False)}


# ---- conflicts with an identical copy --------------------------------------------------


def test_a_copy_of_a_conflicting_row_is_part_of_the_conflict(loads):
    assert issues_of(loads, "patients_alpha_20261120.csv") == {
        (7, None, "duplicate_conflict"), (8, None, "duplicate_conflict"),
        (9, None, "duplicate_conflict")}
    assert issues_of(loads, "questionnaires_alpha_20261120.csv") == {
        (1, None, "duplicate_conflict"), (2, None, "duplicate_conflict"),
        (3, None, "duplicate_conflict")}


def test_load_audit_counts_every_row_of_a_conflict_as_rejected(loads):
    files = audit(loads, 1)
    # patients: 9 rows, the 3 of P7 rejected; questionnaires: 2 + 3 * 6 = 20 rows, 3 rejected
    for name, counts in (("patients_alpha_20261120.csv", (9, 6, 3)),
                         ("questionnaires_alpha_20261120.csv", (20, 17, 3))):
        row = files.loc[name]
        assert (row.rows_read, row.rows_loaded, row.rows_rejected) == counts


def test_the_conflicting_rows_are_gone_from_the_published_tables(loads):
    patients = read_table(loads / "analytics.duckdb",
                          "SELECT patient_key FROM patients WHERE site = 'alpha'")
    assert set(patients.patient_key) == {key("alpha", f"P{n}") for n in range(1, 7)}
    p1 = read_table(loads / "analytics.duckdb", f"""
        SELECT DISTINCT visit_code FROM outcomes WHERE patient_key = '{key("alpha", "P1")}'""")
    assert set(p1.visit_code) == {"POST_NI", "POST_USGDN"}


# ---- unconvertible prescriptions with other faults ----------------------------------------


def test_unconvertible_prescriptions_keep_their_other_issues(loads):
    # a rejected row has no value-level issue: row 7's end date gives no bad_value
    assert issues_of(loads, MA) == {
        (2, "dose", "bad_dose"), (2, "drug", "no_conversion_factor"),
        (4, "doses_per_day", "missing_key"), (4, "start_date", "bad_date"),
        (4, "drug", "no_conversion_factor"),
        (5, "start_date", "missing_key"), (5, "drug", "no_conversion_factor"),
        (7, "drug", "no_conversion_factor"),
        (9, "end_date", "end_before_start"), (9, "drug", "no_conversion_factor"),
        (11, "start_date", "date_in_future"), (11, "drug", "no_conversion_factor"),
    }
    row = audit(loads, 1).loc[MA]
    assert (row.rows_read, row.rows_loaded, row.rows_rejected) == (11, 5, 6)


# MME per patient and visit: morphine 10 mg x 2 = 20 a day from 2025-12-01 for P2-P6; P1 has
# no prescription (0). Assessments: BASELINE 01-05, POST_NI 01-17, POST_USGDN 11-15.
# P2: buprenorphine (bad dose) active from 01-15: missing at POST_NI and POST_USGDN.
# P3: start dates that do not parse or are empty: active nowhere.
# P4: end date that does not parse: open-ended from 01-10: missing at POST_NI and POST_USGDN.
# P5: end before start: active nowhere.
# P6: starts 11-12, after the export date 11-10: still counts, missing at POST_USGDN.
MISSING = None
EXPECTED_MME = {
    "P1": {"POST_NI": 0.0, "POST_USGDN": 0.0},
    "P2": {"BASELINE": 20.0, "POST_NI": MISSING, "POST_USGDN": MISSING},
    "P3": {"BASELINE": 20.0, "POST_NI": 20.0, "POST_USGDN": 20.0},
    "P4": {"BASELINE": 20.0, "POST_NI": MISSING, "POST_USGDN": MISSING},
    "P5": {"BASELINE": 20.0, "POST_NI": 20.0, "POST_USGDN": 20.0},
    "P6": {"BASELINE": 20.0, "POST_NI": 20.0, "POST_USGDN": MISSING},
}


def test_mme_is_missing_where_an_unconvertible_prescription_is_active(loads):
    outcomes = read_table(loads / "analytics.duckdb", """
        SELECT patient_key, visit_code, value, baseline_value, change FROM outcomes
        WHERE param_code = 'MME' AND site = 'alpha'""")
    got = {(r.patient_key, r.visit_code): r for r in outcomes.itertuples(index=False)}
    for mrn, visits in EXPECTED_MME.items():
        for visit, value in visits.items():
            row = got.get((key("alpha", mrn), visit))
            if value is MISSING:
                assert row is None, (mrn, visit)  # outcomes has rows only where there is a value
            else:
                assert row is not None and row.value == value, (mrn, visit)
    # the baselines and changes that follow: P3 and P5 keep 20, change 0; P1 has no baseline
    for mrn in ("P3", "P5"):
        row = got[(key("alpha", mrn), "POST_USGDN")]
        assert (row.baseline_value, row.change) == (20.0, 0.0)
    assert math.isnan(got[(key("alpha", "P1"), "POST_USGDN")].baseline_value)


def test_group_summary_of_mme_follows_the_missing_values(loads):
    summary = read_table(loads / "analytics.duckdb", """
        SELECT visit_code, n, mean, sd FROM group_summary
        WHERE param_code = 'MME' AND group_code = 'NI_USGDN'""").set_index("visit_code")
    # BASELINE: P2-P6, all 20. POST_NI: P1 0, P3, P5, P6 20: mean 15, sd sqrt(300 / 3) = 10.
    # POST_USGDN: P1 0, P3 20, P5 20: mean 40 / 3, sd sqrt((1600/9 + 2 * 400/9) / 2) = sqrt(400/3).
    assert tuple(summary.loc["BASELINE"]) == (5, 20.0, 0.0)
    n, mean, sd = summary.loc["POST_NI"]
    assert (n, mean) == (4, 15.0) and sd == pytest.approx(10.0, rel=1e-12)
    n, mean, sd = summary.loc["POST_USGDN"]
    assert n == 3
    assert mean == pytest.approx(40 / 3, rel=1e-12)
    assert sd == pytest.approx(math.sqrt(400 / 3), rel=1e-12)
    change = read_table(loads / "analytics.duckdb", """
        SELECT n_pairs, mean_change, p_wilcoxon FROM change_summary
        WHERE param_code = 'MME' AND group_code = 'NI_USGDN' AND visit_code = 'POST_USGDN'
          AND reference = 'BASELINE'""")
    # pairs: P3 and P5, both 0; every change equal, so no p-value
    assert (int(change.n_pairs[0]), change.mean_change[0]) == (2, 0.0)
    assert pd.isna(change.p_wilcoxon[0])


# ---- mixed arrivals of new files for one date ---------------------------------------------


def test_new_files_for_one_date_all_conflict_copies_included(loads):
    files = audit(loads, 1)
    for name in (QB_A, QB_A_COPY, QB_B):
        assert (files.loc[name].status, files.loc[name].rows_rejected) == ("rejected", 2)
    messages = read_table(loads / "warehouse.duckdb", f"""
        SELECT file_name, rule FROM data_issues WHERE load_id = 1
        AND file_name IN ('{QB_A}', '{QB_A_COPY}', '{QB_B}')""")
    assert sorted(messages.itertuples(index=False, name=None)) == sorted(
        (name, "conflicting_snapshot") for name in (QB_A, QB_A_COPY, QB_B))
    assert files.loc[QB_OLD].status == "loaded"


def test_a_file_whose_only_companion_is_unreadable_or_empty_is_alone(loads):
    files = audit(loads, 1)
    assert files.loc[PRB].status == "loaded"
    assert files.loc[MB].status == "loaded"
    assert files.loc[PRB_BAD].status == "rejected"
    assert files.loc[MB_EMPTY].status == "rejected"
    rules = issues_of(loads, PRB_BAD) | issues_of(loads, MB_EMPTY)
    assert rules == {(None, None, "unreadable_file"), (None, None, "empty_snapshot")}
    groups = read_table(loads / "analytics.duckdb",
                        "SELECT group_code FROM patients WHERE site = 'beta'")
    assert list(groups.group_code) == ["USGDN_ONLY", "USGDN_ONLY"]


def test_a_copy_of_the_file_used_before_is_a_duplicate_and_a_new_one_conflicts(loads):
    files = audit(loads, 2)
    assert files.loc[QB_OLD].status == "loaded"
    assert files.loc[QB_OLD_COPY].status == "duplicate_file"
    assert QB_OLD in files.loc[QB_OLD_COPY].message
    assert files.loc[QB_OLD_OTHER].status == "rejected"
    assert issues_of(loads, QB_OLD_OTHER, load_id=2) == {(None, None, "conflicting_snapshot")}
    for name in (QB_A, QB_A_COPY, QB_B):  # still new, still all conflicting
        assert files.loc[name].status == "rejected"
    # the second load publishes the same outcomes as the first
    outcomes = read_table(loads / "analytics.duckdb",
                          "SELECT count(*) AS n FROM outcomes WHERE site = 'beta'")
    assert int(outcomes.n[0]) == 4  # B1, B2: BASELINE NRS and MME
