"""The data issues of the loads, for the data engineer, without touching warehouse.duckdb.

A reader of warehouse.duckdb would block the next load's writer, so each load that publishes
leaves a copy of ``data_issues`` beside the warehouse, ``data_issues.duckdb`` (written when the
load is recorded, before its release is switched in, a load with no issues included):
identifiable (it holds the raw values), private to the owner (0600), replaced whole by a
rename. `pmps issues` reads it, by default for the published load (the one the release switch
``current`` names); `pmps load` prints a few issues of each rule from it, without their values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

ISSUES_COPY = "data_issues.duckdb"


def copy_path(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / ISSUES_COPY


def write_copy(con: duckdb.DuckDBPyConnection, warehouse_dir: Path) -> None:
    """Write the warehouse's data_issues (open on ``con``) to the copy, then rename it."""
    final = copy_path(warehouse_dir)
    staged = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    staged.unlink(missing_ok=True)
    con.execute(f"ATTACH '{staged}' AS issue_copy")
    try:
        con.execute("CREATE TABLE issue_copy.data_issues AS SELECT * FROM main.data_issues "
                    "ORDER BY load_id, file_name, row_number NULLS FIRST")
    finally:
        con.execute("DETACH issue_copy")
    try:
        staged.chmod(0o600)
        os.replace(staged, final)
    finally:
        staged.unlink(missing_ok=True)


@dataclass(frozen=True)
class IssueQuery:
    load_id: int | None = None  # None: the published load
    rule: str | None = None
    file_name: str | None = None
    limit: int = 50


def read_issues(warehouse_dir: Path, query: IssueQuery) -> tuple[int | None, pd.DataFrame]:
    """The load's issues matching ``query``; (None, empty) when no load has published yet.

    The default load is the published one, named by the release switch, not the newest load
    in the copy: a clean load has no issue rows, and the copy is written before the switch.
    """
    # imported here: release imports this module to write the copy
    from pipelines.publish.release import current_release

    load_id = query.load_id or current_release(warehouse_dir)
    path = copy_path(warehouse_dir)
    if load_id is None or not path.is_file():
        return None, pd.DataFrame()
    con = duckdb.connect(str(path), read_only=True)
    try:
        where, params = ["load_id = ?"], [load_id]
        if query.rule:
            where.append("rule = ?")
            params.append(query.rule)
        if query.file_name:
            where.append("file_name = ?")
            params.append(query.file_name)
        frame = con.execute(
            f"""SELECT file_name, row_number, "column", value, rule, message FROM data_issues
                WHERE {' AND '.join(where)}
                ORDER BY file_name, row_number NULLS FIRST, "column", rule
                LIMIT {int(query.limit)}""", params).df()
    finally:
        con.close()
    return load_id, frame


def first_of_each_rule(warehouse_dir: Path, load_id: int, per_rule: int = 3) -> pd.DataFrame:
    """Where the first few issues of each rule of a load are: file, row, column (no value,
    which may be identifiable, so that the console stays free of patient data)."""
    path = copy_path(warehouse_dir)
    if not path.is_file():
        return pd.DataFrame()
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            """SELECT rule, file_name, row_number, "column" FROM data_issues
               WHERE load_id = ?
               QUALIFY row_number() OVER (PARTITION BY rule
                                          ORDER BY file_name, row_number NULLS FIRST) <= ?
               ORDER BY rule, file_name, row_number NULLS FIRST""", [load_id, per_rule]).df()
    finally:
        con.close()


def format_issues(frame: pd.DataFrame) -> str:
    """One line per issue: file, row, column, value, rule, message."""
    lines = []
    for row in frame.itertuples(index=False):
        where = row.file_name + (f" row {int(row.row_number)}" if pd.notna(row.row_number)
                                 else "") + (f" {row.column}" if pd.notna(row.column) else "")
        value = f" value {row.value!r}" if row.value is not None and pd.notna(row.value) else ""
        lines.append(f"{where}: {row.rule}{value}: {row.message}")
    return "\n".join(lines)
