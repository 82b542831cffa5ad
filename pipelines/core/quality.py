"""What the load's checks look at, as plain functions (pipelines/defs/checks.py runs them)."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.core.reference import SOURCES
from pipelines.core.tables import PUBLISHED_COLUMNS, columns_of

SAMPLE_SIZE = 5


def accounting_faults(load_audit: pd.DataFrame) -> list[str]:
    """Files whose counts break CONTRACT.md section 3's accounting."""
    faults = []
    for row in load_audit.itertuples(index=False):
        if row.status == "loaded" and row.rows_read != row.rows_loaded + row.rows_rejected:
            faults.append(f"{row.file_name}: read {row.rows_read} != loaded {row.rows_loaded}"
                          f" + rejected {row.rows_rejected}")
        elif row.status == "rejected" and (row.rows_loaded != 0
                                           or row.rows_rejected != row.rows_read):
            faults.append(f"{row.file_name}: a rejected file loads nothing")
        elif row.status in ("superseded", "duplicate_file") and (
                row.rows_read, row.rows_loaded, row.rows_rejected) != (0, 0, 0):
            faults.append(f"{row.file_name}: a {row.status} file counts no rows")
    return faults


def rejections_by_source(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Per source: rejected files, rejected rows, and a sample of the issues behind them."""
    report: dict[str, dict] = {}
    for source in (*SOURCES, None):
        where = "source = ?" if source else "source IS NULL"
        params = [source] if source else []
        files, rows = con.execute(
            f"""SELECT count(*) FILTER (WHERE status = 'rejected'),
                       coalesce(sum(rows_rejected) FILTER (WHERE status = 'loaded'), 0)
                FROM ingest.load_audit WHERE {where}""", params).fetchone()
        sample = [f"{name} row {row} {column or ''}: {rule}" for name, row, column, rule in
                  con.execute(
                      f"""SELECT file_name, row_number, "column", rule FROM ingest.load_issues
                          WHERE {where} AND severity IN ('rejected_file', 'rejected_row')
                          ORDER BY file_name, row_number NULLS FIRST LIMIT {SAMPLE_SIZE}""",
                      params).fetchall()]
        report[source or "unnamed files"] = {
            "rejected_files": int(files), "rejected_rows": int(rows), "sample": sample}
    return report


def missing_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Contracted tables and columns that the database on ``con`` lacks."""
    found = con.execute("""SELECT table_name, column_name FROM information_schema.columns
                           WHERE table_schema = 'main'""").fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in found:
        columns.setdefault(table, set()).add(column)
    faults = []
    for table in PUBLISHED_COLUMNS:
        if table not in columns:
            faults.append(f"table {table} is missing")
            continue
        faults += [f"{table}.{column} is missing" for column in columns_of(table)
                   if column not in columns[table]]
    return faults


# Check metadata is stored under dagster_home: it names patients by patient_key only and
# gives days between events, never their dates (CONTRACT.md section 4).


def patients_without_baseline(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per parameter: patients in the analysis with values but no baseline, and a sample."""
    return con.execute("""
        SELECT param_code, count(DISTINCT patient_key) AS patients,
               list(DISTINCT patient_key ORDER BY patient_key)[1:5] AS sample
        FROM main.outcomes WHERE in_analysis AND baseline_value IS NULL
        GROUP BY param_code ORDER BY param_code""").df()


def visits_out_of_order(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Assessments dated after a later visit of the same patient, and by how many days."""
    return con.execute("""
        SELECT k.patient_key, a.visit_code, b.visit_code AS later_visit,
               date_diff('day', b.assessment_date, a.assessment_date) AS days_after_it
        FROM main.int_questionnaires_scored a
        JOIN main.int_questionnaires_scored b
          ON a.site = b.site AND a.mrn = b.mrn AND a.visit_order < b.visit_order
         AND b.assessment_date < a.assessment_date
        JOIN ingest.patient_keys k ON k.site = a.site AND k.mrn = a.mrn
        ORDER BY k.patient_key, a.visit_code""").df()


def load_warnings(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The warning checks of this load that would warn, with what they found (the report
    names them; pipelines/defs/checks.py runs the same functions as Dagster checks)."""
    found = []
    rejected = rejections_by_source(con)
    files = sum(r["rejected_files"] for r in rejected.values())
    rows = sum(r["rejected_rows"] for r in rejected.values())
    if files or rows:
        found.append(("rejected_files_and_rows", f"{files} rejected files, {rows} rejected "
                                                 "rows in current files"))
    missing = patients_without_baseline(con)
    if not missing.empty:
        found.append(("patients_without_baseline", "patients in the analysis with values but "
                      "no baseline: " + ", ".join(f"{r.param_code} {r.patients}"
                                                  for r in missing.itertuples(index=False))))
    out_of_order = visits_out_of_order(con)
    if not out_of_order.empty:
        found.append(("visits_in_order", f"{len(out_of_order)} assessments dated after a "
                                         "later visit of the same patient"))
    return pd.DataFrame(found, columns=["check", "summary"])
