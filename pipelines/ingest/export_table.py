"""An export read as text records, and the steps both readers share (docs/inputs.md).

Every cell is text; typing is the validation step's job. The header row is the first row,
within the first 10, that holds all of the source's required columns after renaming.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pipelines.core.config import Limits, SiteConfig, normalise_label
from schemas import SOURCE_SPECS
from schemas.fields import DATE_CELL
from schemas.source import ROW_NUMBER

HEADER_SEARCH_ROWS = 10
DEFAULT_LIMITS = Limits()


class UnreadableFile(Exception):
    """Not a readable CSV/XLSX export."""


class MissingColumns(Exception):
    """No row within the first rows holds every required column."""


@dataclass
class ExportTable:
    """The records of one export as trimmed text under canonical column names.

    ``rows`` has ``row_number`` (the record's position below the header row) and one text
    column per named header cell (the first, when two cells name the same column); blank
    rows are left out but keep their number. An XLSX column that holds date cells also has
    ``date cell: <name>`` (a Date where the cell was a date). ``malformed`` lists the records
    that do not fit the header (row_number, message); they are in ``rows`` too.
    """

    header_row: int  # 1-based position of the header row in the file
    columns: list[str]  # canonical names of the header cells, in file order
    rows: pl.DataFrame
    malformed: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={ROW_NUMBER: pl.Int32, "message": pl.String}))

    @property
    def rows_read(self) -> int:
        return self.rows.height

    @property
    def names(self) -> list[str]:
        """The named text columns of ``rows``, in file order."""
        return [name for name in self.rows.columns
                if name != ROW_NUMBER and not name.startswith(DATE_CELL)]

    @property
    def records(self) -> list[tuple[int, dict[str, str]]]:
        """(row_number, {column: text}) per record; for small files and tests."""
        return [(row.pop(ROW_NUMBER), row) for row in self.rows.select(
            ROW_NUMBER, *self.names).to_dicts()]


def canonical_header(cells: list[str], site: SiteConfig) -> list[str]:
    """Header cells after trimming, case-folding and the site's renaming."""
    names = []
    for cell in cells:
        label = normalise_label(cell)
        names.append(site.columns.get(label, label))
    return names


def is_header(cells: list[str], source: str, site: SiteConfig) -> bool:
    return set(SOURCE_SPECS[source].required) <= set(canonical_header(cells, site))


def missing_columns(source: str) -> MissingColumns:
    return MissingColumns(f"no row among the first {HEADER_SEARCH_ROWS} holds all of: "
                          + ", ".join(sorted(SOURCE_SPECS[source].required)))


def last_named(names: list[str]) -> int:
    """How many header cells there are up to the last named one."""
    return max((position + 1 for position, name in enumerate(names) if name), default=0)


def records_frame(cells: pl.DataFrame, names: list[str],
                  cell_counts: np.ndarray | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Text cells by position (``cells``, one column per header cell) -> the records frame and
    the malformed records.

    Cells are trimmed; a row whose cells are all empty is no record but keeps its number. With
    ``cell_counts`` (cells per record, CSV), a record with fewer cells than the header's last
    named column is malformed; so is a record with a non-empty cell after that column.
    """
    first: dict[str, str] = {}
    for position, name in enumerate(names):
        if name and name not in first and name != ROW_NUMBER:
            first[name] = cells.columns[position]
    trimmed = [pl.col(column).fill_null("").str.strip_chars().alias(name)
               for name, column in first.items()]
    everything = [pl.col(c).fill_null("").str.strip_chars() for c in cells.columns]
    blank = pl.all_horizontal([c == "" for c in everything]) if everything else pl.lit(True)
    named = last_named(names)
    beyond = [pl.col(c).fill_null("").str.strip_chars() != "" for c in cells.columns[named:]]
    counted = cells.with_row_index(ROW_NUMBER, offset=1).with_columns(
        pl.col(ROW_NUMBER).cast(pl.Int32),
        (pl.Series("_cells", cell_counts, dtype=pl.Int64) if cell_counts is not None
         else pl.lit(len(names), pl.Int64).alias("_cells")),
        (pl.any_horizontal(beyond) if beyond else pl.lit(False)).alias("_beyond"),
    ).filter(~blank)
    short = counted.filter(pl.col("_cells") < named).select(
        ROW_NUMBER, pl.format("the record has {} cells; the header names {} columns",
                              pl.col("_cells"), pl.lit(named)).alias("message"))
    long = counted.filter((pl.col("_cells") >= named) & pl.col("_beyond")).select(
        ROW_NUMBER, pl.format("the record has {} cells and one after the header's {} named "
                              "columns is not empty", pl.col("_cells"),
                              pl.lit(named)).alias("message"))
    return counted.select(ROW_NUMBER, *trimmed), pl.concat([short, long]).sort(ROW_NUMBER)


def build_table(rows: list[list[str]], source: str, site: SiteConfig) -> ExportTable:
    """Find the header row among Python rows of text and turn the rows below it into records
    (every cell of a record kept, those beyond the header too, for the malformed check)."""
    header = next((index for index, row in enumerate(rows[:HEADER_SEARCH_ROWS])
                   if is_header(row, source, site)), None)
    if header is None:
        raise missing_columns(source)
    names = canonical_header(rows[header], site)
    body = rows[header + 1:]
    width = max([len(names), *(len(row) for row in body)])
    columns = {f"c{position}": [row[position] if position < len(row) else "" for row in body]
               for position in range(width)}
    cells = pl.DataFrame(columns, schema={c: pl.String for c in columns})
    counts = np.array([len(row) for row in body], dtype=np.int64)
    names = names + [""] * (width - len(names))
    rows_frame, malformed = records_frame(cells, names, counts)
    return ExportTable(header + 1, names[:len(canonical_header(rows[header], site))],
                       rows_frame, malformed)


def check_cells(table: ExportTable, limits: Limits) -> ExportTable:
    """Reject a file with too many rows or a cell longer than the limits allow."""
    if table.rows_read > limits.max_rows:
        raise UnreadableFile(f"more than {limits.max_rows} data rows (limits.max_rows)")
    text = [pl.col(name).str.len_bytes().max() for name in table.names]
    longest = max((v or 0 for v in table.rows.select(text).row(0)), default=0) if text else 0
    if longest > limits.max_cell_bytes:
        raise UnreadableFile(f"a cell of {longest} bytes is longer than the limit of "
                             f"{limits.max_cell_bytes} (limits.max_cell_bytes)")
    return table
