"""The raw history in ``warehouse.duckdb``: every row of every file a load used, as read, one
table per source (``raw.<source>_rows``), kept across loads so that any load can be traced back
to the text it came from. A file's rows are stored once, however many loads use it."""

from __future__ import annotations

import duckdb

from pipelines.core.reference import SOURCES
from schemas import SOURCE_SPECS


def raw_rows_table(source: str) -> str:
    """The raw history of ``source``."""
    return f"raw.{source}_rows"


def text_columns_ddl(source: str) -> str:
    """A source's columns as read: every known column as text, other columns as one JSON."""
    return ", ".join(f'"{c}" VARCHAR' for c in SOURCE_SPECS[source].columns) + \
        ", other_columns JSON"


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    for source in SOURCES:
        con.execute(f"""CREATE TABLE IF NOT EXISTS {raw_rows_table(source)} (load_id INTEGER,
            file_name VARCHAR, sha256 VARCHAR, site VARCHAR, export_date DATE,
            row_number INTEGER, {text_columns_ddl(source)})""")


def stored_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The sha256 of every file the raw history holds."""
    union = " UNION ".join(f"SELECT DISTINCT sha256 FROM {raw_rows_table(s)}" for s in SOURCES)
    return {row[0] for row in con.execute(union).fetchall()}
