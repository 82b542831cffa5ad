"""Published outputs of a load as comparable tables, for the registry regression test.

A snapshot holds every table of ``analytics.duckdb``, the warehouse's ``data_issues``, the
summary CSVs as published, and the text of every table of ``report.html``. Snapshots are stored
as Parquet (zstd) and compared cell by cell: rows are matched after sorting, numbers within
1e-9 (SQL and NumPy sum in different orders), everything else exactly.

    .venv/bin/python -m tests.e2e.regression record DIR  # re-record recorded/registry_2000
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pandas as pd

from tests.e2e.compare import unequal_rows

RECORDED = Path(__file__).resolve().parent / "recorded" / "registry_2000"
PATIENTS, SEED = 2000, 1
IGNORED = {"load_audit": ["loaded_at"]}  # the clock of the load


class ReportTables(HTMLParser):
    """The text of each <table> of the report, cell by cell: table id, row, column, text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, int, int, str]] = []
        self._table: str | None = None
        self._row = self._column = -1
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self._table, self._row = dict(attrs).get("id") or f"table{len(self.rows)}", -1
        elif tag == "tr" and self._table:
            self._row, self._column = self._row + 1, -1
        elif tag in ("td", "th") and self._table:
            self._column, self._cell = self._column + 1, []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            self.rows.append((self._table, self._row, self._column, text))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def snapshot(warehouse: Path) -> dict[str, pd.DataFrame]:
    """Everything a load published, as data frames named by table (CSV files: ``csv_*``)."""
    tables: dict[str, pd.DataFrame] = {}
    con = duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True)
    try:
        for (name,) in con.execute("SELECT table_name FROM information_schema.tables "
                                   "WHERE table_schema = 'main'").fetchall():
            tables[name] = con.execute(f"SELECT * FROM {name}").df()
    finally:
        con.close()
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    try:
        tables["data_issues"] = con.execute("SELECT * FROM main.data_issues").df()
    finally:
        con.close()
    for path in sorted((warehouse / "published").glob("*.csv")):
        tables[f"csv_{path.stem}"] = pd.read_csv(path)
    parser = ReportTables()
    parser.feed((warehouse / "published" / "report.html").read_text(encoding="utf-8"))
    tables["report_tables"] = pd.DataFrame(parser.rows,
                                           columns=["table", "row", "column", "text"])
    for name, dropped in IGNORED.items():
        if name in tables:
            tables[name] = tables[name].drop(columns=dropped)
    return tables


def save(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet", compression="zstd", index=False)


def load(folder: Path) -> dict[str, pd.DataFrame]:
    return {path.stem: pd.read_parquet(path) for path in sorted(folder.glob("*.parquet"))}


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, float) and math.isnan(value))


def _sort_text(value: object) -> str:
    if _missing(value):
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, pd.Timestamp):
        return value.isoformat()[:10] if value == value.normalize() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _same(found: object, wanted: object) -> bool:
    if _missing(found) or _missing(wanted):
        return _missing(found) and _missing(wanted)
    if isinstance(found, float) or isinstance(wanted, float):
        try:
            return math.isclose(float(found), float(wanted), rel_tol=1e-9, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return _sort_text(found) == _sort_text(wanted)


def _sort_key(column: pd.Series) -> pd.Series:
    """An order-preserving key per cell: floats rounded (the two sides may differ in the last
    digits), other numbers, booleans and timestamps as they are, anything else as its text."""
    if pd.api.types.is_float_dtype(column):
        return column.round(6)
    if (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)
            or pd.api.types.is_datetime64_any_dtype(column)):
        return column
    return column.map(_sort_text)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = pd.DataFrame({f"_key{i}": _sort_key(frame[column]).to_numpy()
                         for i, column in enumerate(frame.columns)})
    order = keys.sort_values(list(keys.columns), na_position="last", kind="stable").index
    return frame.iloc[order].reset_index(drop=True)


def differences(found: pd.DataFrame, wanted: pd.DataFrame, name: str,
                limit: int = 10) -> list[str]:
    """How ``found`` differs from ``wanted`` in the recorded columns (more columns are
    allowed): missing columns, row count, then cells."""
    missing = [c for c in wanted.columns if c not in found.columns]
    if missing:
        return [f"{name}: no column {missing}"]
    found = found[list(wanted.columns)]
    if len(found) != len(wanted):
        return [f"{name}: {len(found)} rows, recorded {len(wanted)}"]
    found, wanted = _sorted(found), _sorted(wanted)
    problems = []
    for column in wanted.columns:
        rows = unequal_rows(found[column], wanted[column])
        cells = (found[column].tolist(), wanted[column].tolist()) if rows else ([], [])
        for row in rows:
            a, b = cells[0][row], cells[1][row]
            if not _same(a, b):
                problems.append(f"{name}.{column} (sorted row {row}): {a!r}, recorded {b!r}")
                if len(problems) >= limit:
                    return problems
    return problems


def record(work: Path) -> None:
    """Load the registry twice with the current code and store both snapshots."""
    from pipelines.demo.registry import write_changed_snapshot, write_registry_exports
    from tests.e2e.harness import run_pmps

    landing, warehouse = work / "landing", work / "warehouse"
    write_registry_exports(landing, PATIENTS, seed=SEED, faults=True)
    run_pmps("load", "--landing", str(landing), "--warehouse", str(warehouse), cwd=work)
    save(snapshot(warehouse), RECORDED / "load_1")
    write_changed_snapshot(landing, PATIENTS, seed=SEED)
    run_pmps("load", "--landing", str(landing), "--warehouse", str(warehouse), cwd=work)
    save(snapshot(warehouse), RECORDED / "load_2")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "record":
        sys.exit(__doc__)
    record(Path(sys.argv[2]))
