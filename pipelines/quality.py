"""What the load's checks look at, as plain functions of tables (pipelines/checks.py runs them)."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.issues import REJECTED_FILE, REJECTED_ROW, Issue
from pipelines.publish import TABLE_DDL

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


def rejections_by_source(load_audit: pd.DataFrame, issues: list[Issue]) -> dict[str, dict]:
    """Per source: rejected files, rejected rows, and a sample of the issues behind them."""
    report: dict[str, dict] = {}
    for source in ("patients", "procedures", "questionnaires", "medications", None):
        files = load_audit[(load_audit["source"] == source) if source else
                           load_audit["source"].isna()]
        sample = [f"{i.file_name} row {i.row_number} {i.column or ''}: {i.rule}"
                  for i in issues if i.source == source
                  and i.severity in (REJECTED_FILE, REJECTED_ROW)][:SAMPLE_SIZE]
        report[source or "unnamed files"] = {
            "rejected_files": int((files["status"] == "rejected").sum()),
            "rejected_rows": int(files.loc[files["status"] == "loaded", "rows_rejected"].sum()),
            "sample": sample,
        }
    return report


def missing_columns(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Contracted columns that a published table lacks."""
    faults = []
    for name, ddl in TABLE_DDL.items():
        wanted = [part.split()[0] for part in ddl.replace("\n", " ").split(",")]
        frame = tables.get(name)
        if frame is None:
            faults.append(f"table {name} is missing")
            continue
        faults += [f"{name}.{column} is missing" for column in wanted
                   if column not in frame.columns]
    return faults


def patients_without_baseline(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per parameter: patients in the analysis with values but no baseline, and a sample."""
    return con.execute("""
        SELECT param_code, count(DISTINCT site || ':' || mrn) AS patients,
               list(DISTINCT site || ':' || mrn ORDER BY site || ':' || mrn)[1:5] AS sample
        FROM main.outcomes WHERE in_analysis AND baseline_value IS NULL
        GROUP BY param_code ORDER BY param_code""").df()


def visits_out_of_order(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Assessments dated after a later visit of the same patient, with both dates."""
    return con.execute("""
        SELECT a.site, a.mrn, a.visit_code, a.assessment_date::varchar AS assessment_date,
               b.visit_code AS later_visit, b.assessment_date::varchar AS later_date
        FROM main.int_questionnaires_scored a
        JOIN main.int_questionnaires_scored b
          ON a.site = b.site AND a.mrn = b.mrn AND a.visit_order < b.visit_order
         AND b.assessment_date < a.assessment_date
        ORDER BY a.site, a.mrn, a.visit_code""").df()
