"""The pipeline's own database, ``warehouse.duckdb``: raw history, the load's staged and
accepted rows, and the bookkeeping of every load.

Connections are opened for one step and closed at once: DuckDB takes one writer process, and
dbt (a subprocess) writes the same file between the ingest and publish steps. Rows move in and
out as Arrow (polars frames), never row by row.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from pipelines.core.contracts import mart_contract
from pipelines.core.reference import SOURCES

WAREHOUSE_DB = "warehouse.duckdb"
# Every file a load creates is its owner's only (files 0600, folders 0700), as the
# identifiable ones must be (docs/tables.md#3-privacy); the published outputs are opened on purpose.
PRIVATE_UMASK = 0o077
# DuckDB's own memory for one connection; the load's other memory is Python's and dbt's.
MEMORY_LIMIT = "1GB"

Columns = dict[str, str]
"""A table's columns in order: name -> DuckDB type."""


def column_ddl(columns: Columns) -> str:
    """The column list of a CREATE TABLE for ``columns``."""
    return ", ".join(f'"{name}" {type_}' for name, type_ in columns.items())


# The polars type of each DuckDB type a table declared here uses, for frames written into it.
POLARS_TYPES = {"INTEGER": pl.Int32, "VARCHAR": pl.String, "DATE": pl.Date,
                "TIMESTAMP": pl.Datetime("us"), "BOOLEAN": pl.Boolean, "DOUBLE": pl.Float64}


def polars_schema(columns: Columns) -> dict[str, pl.DataType]:
    """The polars schema of a frame bound for a table of ``columns``, in the same order."""
    return {name: POLARS_TYPES[type_] for name, type_ in columns.items()}


def quoted(names: Iterable[str]) -> str:
    """A select list of ``names``, each quoted ("column" is a keyword)."""
    return ", ".join(f'"{name}"' for name in names)


# A file's status in a load (load_audit.status), in the order reports list them.
LOADED, SUPERSEDED, DUPLICATE, REJECTED = "loaded", "superseded", "duplicate_file", "rejected"
FILE_STATUSES = (LOADED, SUPERSEDED, DUPLICATE, REJECTED)

# The files each load saw (main.load_audit, published as load_audit).
LOAD_FILE_COLUMNS: Columns = {
    "load_id": "INTEGER", "file_name": "VARCHAR", "source": "VARCHAR", "site": "VARCHAR",
    "export_date": "DATE", "sha256": "VARCHAR", "status": "VARCHAR", "rows_read": "INTEGER",
    "rows_loaded": "INTEGER", "rows_rejected": "INTEGER", "message": "VARCHAR",
    "loaded_at": "TIMESTAMP",
}

# The issues of a load before it is recorded (the ingest's steps, dbt's load_data_issues):
# where each is (file, row, column), the value and the rule. Declared once, by the mart's
# enforced contract (dbt_project/models/marts/load_data_issues.yml), which the ingest's issue
# tables must match for the mart to union them.
LOAD_ISSUE_COLUMNS: Columns = mart_contract("load_data_issues")
# One data issue of the history (main.data_issues): the load id is added when it joins it.
ISSUE_COLUMNS: Columns = {"load_id": "INTEGER", **LOAD_ISSUE_COLUMNS}

# This load's files: status, rejection rule and accounting (rows are filled in by source).
LANDING_FILES_COLUMNS: Columns = {
    "load_id": "INTEGER", "file_name": "VARCHAR", "source": "VARCHAR", "site": "VARCHAR",
    "export_date": "DATE", "sha256": "VARCHAR", "status": "VARCHAR", "rule": "VARCHAR",
    "message": "VARCHAR", "rows_read": "INTEGER", "rows_loaded": "INTEGER",
    "rows_rejected": "INTEGER", "loaded_at": "TIMESTAMP", "staged_as": "VARCHAR",
    "check_key": "VARCHAR",
}

# The analysis population of each recorded load (main.load_populations), written with the
# load's history. The publish guard compares with the published load's row, so a load never
# opens the published analytics.duckdb, which a reader may hold locked.
LOAD_POPULATION_COLUMNS: Columns = {"load_id": "INTEGER", "in_analysis": "INTEGER"}

LOAD_FILE_DDL = column_ddl(LOAD_FILE_COLUMNS)
ISSUE_DDL = column_ddl(ISSUE_COLUMNS)
LOAD_ISSUE_DDL = column_ddl(LOAD_ISSUE_COLUMNS)
LANDING_FILES_DDL = column_ddl(LANDING_FILES_COLUMNS)
LOAD_POPULATION_DDL = column_ddl(LOAD_POPULATION_COLUMNS)

# Issue tables of this load: one per step that finds issues, unioned by `load_issues`.
ISSUE_TABLES = ("ingest.issues_landing", *(f"ingest.issues_{s}" for s in SOURCES))


def work_dir(warehouse_dir: Path) -> Path:
    """Where a load stages the text rows of the files it read (Arrow IPC, one file each),
    between reading the landing folder and checking each source. Private to the owner and
    removed once the ingest is done."""
    return Path(warehouse_dir) / ".work"


def fresh_private_dir(folder: Path) -> Path:
    """``folder`` emptied (or created), readable by its owner only (0700)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700, parents=True)
    folder.chmod(0o700)
    return folder


def fresh_work_dir(warehouse_dir: Path) -> Path:
    return fresh_private_dir(work_dir(warehouse_dir))


SCHEMA_DDL = [
    "CREATE SCHEMA IF NOT EXISTS raw",
    "CREATE SCHEMA IF NOT EXISTS ingest",
    f"CREATE TABLE IF NOT EXISTS main.load_audit ({LOAD_FILE_DDL})",
    f"CREATE TABLE IF NOT EXISTS main.data_issues ({ISSUE_DDL})",
    f"CREATE TABLE IF NOT EXISTS main.load_populations ({LOAD_POPULATION_DDL})",
]


def ensure_warehouse_dir(warehouse_dir: Path) -> Path:
    """Create the warehouse folder if needed: 0755, as readers of the published outputs in it
    must reach them; what is identifiable inside is private by file and by sub-folder."""
    folder = Path(warehouse_dir)
    if not folder.is_dir():
        folder.mkdir(parents=True)
        folder.chmod(0o755)
    return folder


def warehouse_path(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / WAREHOUSE_DB


class WarehouseBusy(RuntimeError):
    """Another process holds warehouse.duckdb (DuckDB takes one writer process at a time)."""


def open_database(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file; a lock held elsewhere becomes WarehouseBusy naming the holder."""
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise
        # DuckDB's message names the holder, e.g. "Conflicting lock is held in ... (PID 123)"
        raise WarehouseBusy(f"{path} is in use by another process: {error}") from error
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    return con


@contextmanager
def connect(warehouse_dir: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """One short-lived connection to warehouse.duckdb, with its schemas in place."""
    ensure_warehouse_dir(warehouse_dir)
    con = open_database(warehouse_path(warehouse_dir), read_only=read_only)
    try:
        if not read_only:
            for statement in SCHEMA_DDL:
                con.execute(statement)
        yield con
    finally:
        con.close()


def check_writable(warehouse_dir: Path) -> None:
    """Raise WarehouseBusy now if another process holds warehouse.duckdb (before dbt starts,
    which would fail on it)."""
    open_database(warehouse_path(warehouse_dir)).close()


def replace_table(con: duckdb.DuckDBPyConnection, table: str, ddl: str,
                  frame: pl.DataFrame | None = None) -> None:
    """Replace ``table`` by ``frame`` (or make it empty), typed by ``ddl``."""
    con.execute(f"CREATE OR REPLACE TABLE {table} ({ddl})")
    if frame is not None:
        append_frame(con, table, frame)


def append_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Insert ``frame``'s columns by name, through Arrow; the table's types win."""
    if not frame.height:
        return
    con.register("incoming", frame.to_arrow())
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
    finally:
        con.unregister("incoming")


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    """Loads are numbered from 1; a load that failed before it was recorded is run again."""
    return con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM main.load_audit").fetchone()[0]


def files_used_before(con: duckdb.DuckDBPyConnection) -> dict[tuple, dict[str, set[str]]]:
    """(source, site, export date) -> {sha256: the names under which earlier loads used
    (loaded or superseded) a file of those bytes}."""
    rows = con.execute(
        """SELECT DISTINCT source, site, export_date, sha256, file_name FROM main.load_audit
           WHERE status IN ('loaded', 'superseded')""").fetchall()
    used: dict[tuple, dict[str, set[str]]] = {}
    for source, site, export_date, sha256, file_name in rows:
        used.setdefault((source, site, export_date), {}).setdefault(sha256, set()).add(file_name)
    return used
