"""What the load's checks look at, as plain functions (pipelines/defs/checks.py runs them)."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.core.reference import SOURCES
from pipelines.core.tables import PUBLISHED_COLUMNS, columns_of

SAMPLE_SIZE = 5


def accounting_faults(load_audit: pd.DataFrame) -> list[str]:
    """Files whose counts break docs/rules.md#8-accounting."""
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

