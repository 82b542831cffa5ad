"""The pipeline's own database, ``warehouse.duckdb``: raw history, the load's accepted rows,
and the bookkeeping of every load.

Connections are opened for one step and closed at once: DuckDB takes one writer process, and
dbt (a subprocess) writes the same file between the ingest and publish steps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.issues import ISSUE_COLUMNS
from pipelines.reference import questionnaire_codebook

WAREHOUSE_DB = "warehouse.duckdb"

_LINEAGE = "site VARCHAR, file_name VARCHAR, row_number INTEGER, mrn VARCHAR"

INGEST_TABLES = {
    "patients": f"""{_LINEAGE}, first_name VARCHAR, last_name VARCHAR, date_of_birth DATE,
        sex VARCHAR, mastectomy_date DATE, mastectomy_side VARCHAR, treatment_group INTEGER""",
    "procedures": f"{_LINEAGE}, procedure_date DATE, procedure_code VARCHAR, notes VARCHAR",
    "questionnaires": f"{_LINEAGE}, visit_code VARCHAR, assessment_date DATE, " + ", ".join(
        f"{item.item} {'INTEGER' if item.whole_numbers_only else 'DOUBLE'}"
        for item in questionnaire_codebook()) + "".join(
        f", {item.item}_text VARCHAR" for item in questionnaire_codebook()
        if not item.whole_numbers_only),
    "medications": f"""{_LINEAGE}, drug VARCHAR, dose DOUBLE, unit VARCHAR,
        doses_per_day DOUBLE, start_date DATE, end_date DATE, route VARCHAR,
        is_convertible BOOLEAN""",
}

LOAD_FILE_COLUMNS = """load_id INTEGER, file_name VARCHAR, source VARCHAR, site VARCHAR,
    export_date DATE, sha256 VARCHAR, status VARCHAR, rows_read INTEGER, rows_loaded INTEGER,
    rows_rejected INTEGER, message VARCHAR, loaded_at TIMESTAMP"""

ISSUE_DDL = """load_id INTEGER, file_name VARCHAR, source VARCHAR, site VARCHAR,
    row_number INTEGER, "column" VARCHAR, value VARCHAR, rule VARCHAR, severity VARCHAR,
    message VARCHAR"""

SCHEMA_DDL = [
    "CREATE SCHEMA IF NOT EXISTS raw",
    "CREATE SCHEMA IF NOT EXISTS ingest",
    """CREATE TABLE IF NOT EXISTS raw.export_rows (load_id INTEGER, file_name VARCHAR,
        sha256 VARCHAR, source VARCHAR, site VARCHAR, export_date DATE, row_number INTEGER,
        record JSON)""",
    f"CREATE TABLE IF NOT EXISTS main.load_audit ({LOAD_FILE_COLUMNS})",
    f"CREATE TABLE IF NOT EXISTS main.data_issues ({ISSUE_DDL})",
]


def warehouse_path(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / WAREHOUSE_DB


class WarehouseBusy(RuntimeError):
    """Another process holds warehouse.duckdb (DuckDB takes one writer process at a time)."""


def open_database(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file; a lock held elsewhere becomes WarehouseBusy naming the holder."""
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise
        # DuckDB's message names the holder, e.g. "Conflicting lock is held in ... (PID 123)"
        raise WarehouseBusy(f"{path} is in use by another process: {error}") from error


@contextmanager
def connect(warehouse_dir: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """One short-lived connection to warehouse.duckdb, with its schemas in place."""
    Path(warehouse_dir).mkdir(parents=True, exist_ok=True)
    con = open_database(warehouse_path(warehouse_dir), read_only=read_only)
    try:
        if not read_only:
            for statement in SCHEMA_DDL:
                con.execute(statement)
        yield con
    finally:
        con.close()


def replace_table(con: duckdb.DuckDBPyConnection, table: str, ddl: str,
                  frame: pd.DataFrame) -> None:
    """Replace ``table`` by ``frame``, typed by ``ddl`` whatever pandas guessed."""
    con.execute(f"CREATE OR REPLACE TABLE {table} ({ddl})")
    append_frame(con, table, frame)


def append_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Insert ``frame``'s columns by name; the table's types win over pandas' guesses."""
    if not len(frame):
        return
    con.register("incoming", frame)
    try:
        names = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM incoming")
    finally:
        con.unregister("incoming")


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    """Loads are numbered from 1; a load that failed before it was recorded is run again."""
    return con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM main.load_audit").fetchone()[0]


def files_used_before(con: duckdb.DuckDBPyConnection) -> dict[tuple, set[str]]:
    """(source, site, export date) -> sha256 of the files earlier loads loaded or superseded."""
    rows = con.execute(
        """SELECT source, site, export_date, sha256 FROM main.load_audit
           WHERE status IN ('loaded', 'superseded')""").fetchall()
    used: dict[tuple, set[str]] = {}
    for source, site, export_date, sha256 in rows:
        used.setdefault((source, site, export_date), set()).add(sha256)
    return used


def stored_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT DISTINCT sha256 FROM raw.export_rows").fetchall()}


def raw_rows_frame(load_id: int, file, table) -> pd.DataFrame:
    """Every record of one export as text with its lineage, for the raw history."""
    return pd.DataFrame({
        "load_id": load_id,
        "file_name": file.file_name,
        "sha256": file.sha256,
        "source": file.source,
        "site": file.site,
        "export_date": file.export_date,
        "row_number": [row_number for row_number, _ in table.records],
        "record": [json.dumps(record, ensure_ascii=False) for _, record in table.records],
    })


def issues_frame(issues: list, load_id: int) -> pd.DataFrame:
    return pd.DataFrame([i.as_record(load_id) for i in issues], columns=list(ISSUE_COLUMNS))
