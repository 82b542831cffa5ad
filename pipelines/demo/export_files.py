"""A synthetic registry's export files: their names (docs/inputs.md), CSV as the clinics send it
and XLSX with fixed timestamps, so that a seed always gives the same bytes."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from pipelines.demo.columns import Columns


def file_name(source: str, site: int, export_date: dt.date, ext: str = "csv") -> str:
    """The export's file name for a 0-based ``site``."""
    return f"{source}_site{site + 1}_{export_date:%Y%m%d}.{ext}"


def write_csv(path: Path, columns: Columns, delimiter: str = ",", bom: bool = False) -> Path:
    """Write the columns as CSV with a header; blank cells are empty."""
    import duckdb
    import pyarrow as pa

    table = pa.table({name: pa.array([v or None for v in values.tolist()], pa.string())
                      for name, values in columns.items()})
    with duckdb.connect() as con:  # quotes only the cells that need it, unlike pyarrow
        con.from_arrow(table).write_csv(str(path), sep=delimiter, header=True)
    if bom:
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return path


def write_xlsx(path: Path, columns: Columns) -> Path:
    """Write the columns as a one-sheet workbook, typed as a spreadsheet would type them."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("export")
    sheet.append(list(columns))
    dates = [name.endswith("_date") for name in columns]
    for row in zip(*columns.values(), strict=True):
        sheet.append([_xlsx_cell(value, is_date)
                      for value, is_date in zip(row, dates, strict=True)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_without_timestamps(buffer.getvalue()))
    return path


def _xlsx_cell(text: str, is_date: bool) -> object:
    """Whole numbers as numeric cells, valid ISO dates in date columns as date cells."""
    if text.isdigit():
        return int(text)
    if is_date:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    return text or None


def _without_timestamps(xlsx: bytes) -> bytes:
    """The same workbook with fixed archive and document dates, so a seed gives the same
    bytes every time (a re-generated file is then a re-delivery, not a new export)."""
    fixed = b"2026-01-01T00:00:00Z"
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", fixed, data)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0)),
                            data, compress_type=zipfile.ZIP_DEFLATED)
    return output.getvalue()
