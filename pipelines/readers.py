"""Reading one clinic export (CSV or XLSX) into text records (CONTRACT.md section 1, Formats).

Every cell is read as text; typing is the validation step's job. The header row is the first
row, within the first 10, that holds all of the source's required columns after renaming.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from pipelines.config import SiteConfig, normalise_label
from schemas import REQUIRED_COLUMNS

HEADER_SEARCH_ROWS = 10
SNIFFED_DELIMITERS = (",", ";", "\t")



class UnreadableFile(Exception):
    """Not a readable CSV/XLSX export."""


class MissingColumns(Exception):
    """No row within the first rows holds every required column."""


@dataclass
class ExportTable:
    """The records of one export, as trimmed text under canonical column names."""

    header_row: int  # 1-based position of the header row in the file
    columns: list[str]  # canonical names, in file order
    records: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (row_number, cells)

    @property
    def rows_read(self) -> int:
        return len(self.records)


def cell_text(value: object, date_format: str) -> str:
    """An XLSX cell as text: whole numbers without '.0', real date cells in the site's format."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime(date_format)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def canonical_header(cells: list[str], site: SiteConfig) -> list[str]:
    """Header cells after trimming, case-folding and the site's renaming."""
    names = []
    for cell in cells:
        label = normalise_label(cell)
        names.append(site.columns.get(label, label))
    return names


def build_table(rows: list[list[str]], source: str, site: SiteConfig) -> ExportTable:
    """Find the header row and turn the rows below it into records."""
    required = set(REQUIRED_COLUMNS[source])
    header = next((index for index, row in enumerate(rows[:HEADER_SEARCH_ROWS])
                   if required <= set(canonical_header(row, site))), None)
    if header is None:
        raise MissingColumns(
            f"no row among the first {HEADER_SEARCH_ROWS} holds all of: "
            + ", ".join(sorted(required)))
    names = canonical_header(rows[header], site)
    table = ExportTable(header_row=header + 1, columns=names)
    for row_number, row in enumerate(rows[header + 1:], start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue  # a blank row is no record, but it keeps its row number
        record: dict[str, str] = {}
        for position, name in enumerate(names):
            if name and name not in record:
                record[name] = cells[position] if position < len(cells) else ""
        table.records.append((row_number, record))
    return table


def _csv_rows(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def read_csv(path: Path, source: str, site: SiteConfig) -> ExportTable:
    """Read a CSV export; the delimiter is the site's, or the one that reveals the header."""
    try:
        text = path.read_bytes().decode(site.encoding)
    except (OSError, UnicodeDecodeError, LookupError) as error:
        raise UnreadableFile(f"cannot decode as {site.encoding}: {error}") from error
    if "\x00" in text:
        raise UnreadableFile("binary content, not a CSV export")
    delimiters = (site.delimiter,) if site.delimiter else SNIFFED_DELIMITERS
    last_error: Exception | None = None
    for delimiter in delimiters:
        try:
            rows = _csv_rows(text, delimiter)
        except csv.Error as error:
            last_error = UnreadableFile(f"not a readable CSV: {error}")
            continue
        try:
            return build_table(rows, source, site)
        except MissingColumns as error:
            last_error = error
    assert last_error is not None
    raise last_error


def read_xlsx(path: Path, source: str, site: SiteConfig) -> ExportTable:
    """Read the first sheet of an XLSX export."""
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken archive
        raise UnreadableFile(f"not a readable XLSX: {type(error).__name__}") from error
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers record a wrong sheet size; read every row
        rows = [[cell_text(value, site.date_format) for value in row]
                for row in sheet.iter_rows(values_only=True)]
    except Exception as error:
        raise UnreadableFile(f"not a readable XLSX: {type(error).__name__}") from error
    finally:
        workbook.close()
    return build_table(rows, source, site)


def read_export(path: Path, source: str, site: SiteConfig) -> ExportTable:
    """Read a CSV or XLSX export of ``source`` as text records."""
    if path.suffix.lower() == ".xlsx":
        return read_xlsx(path, source, site)
    return read_csv(path, source, site)
