"""Two warehouses' published tables compared cell by cell, in their published order (the
same loads built on two engines, or with checks reused and made afresh)."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd

IGNORED = {"load_audit": ["loaded_at"]}  # the clock of each load


def published_tables(warehouse: Path) -> dict[str, pd.DataFrame]:
    """Every table of analytics.duckdb in its stored order, the warehouse's data issues, and
    the summary CSVs as published."""
    tables = {}
    con = duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True)
    try:
        names = [row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY table_name").fetchall()]
        for name in names:
            tables[name] = con.execute(f"SELECT * FROM {name}").df()
    finally:
        con.close()
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    try:
        tables["data_issues"] = con.execute(
            "SELECT * FROM main.data_issues ORDER BY load_id, file_name, row_number NULLS FIRST, "
            '"column" NULLS FIRST, rule').df()
    finally:
        con.close()
    for path in sorted((warehouse / "published").glob("*.csv")):
        tables[f"csv_{path.stem}"] = pd.read_csv(path)
    for name, columns in IGNORED.items():
        tables[name] = tables[name].drop(columns=columns)
    return tables


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, float) and math.isnan(value))


def same_cell(a: object, b: object) -> bool:
    """Numbers to 1e-9 relative (the engines sum in their own order), all else exactly."""
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def unequal_rows(found: pd.Series, wanted: pd.Series) -> list[int]:
    """Rows where two aligned columns may differ: cells not equal as objects and not both
    missing (each is then compared by ``same_cell``, or ``_same`` in regression.py)."""
    cells = []
    for column in (found, wanted):
        values = column.to_numpy(dtype=object).copy()
        values[pd.isna(column).to_numpy()] = None  # every kind of missing, as one
        cells.append(values)
    return [int(row) for row in (cells[0] != cells[1]).nonzero()[0]]


def differences(found: dict[str, pd.DataFrame], wanted: dict[str, pd.DataFrame],
                limit: int = 20) -> list[str]:
    """Where ``found`` differs from ``wanted``: tables, columns and their types' kinds, row
    counts, then cells row by row in the published order."""
    problems = []
    if set(found) != set(wanted):
        problems.append(f"tables differ: {sorted(set(found) ^ set(wanted))}")
    for name in sorted(set(found) & set(wanted)):
        a, b = found[name], wanted[name]
        if list(a.columns) != list(b.columns):
            problems.append(f"{name}: columns {list(a.columns)} != {list(b.columns)}")
            continue
        if len(a) != len(b):
            problems.append(f"{name}: {len(a)} rows != {len(b)}")
            continue
        for column in a.columns:
            rows = unequal_rows(a[column], b[column])
            cells = (a[column].tolist(), b[column].tolist()) if rows else ([], [])
            for row in rows:
                x, y = cells[0][row], cells[1][row]
                if not same_cell(x, y):
                    problems.append(f"{name}.{column} row {row}: {x!r} != {y!r}")
                    if len(problems) >= limit:
                        return problems
                    break
    return problems
