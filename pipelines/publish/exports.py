"""Exports of the published tables in the formats analysts and dashboards use.

- ``published/parquet/<table>.parquet``: every table of analytics.duckdb (dashboards).
- ``published/spss/<table>.sav`` and ``published/stata/<table>.dta``: the analysis tables
  (patients, outcomes and the summaries), as REDCap exports them: codes as numbers with value
  labels (groups, visits, parameters, categories, criteria, from the seeds), booleans as 0/1
  with no/yes, and every variable labelled from the data dictionary.

They are written into the load's release folder and switched in with the other outputs.
"""

from __future__ import annotations

import functools
import multiprocessing
import textwrap
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

import polars as pl

from pipelines.core import warehouse
from pipelines.core.reference import (
    code_list,
    parameter_order,
    parameters,
    responder_criteria,
    score_categories,
    visit_names,
    visit_orders,
)
from pipelines.publish import previous
from pipelines.publish.dictionary import entries
from pipelines.publish.summaries import ALL_GROUPS, REFERENCES

PARQUET_DIR, SPSS_DIR, STATA_DIR = "parquet", "spss", "stata"
EXPORT_FORMATS = (PARQUET_DIR, SPSS_DIR, STATA_DIR)  # each a folder of published/
ANALYSIS_TABLES = ("patients", "outcomes", "outcomes_wide", "baseline_characteristics",
                   "group_summary", "change_summary", "responder_summary")
BOOLEAN_LABELS = {0: "no", 1: "yes"}
STATA_LABEL_LENGTH = 80  # Stata's longest variable label
# Below this many cells (rows x columns), starting two processes costs more than it saves.
PARALLEL_FROM_CELLS = 2_000_000


ALL_GROUPS_LABEL = "Both groups"


@cache
def coded_columns() -> dict[str, tuple[dict[str, int], dict[int, str]]]:
    """Column -> (text code -> number, number -> label), from the seeds and code lists: a
    visit is labelled with its name, a parameter with its name and scale. Visits keep their
    visit_order as number; other codes are numbered from 1 in order."""
    criteria = responder_criteria()
    codes: dict[str, tuple[dict[str, int], dict[str, str]]] = {
        "group_code": (_numbered((*code_list("group_code"), ALL_GROUPS)),
                       {**{g.code: g.label for g in code_list("group_code").values()},
                        ALL_GROUPS: ALL_GROUPS_LABEL}),
        "visit_code": (dict(visit_orders()), visit_names()),
        "param_code": (_numbered(parameter_order()),
                       {code: parameter.label for code, parameter in parameters().items()}),
        "category": (_numbered(score_categories()), {}),
        "criterion": (_numbered(c.criterion for c in criteria),
                      {c.criterion: f"{c.criterion}: {c.description}" for c in criteria}),
        "reference": (_numbered(REFERENCES), {}),
        "sex": (_numbered(code_list("sex")), {}),
        "mastectomy_side": (_numbered(code_list("mastectomy_side")), {}),
        "exclusion_reason": (_numbered(code_list("exclusion_reason")), {}),
    }
    return {column: (numbers, {number: labels.get(code, code)
                               for code, number in numbers.items()})
            for column, (numbers, labels) in codes.items()}


def _numbered(codes: Iterable[str]) -> dict[str, int]:
    return {code: number for number, code in enumerate(codes, start=1)}


def variable_labels(table: str) -> dict[str, str]:
    return {entry.column: entry.description for entry in entries()
            if entry.table == table and entry.column}


def labelled_frame(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, dict[int, str]]]:
    """Codes as numbers and booleans as 0/1, with their value labels."""
    value_labels: dict[str, dict[int, str]] = {}
    columns = []
    for column, dtype in frame.schema.items():
        if column in coded_columns():
            numbers, labels = coded_columns()[column]
            columns.append(pl.col(column).replace_strict(numbers, default=None,
                                                         return_dtype=pl.Float64))
            value_labels[column] = labels
        elif dtype == pl.Boolean:
            columns.append(pl.col(column).cast(pl.Float64))
            value_labels[column] = BOOLEAN_LABELS
        else:
            columns.append(pl.col(column))
    return frame.select(columns), value_labels


def _write_format(kind: str, source: str, target: str, column_labels: list[str],
                  value_labels: dict[str, dict[int, str]]) -> None:
    """Write one labelled file from a frame staged as Arrow IPC (run in a worker process)."""
    import pyreadstat

    write = pyreadstat.write_sav if kind == SPSS_DIR else pyreadstat.write_dta
    write(pl.read_ipc(source), target, column_labels=column_labels,
          variable_value_labels=value_labels)


def write_labelled(table: str, read: Callable[[], pl.DataFrame], folder: Path,
                   kinds: Iterable[str] = (SPSS_DIR, STATA_DIR)) -> list[Path]:
    """One analysis table as SPSS and Stata files (those of ``kinds``). pyreadstat writes cell
    by cell (a registry's outcomes take seconds per format), so a large table's two files are
    written side by side by two worker processes, from the frame staged as Arrow IPC; this
    process lets go of its frames (``read`` gives the table) before they start."""
    labelled, value_labels = labelled_frame(read())
    labels = variable_labels(table)
    jobs = {SPSS_DIR: (labelled_path(folder, SPSS_DIR, table),
                       [labels.get(c, c) for c in labelled.columns]),
            STATA_DIR: (labelled_path(folder, STATA_DIR, table),
                        [stata_label(labels.get(c, c)) for c in labelled.columns])}
    jobs = {kind: job for kind, job in jobs.items() if kind in kinds}
    staged = folder / f".{table}.arrow"
    labelled.write_ipc(staged)
    cells = labelled.height * labelled.width
    del labelled
    try:
        if cells < PARALLEL_FROM_CELLS or len(jobs) < 2:
            for kind, (path, column_labels) in jobs.items():
                _write_format(kind, str(staged), str(path), column_labels, value_labels)
        else:
            spawn = multiprocessing.get_context("spawn")  # no fork of a threaded process
            with ProcessPoolExecutor(len(jobs), mp_context=spawn) as pool:
                for future in [pool.submit(_write_format, kind, str(staged), str(path),
                                           column_labels, value_labels)
                               for kind, (path, column_labels) in jobs.items()]:
                    future.result()
    finally:
        staged.unlink(missing_ok=True)
    return [path for path, _ in jobs.values()]


def stata_label(text: str) -> str:
    """A variable label as Stata takes it: at most 80 characters, cut after a whole word and
    marked " ..." (a single word longer than that is cut where it must be)."""
    if len(text) <= STATA_LABEL_LENGTH:
        return text
    cut = textwrap.shorten(text, STATA_LABEL_LENGTH, placeholder=" ...", break_on_hyphens=False)
    return cut if cut != " ..." and len(cut) > len(" ...") else text[:STATA_LABEL_LENGTH]


def labelled_path(folder: Path, kind: str, table: str) -> Path:
    return folder / kind / f"{table}.{'sav' if kind == SPSS_DIR else 'dta'}"


def write_exports(database: Path, folder: Path, formats: Iterable[str] = EXPORT_FORMATS,
                  published: Path | None = None,
                  unchanged: Collection[str] = frozenset()) -> list[Path]:
    """Write the exports of the analytics database at ``database`` under ``folder`` (the
    release's published/ folder), in the configured ``formats`` (``exports:``; labelled SPSS
    and Stata files of a registry's hundreds of millions of rows make no sense, so a site may
    write Parquet alone). A table in ``unchanged`` (its rows those of the published release,
    in order) takes the published release's file (``published``: its published/ folder) as a
    hard link, where there is one. Returns the files written or linked."""
    formats = set(formats)
    written = []
    for sub in EXPORT_FORMATS:
        if sub in formats:
            (folder / sub).mkdir(exist_ok=True)

    def reused(path: Path, table: str) -> bool:
        return (table in unchanged and published is not None
                and previous.link_or(published / path.relative_to(folder), path))

    con = warehouse.open_database(database, read_only=True)  # with its memory limit
    try:
        tables = [row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY table_name").fetchall()]
        for table in tables if PARQUET_DIR in formats else ():
            path = folder / PARQUET_DIR / f"{table}.parquet"
            if not reused(path, table):
                con.execute(f"COPY {table} TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
            written.append(path)
    finally:
        con.close()  # its buffers are let go before the labelled files' workers start
    labelled = formats & {SPSS_DIR, STATA_DIR}
    for table in ANALYSIS_TABLES if labelled else ():
        kinds = {kind for kind in labelled
                 if not reused(labelled_path(folder, kind, table), table)}
        written += [labelled_path(folder, kind, table) for kind in labelled - kinds]
        if kinds:
            written += write_labelled(table, functools.partial(read_table, database, table),
                                      folder, kinds)
    return written


def read_table(database: Path, table: str) -> pl.DataFrame:
    con = warehouse.open_database(database, read_only=True)
    try:
        return con.sql(f"SELECT * FROM {table}").pl()
    finally:
        con.close()
