"""Reading the first sheet of an XLSX export with fastexcel (calamine) (docs/inputs.md)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl

from pipelines.core.config import Limits, SiteConfig
from pipelines.ingest.export_table import (
    DEFAULT_LIMITS,
    HEADER_SEARCH_ROWS,
    ExportTable,
    UnreadableFile,
    canonical_header,
    check_cells,
    is_header,
    missing_columns,
    records_frame,
)
from schemas.fields import date_cell_column
from schemas.source import ROW_NUMBER


def check_xlsx_size(path: Path, limits: Limits) -> None:
    """Reject an XLSX whose worksheets expand past the limit, before reading them."""
    try:
        with zipfile.ZipFile(path) as archive:
            sheets = [info for info in archive.infolist()
                      if info.filename.startswith("xl/worksheets/")]
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UnreadableFile(f"not a readable XLSX: {type(error).__name__}") from error
    largest = max((info.file_size for info in sheets), default=0)
    if largest > limits.max_xlsx_uncompressed_bytes:
        raise UnreadableFile(
            f"a sheet expands to {largest} bytes, over the limit of "
            f"{limits.max_xlsx_uncompressed_bytes} (limits.max_xlsx_uncompressed_bytes)")


def xlsx_cells(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The first sheet's cells by position: as text (numbers as written, whole numbers without
    '.0', date cells as ISO dates, booleans as TRUE/FALSE), and the date cells as dates."""
    import fastexcel

    try:
        workbook = fastexcel.read_excel(path)
        text = workbook.load_sheet(0, header_row=None, dtypes="string").to_polars()
        numbers = workbook.load_sheet(0, header_row=None, dtypes="float").to_polars()
        stamps = workbook.load_sheet(0, header_row=None, dtypes="datetime").to_polars()
    except Exception as error:  # the reader raises many kinds for a broken archive
        raise UnreadableFile(f"not a readable XLSX: {type(error).__name__}") from error
    columns, dates = [], []
    for position, name in enumerate(text.columns):
        cell, number, stamp = text[name], numbers[numbers.columns[position]], stamps[
            stamps.columns[position]]
        is_date = stamp.is_not_null() & number.is_null()
        is_boolean = cell.is_in(["true", "false"]) & number.is_not_null()
        date = pl.select(pl.when(is_date).then(stamp.dt.date())).to_series()
        columns.append(
            pl.select(pl.when(is_date).then(date.dt.strftime("%Y-%m-%d"))
                      .when(is_boolean).then(cell.str.to_uppercase())
                      .otherwise(cell)).to_series().alias(f"c{position}"))
        dates.append(date.alias(f"c{position}"))
    return pl.DataFrame(columns), pl.DataFrame(dates)


def read_xlsx(path: Path, source: str, site: SiteConfig, limits: Limits = DEFAULT_LIMITS
              ) -> ExportTable:
    """Read the first sheet of an XLSX export. Date cells are dates whatever the site's text
    format (docs/inputs.md): they are kept as dates beside their text."""
    check_xlsx_size(path, limits)
    cells, dates = xlsx_cells(path)
    head = [[("" if value is None else str(value)) for value in row]
            for row in cells.head(HEADER_SEARCH_ROWS).iter_rows()]
    header = next((index for index, row in enumerate(head) if is_header(row, source, site)),
                  None)
    if header is None:
        raise missing_columns(source)
    names = canonical_header(head[header], site)
    rows, _ = records_frame(cells.slice(header + 1), names)
    first = {name: position for position, name in reversed(list(enumerate(names))) if name}
    body_dates = dates.slice(header + 1).with_row_index(ROW_NUMBER, offset=1).with_columns(
        pl.col(ROW_NUMBER).cast(pl.Int32))
    with_dates = [pl.col(f"c{position}").alias(date_cell_column(name))
                  for name, position in first.items()
                  if body_dates[f"c{position}"].is_not_null().any()]
    if with_dates:
        rows = rows.join(body_dates.select(ROW_NUMBER, *with_dates), on=ROW_NUMBER,
                         how="left")
    return check_cells(ExportTable(header + 1, names, rows), limits)
