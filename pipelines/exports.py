"""Exports of the published tables in the formats analysts and dashboards use.

- ``published/parquet/<table>.parquet``: every table of analytics.duckdb (dashboards).
- ``published/spss/<table>.sav`` and ``published/stata/<table>.dta``: the analysis tables
  (patients, outcomes and the summaries), as REDCap exports them: codes as numbers with value
  labels (groups, visits, parameters, categories, criteria, from the seeds), booleans as 0/1
  with no/yes, and every variable labelled from the data dictionary.

They are written into the load's release folder and switched in with the other outputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.dictionary import (
    CATEGORIES,
    EXCLUSION_REASONS,
    GROUPS,
    REFERENCES,
    entries,
)
from pipelines.reference import parameter_order, responder_criteria, visit_orders

PARQUET_DIR, SPSS_DIR, STATA_DIR = "parquet", "spss", "stata"
ANALYSIS_TABLES = ("patients", "outcomes", "group_summary", "change_summary",
                   "responder_summary")
BOOLEAN_LABELS = {0: "no", 1: "yes"}
STATA_LABEL_LENGTH = 80  # Stata's longest variable label


GROUP_LABELS = {"NI_USGDN": "Group 1: neural intervention then USGDN",
                "USGDN_ONLY": "Group 2: USGDN only", "ALL": "Both groups"}


@cache
def coded_columns() -> dict[str, tuple[dict[str, int], dict[int, str]]]:
    """Column -> (text code -> number, number -> label), from the seeds and code lists.
    Visits keep their visit_order as number; other codes are numbered from 1 in order."""
    criteria = responder_criteria()
    codes: dict[str, tuple[dict[str, int], dict[str, str]]] = {
        "group_code": (_numbered((*GROUPS, "ALL")), GROUP_LABELS),
        "visit_code": (dict(visit_orders()), {}),
        "param_code": (_numbered(parameter_order()), {}),
        "category": (_numbered(CATEGORIES), {}),
        "criterion": (_numbered(c.criterion for c in criteria),
                      {c.criterion: f"{c.criterion}: {c.description}" for c in criteria}),
        "reference": (_numbered(REFERENCES), {}),
        "sex": (_numbered(("female", "male", "other")), {}),
        "mastectomy_side": (_numbered(("left", "right", "bilateral")), {}),
        "exclusion_reason": (_numbered(EXCLUSION_REASONS), {}),
    }
    return {column: (numbers, {number: labels.get(code, code)
                               for code, number in numbers.items()})
            for column, (numbers, labels) in codes.items()}


def _numbered(codes: Iterable[str]) -> dict[str, int]:
    return {code: number for number, code in enumerate(codes, start=1)}


def variable_labels(table: str) -> dict[str, str]:
    return {entry.column: entry.description for entry in entries()
            if entry.table == table and entry.column}


def labelled_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, dict[int, str]]]:
    """Codes as numbers and booleans as 0/1, with their value labels."""
    frame = frame.copy()
    value_labels: dict[str, dict[int, str]] = {}
    for column in frame.columns:
        if column in coded_columns():
            numbers, labels = coded_columns()[column]
            frame[column] = frame[column].map(numbers).astype("Float64")
            value_labels[column] = labels
        elif frame[column].dtype == bool or str(frame[column].dtype) == "boolean":
            frame[column] = frame[column].astype("Float64")
            value_labels[column] = BOOLEAN_LABELS
    for column in frame.columns:  # pyreadstat writes NaN as missing in numeric variables
        if str(frame[column].dtype) in ("Float64", "Int32", "Int64", "Int16"):
            frame[column] = frame[column].astype("float64")
    return frame, value_labels


def write_exports(database: Path, folder: Path) -> list[Path]:
    """Write every export of the analytics database at ``database`` under ``folder``
    (the release's published/ folder). Returns the files written."""
    import pyreadstat

    written = []
    for sub in (PARQUET_DIR, SPSS_DIR, STATA_DIR):
        (folder / sub).mkdir(exist_ok=True)
    con = duckdb.connect(str(database), read_only=True)
    try:
        tables = [row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY table_name").fetchall()]
        for table in tables:
            path = folder / PARQUET_DIR / f"{table}.parquet"
            con.execute(f"COPY {table} TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
            written.append(path)
        for table in ANALYSIS_TABLES:
            frame, value_labels = labelled_frame(con.execute(f"SELECT * FROM {table}").df())
            labels = variable_labels(table)
            spss = folder / SPSS_DIR / f"{table}.sav"
            pyreadstat.write_sav(frame, str(spss), column_labels=[
                labels.get(c, c) for c in frame.columns], variable_value_labels=value_labels)
            stata = folder / STATA_DIR / f"{table}.dta"
            pyreadstat.write_dta(frame, str(stata), column_labels=[
                labels.get(c, c)[:STATA_LABEL_LENGTH] for c in frame.columns],
                variable_value_labels=value_labels)
            written += [spss, stata]
    finally:
        con.close()
    return written
