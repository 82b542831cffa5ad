"""What reading and checking a file found, kept for the next load that sees the same file.

A nightly load mostly finds the files of the night before. Reading a file and its row checks
(steps 1 and 2 of docs/rules.md#3-row-checks) depend on nothing but the file's bytes and name, its
site's settings, the file limits, the reference data (the dbt seeds) and the code that reads
and checks; all of them make up the file's ``check_key``. A load that finds a key it has
checked before takes the outcome from ``warehouse.duckdb`` (schema ``reuse``) instead of
reading the file again; the steps that join files (statuses, duplicates across loads,
``unknown_patient``) are computed afresh on every load, so every load still reports every file
and every issue. ``reuse: false`` in the configuration re-checks every file (and builds
and publishes everything afresh).

reuse.files       one row per key: the read outcome (rejection, rows read, header) and, once
                  its rows were checked, the rows steps 1 and 2 rejected
reuse.<source>    the typed rows that passed steps 1 and 2 (and medications kept unconvertible)
reuse.issues      the issues steps 1 and 2 found

Only the keys of the latest load are kept: each load removes the others when its ingest ends.
The rows stay in warehouse.duckdb, the one store of identifiable data.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import polars as pl

from pipelines.core import digests, warehouse
from pipelines.core.config import Config
from pipelines.core.issues import ISSUE_SCHEMA
from pipelines.core.reference import SEEDS_DIR, SOURCES
from pipelines.ingest.landing import LandingFile
from pipelines.ingest.validation import RowChecks
from schemas import SOURCE_SPECS

# The code a file's read and checks depend on, and the libraries that run it.
CODE_FOLDERS = ("pipelines/core", "pipelines/ingest", "schemas")
LIBRARIES = ("polars", "pandera", "fastexcel", "openpyxl", "duckdb")

UNCONVERTIBLE = "unconvertible"  # a medication kept only to make MME missing where active
FILES_DDL = ("check_key VARCHAR PRIMARY KEY, source VARCHAR, rule VARCHAR, message VARCHAR, "
             "rows_read INTEGER, columns VARCHAR[], rows_rejected INTEGER")


def rows_table(source: str) -> str:
    return f"reuse.{source}"


def schema_ddl() -> list[str]:
    return [
        "CREATE SCHEMA IF NOT EXISTS reuse",
        f"CREATE TABLE IF NOT EXISTS reuse.files ({FILES_DDL})",
        f"CREATE TABLE IF NOT EXISTS reuse.issues (check_key VARCHAR, {warehouse.LOAD_ISSUE_DDL})",
        *(f"CREATE TABLE IF NOT EXISTS {rows_table(source)} (check_key VARCHAR, "
          f"{UNCONVERTIBLE} BOOLEAN, {SOURCE_SPECS[source].ingest_columns})"
          for source in SOURCES),
    ]


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for statement in schema_ddl():
        con.execute(statement)


@functools.cache
def code_version() -> str:
    """A digest of the reading and checking code, the seeds and the libraries' versions."""
    return digests.digest([*CODE_FOLDERS, SEEDS_DIR], LIBRARIES, suffixes=(".py", ".csv"))


def _settings(value: object) -> object:
    """Settings as JSON: sets sorted, so the key is the same in every process."""
    if isinstance(value, frozenset | set):
        return sorted(value)
    raise TypeError(f"cannot key a setting of type {type(value).__name__}")


def check_key(entry: LandingFile, config: Config) -> str | None:
    """The key of everything a file's read and row checks depend on; None for a file that is
    never read (a badly named file, a symbolic link)."""
    if entry.sha256 is None or entry.export is None:
        return None
    payload = {"sha256": entry.sha256, "file_name": entry.file_name,
               "site": config.site(entry.site).model_dump(),
               "limits": config.limits.model_dump(), "code": code_version()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=_settings)
                          .encode()).hexdigest()


@dataclass(frozen=True)
class ReadOutcome:
    """What reading a file found: its rejection, or its rows and header."""

    rule: str | None
    message: str | None
    rows_read: int
    columns: tuple[str, ...]
    checked: bool  # its rows' checks are stored too


def read_outcomes(con: duckdb.DuckDBPyConnection) -> dict[str, ReadOutcome]:
    """Every stored read outcome by key."""
    rows = con.execute("SELECT check_key, rule, message, rows_read, columns, rows_rejected "
                       "FROM reuse.files").fetchall()
    return {key: ReadOutcome(rule, message, rows_read, tuple(columns or ()),
                             rows_rejected is not None)
            for key, rule, message, rows_read, columns, rows_rejected in rows}


def record_reads(con: duckdb.DuckDBPyConnection,
                 reads: Iterable[tuple[str, LandingFile, tuple[str, ...]]]) -> None:
    """Store the read outcome of files read in this load: (key, file, header)."""
    frame = pl.DataFrame(
        [{"check_key": key, "source": entry.source, "rule": entry.rule,
          "message": entry.message or None, "rows_read": entry.rows_read,
          "columns": list(columns)} for key, entry, columns in reads],
        schema={"check_key": pl.String, "source": pl.String, "rule": pl.String,
                "message": pl.String, "rows_read": pl.Int32, "columns": pl.List(pl.String)})
    if frame.height:
        con.register("read_outcomes", frame.to_arrow())
        try:
            con.execute("""INSERT OR REPLACE INTO reuse.files BY NAME
                SELECT *, NULL::INTEGER AS rows_rejected FROM read_outcomes""")
        finally:
            con.unregister("read_outcomes")


def store_checks(con: duckdb.DuckDBPyConnection, key: str, source: str,
                 checks: RowChecks) -> None:
    """Store one file's checked rows (typed) and issues under ``key``, in one transaction."""
    parts = [checks.candidates.with_columns(pl.lit(False).alias(UNCONVERTIBLE))]
    if checks.unconvertible is not None:
        parts.append(checks.unconvertible.with_columns(pl.lit(True).alias(UNCONVERTIBLE)))
    con.execute("BEGIN TRANSACTION")
    try:
        for table in (rows_table(source), "reuse.issues"):
            con.execute(f"DELETE FROM {table} WHERE check_key = ?", [key])
        warehouse.append_frame(con, rows_table(source), pl.concat(
            parts, how="vertical_relaxed").with_columns(pl.lit(key).alias("check_key")))
        warehouse.append_frame(con, "reuse.issues",
                               checks.issues.with_columns(pl.lit(key).alias("check_key")))
        con.execute("UPDATE reuse.files SET rows_rejected = ? WHERE check_key = ?",
                    [checks.rows_rejected, key])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def stored_checks(con: duckdb.DuckDBPyConnection, key: str, source: str) -> RowChecks:
    """One file's stored checks: the passed rows' ``row_number`` and ``mrn`` (all step 3
    reads; the typed rows stay in the warehouse, see :func:`accepted_rows_sql`)."""
    rows_read, rows_rejected = con.execute(
        "SELECT rows_read, rows_rejected FROM reuse.files WHERE check_key = ?", [key]).fetchall()[0]
    candidates = con.sql(
        f"""SELECT row_number, mrn FROM {rows_table(source)}
            WHERE check_key = ? AND NOT {UNCONVERTIBLE} ORDER BY row_number""",
        params=[key]).pl()
    schema = ISSUE_SCHEMA | {"severity": pl.String}  # as the checks' own issue frames
    issues = con.sql(f"SELECT {warehouse.quoted(schema)} FROM reuse.issues "
                     "WHERE check_key = ?", params=[key]).pl()
    return RowChecks(candidates, issues.cast(schema), rows_read, rows_rejected)


def accepted_rows_sql(source: str) -> str:
    """The accepted rows of this load's current files of ``source`` (the registered frame
    ``current_keys``: check_key): their stored rows less those step 3 rejected (the registered
    frame ``unknown_rows``: check_key, row_number)."""
    return f"""SELECT r.* EXCLUDE (check_key, {UNCONVERTIBLE}) FROM {rows_table(source)} r
        JOIN current_keys USING (check_key)
        WHERE r.{UNCONVERTIBLE} OR NOT EXISTS (
            SELECT 1 FROM unknown_rows u
            WHERE u.check_key = r.check_key AND u.row_number = r.row_number)
        ORDER BY r.file_name, r.{UNCONVERTIBLE}, r.row_number"""


def keep_only(con: duckdb.DuckDBPyConnection, keys: Iterable[str]) -> None:
    """Remove the stored outcomes of every key but ``keys`` (this load's files)."""
    con.register("kept_keys", pl.DataFrame({"check_key": sorted(set(keys))},
                                           schema={"check_key": pl.String}).to_arrow())
    try:
        for table in ("reuse.files", "reuse.issues", *(rows_table(s) for s in SOURCES)):
            con.execute(f"DELETE FROM {table} WHERE check_key NOT IN "
                        "(SELECT check_key FROM kept_keys)")
    finally:
        con.unregister("kept_keys")
